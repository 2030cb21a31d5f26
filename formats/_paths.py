"""Path rules of the loose cooked index (spec §1.8).

Relative paths (descriptor and file-record relpaths) follow one rule set in
both epochs. Virtual paths follow a weak rule set in Epoch A and the canonical
``kSyntaxAndStandardMountRoot`` rules in Epoch B. Each checker returns the
broken rule as text, or ``None`` when the path is fine, so callers choose
whether to raise or to collect.
"""

from __future__ import annotations

import hashlib
import re

MAX_VIRTUAL_PATH_BYTES = 512
MOUNT_ROOT = "/.cooked"

_SEGMENT_B = re.compile(r"^[A-Za-z0-9._-]+$")
_MOUNT_ROOT_B = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def relative_path_problem(path: str) -> str | None:
    """Why ``path`` is not a valid container-relative path, or ``None``."""
    if not path:
        return "is empty"
    if "\\" in path:
        return "contains a backslash"
    if ":" in path:
        return "contains ':' (a drive or stream name)"
    if path.startswith("/"):
        return "is absolute (starts with '/')"
    if path.endswith("/"):
        return "ends with '/'"
    if "//" in path:
        return "contains an empty segment ('//')"
    if any(seg in (".", "..") for seg in path.split("/")):
        return "contains a '.' or '..' segment"
    if "\0" in path:
        return "contains a NUL byte"
    return None


def virtual_path_problem(path: str, *, epoch: str = "B") -> str | None:
    """Why ``path`` is not a valid virtual path for ``epoch``, or ``None``."""
    if not path:
        return "is empty"
    if "\\" in path:
        return "contains a backslash"
    if not path.startswith("/"):
        return "does not start with '/'"
    if epoch == "A":
        if path != "/" and path.endswith("/"):
            return "ends with '/'"
        if "//" in path:
            return "contains an empty segment ('//')"
        if any(seg in (".", "..") for seg in path.split("/")[1:]):
            return "contains a '.' or '..' segment"
        return None
    if len(path.encode("utf-8")) > MAX_VIRTUAL_PATH_BYTES:
        return f"is longer than {MAX_VIRTUAL_PATH_BYTES} bytes"
    if path.endswith("/"):
        return "ends with '/'"
    segments = path[1:].split("/")
    for i, seg in enumerate(segments):
        if not seg:
            return "contains an empty segment"
        if seg in (".", ".."):
            return "contains a '.' or '..' segment"
        if not _SEGMENT_B.match(seg):
            return f"segment {seg!r} uses characters outside [A-Za-z0-9._-]"
        leaf = i == len(segments) - 1
        if leaf:
            if seg.count(".") != 1 or seg.startswith(".") or seg.endswith("."):
                return f"leaf {seg!r} must contain exactly one '.', neither first nor last"
        elif "." in seg and not (i == 0 and seg == ".cooked"):
            return f"directory segment {seg!r} contains '.'"
    if len(segments) < 2:
        return "has no mount root above the leaf"
    root = segments[0]
    if root != ".cooked" and not _MOUNT_ROOT_B.match(root):
        return f"mount root {root!r} is neither '.cooked' nor an identifier"
    return None


MAX_SEGMENT_CHARS = 96  # keeps a descriptor path (mount, folders, scene, name, suffix) well inside 512 bytes


def sanitize_segment(name: str, *, fallback: str = "unnamed", max_chars: int = MAX_SEGMENT_CHARS) -> str:
    """``name`` made safe as one virtual-path segment: characters outside
    ``[A-Za-z0-9_-]`` become ``_`` (dots too, since only the leaf has one), and a
    name longer than ``max_chars`` is cut, keeping it unique with a short hash of the whole name."""
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", name).strip("_") or fallback
    return bounded(clean, name, max_chars)


def bounded(text: str, whole: str, max_chars: int) -> str:
    """``text`` if it fits in ``max_chars``, else its head and ``_`` + 8 hex digits of a hash of ``whole`` (deterministic)."""
    if len(text) <= max_chars:
        return text
    digest = hashlib.blake2s(whole.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    return f"{text[: max_chars - 9]}_{digest}"


def printable_name(name: str) -> str:
    """A file name as text, with bytes that are not UTF-8 escaped deterministically (``\\xNN``)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
