"""The one error vocabulary of oxcook, rooted at :class:`OxcookError`.

Every failure a caller may handle differently has its own class and a stable
kebab-case ``code``; diagnostics, the JSON report and exit codes use the code,
never the message. Errors cross threads and processes as data (``code`` plus
message), never pickled.

::

    OxcookError                          code: oxcook-error
    ├── FormatError                      code: format-error   (reading container bytes)
    │   ├── FormatNotRecognized          code: format-unrecognized  (not this format)
    │   ├── FormatTruncated              code: format-truncated     (this format, cut short)
    │   ├── FormatCorrupt                code: format-corrupt       (this format, broken)
    │   └── FormatUnsupported            code: format-unsupported   (valid, but not handled)
    └── LayoutError                      code: layout-invalid (a value we were asked to write
                                                               does not fit its field or rule)

The worker and coordinator packages add their own subclasses of ``OxcookError``
(texture import errors, backend errors) next to the code that raises them.
"""

from __future__ import annotations


class OxcookError(Exception):
    """Root of every error oxcook raises on purpose."""

    code = "oxcook-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The error as plain data, for diagnostics and reports."""
        return {"code": self.code, "message": self.message}


class FormatError(OxcookError):
    """Bytes that do not read as the structure they should be.

    Attributes:
        where: the file and structure path, e.g. ``container.index.bin:AssetEntry[3]``.
        offset: absolute byte offset of the problem inside that file, if known.
        rule: the validator rule this breaks (``index-magic``); defaults to ``code``.
    """

    code = "format-error"

    def __init__(self, where: str, problem: str, *, offset: int | None = None, rule: str | None = None) -> None:
        self.where = where
        self.offset = offset
        self.problem = problem
        self.rule = rule or self.code
        at = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{where}{at}: {problem}")


class FormatNotRecognized(FormatError):
    """The bytes are not this format at all (wrong magic, empty file)."""

    code = "format-unrecognized"


class FormatTruncated(FormatError):
    """The bytes start as this format but end before a structure does."""

    code = "format-truncated"

    def __init__(self, where: str, *, offset: int, needed: int, available: int, rule: str | None = None) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            where, f"truncated: needs {needed} bytes, only {max(available, 0)} present", offset=offset, rule=rule
        )


class FormatCorrupt(FormatError):
    """This format, with a value that breaks one of its rules."""

    code = "format-corrupt"


class FormatUnsupported(FormatError):
    """A well-formed structure in a variant oxcook does not handle."""

    code = "format-unsupported"


class LayoutError(OxcookError):
    """A value handed to a writer that its field or rule cannot hold."""

    code = "layout-invalid"
