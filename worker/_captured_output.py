"""What a decoder says while a texture cooks becomes that texture's warning, never loose text on stderr.

libpng warns about a damaged ancillary chunk ("PNG warning: iCCP: too short",
logged by imagecodecs), a C library may ``fprintf(stderr, …)``, Pillow issues
Python warnings. Left alone, a local pool process would print them into the
middle of the coordinator's progress bar and a farm worker into its log, named
for no texture. While a texture cooks (:func:`run_work_noting_output`), file
descriptor 2 points at a file of this process, log records of warning level and
worse go to a collector instead of the process's handlers, and Python's
warnings are recorded. What was said becomes ``texture-decoder-warning``
diagnostics of the texture (part of its error's message when it failed),
bounded: the first ``_KEPT_BYTES`` bytes, ``_KEPT_LINES`` distinct lines, and a
note of how much more there was. Both backends cook through it, so a texture's
report does not depend on where it cooked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import tempfile
import warnings

from ._diagnostics import ImportDiagnostic, ImportSeverity
from ._errors import CancelCheck
from ._tasks import run_work
from .wire import Result, TextureResult, TextureWork, Work

_KEPT_BYTES = 4096
_KEPT_LINES = 8
DECODER_WARNING = "texture-decoder-warning"


def run_work_noting_output(work: Work, cancel: CancelCheck | None = None) -> Result:
    """:func:`run_work`, with what a texture's decoders said while it cooked in its result."""
    if not isinstance(work, TextureWork):
        return run_work(work, cancel=cancel)
    with _captured_output() as said:
        result = run_work(work, cancel=cancel)
    return with_decoder_output(result, said.lines, said.dropped)


@dataclasses.dataclass
class _Said:
    lines: list[str] = dataclasses.field(default_factory=list)
    dropped: int = 0  # bytes said beyond what ``lines`` keeps


class _Collected(logging.Handler):
    """Log records of warning level and worse, as lines (the first ``_KEPT_BYTES`` bytes of them) and their size."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.size = 0

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if self.size + len(line) < _KEPT_BYTES:
            self.lines.append(line)
        self.size += len(line.encode()) + 1


_capture_file = None  # one per process, emptied for each texture


@contextlib.contextmanager
def _captured_output():
    """Point fd 2 at this process's capture file, the root logger at a collector, and record Python's warnings;
    on the way out, what was said."""
    global _capture_file
    if _capture_file is None:
        _capture_file = tempfile.TemporaryFile(prefix="oxcook-stderr-")
    said = _Said()
    sys.stderr.flush()
    _capture_file.seek(0)
    _capture_file.truncate()
    collected = _Collected()
    root = logging.getLogger()
    handlers, root.handlers = root.handlers, [collected]  # a farm worker's handlers would print each record to fd 2 as well
    saved = os.dup(2)
    os.dup2(_capture_file.fileno(), 2)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield said
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        root.handlers = handlers
        size = _capture_file.seek(0, os.SEEK_END)
        _capture_file.seek(0)
        text = _capture_file.read(_KEPT_BYTES).decode("utf-8", "replace")
        lines = collected.lines + text.splitlines() + [f"{w.category.__name__}: {w.message}" for w in caught]
        said.lines, kept = _distinct_lines(lines)
        said.dropped = max(0, collected.size + size - kept)


def _distinct_lines(lines: list[str]) -> tuple[list[str], int]:
    """The first ``_KEPT_LINES`` distinct non-empty lines, and how many bytes of ``lines`` they account for."""
    kept: list[str] = []
    covered = 0
    for line in lines:
        line = line.strip()
        if line and line not in kept and len(kept) < _KEPT_LINES:
            kept.append(line)
        if len(kept) < _KEPT_LINES or line in kept:
            covered += len(line.encode()) + 1
    return kept, covered


def with_decoder_output(result: Result, lines: list[str], dropped: int) -> Result:
    """``result`` with what the decoder said while it cooked: warnings of a cooked texture (naming no source, as all
    it says of its source), part of a failure's message."""
    if not lines or not isinstance(result, TextureResult):
        return result
    if result.cooked is None:
        error = dataclasses.replace(result.error, message=f"{result.error.message} (the decoder warned: {'; '.join(lines)})")
        return dataclasses.replace(result, error=error)
    notes = [f"the decoder warned: {line}" for line in lines]
    if dropped:
        notes.append(f"the decoder warned more ({dropped} bytes not kept)")
    extra = tuple(ImportDiagnostic(ImportSeverity.WARNING, DECODER_WARNING, note) for note in notes)
    return dataclasses.replace(result, cooked=dataclasses.replace(result.cooked, diagnostics=result.cooked.diagnostics + extra))
