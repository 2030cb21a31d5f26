"""What a process of the coordinator's local pool runs: its start, and one encoded work item at a time.

These live on the worker side so that a pool process — forked from a fork
server that imported only :mod:`worker` — never imports the coordinator: the
fork server is ready in the time it takes to import the cooking stack (~0.2 s
here), not the whole coordinator (~0.4 s), and the first texture waits that
much less for its process.

A pool process shares the coordinator's terminal, so whatever a decoder writes
to stderr (libpng's "PNG warning: iCCP: …", which imagecodecs logs; a C
library's ``fprintf(stderr, …)``; Python warnings from Pillow) would land in
the middle of the progress bar, named for no texture. While a texture cooks,
file descriptor 2 points at a file of this process instead, and log records
(warnings and worse) and Python's warnings are collected; what was said becomes
``texture-decoder-warning`` diagnostics of that texture (or part of its error's
message), bounded: the first ``_KEPT_BYTES`` bytes, ``_KEPT_LINES`` distinct lines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import select
import sys
import tempfile
import threading
import time
import warnings

from ._diagnostics import ImportDiagnostic, ImportSeverity
from ._tasks import run_work
from ._wire import RESULT_FOR, Result, TextureResult, TextureWork, decode, encode

_KEPT_BYTES = 4096
_KEPT_LINES = 8
DECODER_WARNING = "texture-decoder-warning"


def run_in_pool_process(message: bytes, cancel_flag: str) -> bytes:
    """One encoded work item in, its encoded result out; the item is cancelled once ``cancel_flag`` exists."""
    work = decode(message, expect=tuple(RESULT_FOR))
    if not isinstance(work, TextureWork):
        return encode(run_work(work, cancel=lambda: os.path.exists(cancel_flag)))
    with _captured_output() as said:
        result = run_work(work, cancel=lambda: os.path.exists(cancel_flag))
    return encode(with_decoder_output(result, said.lines, said.dropped))


@dataclasses.dataclass
class _Said:
    lines: list[str] = dataclasses.field(default_factory=list)
    dropped: int = 0  # bytes said beyond what ``lines`` keeps


_capture_file = None  # one per pool process, emptied for each item


@contextlib.contextmanager
def _captured_output():
    """Point fd 2 at this process's capture file and record Python's warnings; on the way out, what was said."""
    global _capture_file
    if _capture_file is None:
        _capture_file = tempfile.TemporaryFile(prefix="oxcook-stderr-")
    said = _Said()
    sys.stderr.flush()
    _capture_file.seek(0)
    _capture_file.truncate()
    records = _Collected()
    root = logging.getLogger()
    saved = os.dup(2)
    os.dup2(_capture_file.fileno(), 2)
    root.addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield said
    finally:
        root.removeHandler(records)
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        size = _capture_file.seek(0, os.SEEK_END)
        _capture_file.seek(0)
        text = _capture_file.read(_KEPT_BYTES).decode("utf-8", "replace")
        lines = records.lines + text.splitlines() + [f"{w.category.__name__}: {w.message}" for w in caught]
        said.lines, kept = _distinct_lines(lines)
        said.dropped = max(0, records.size + size - kept)


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
    """``result`` with what the decoder said while it cooked: warnings of a cooked texture, part of a failure's message."""
    if not lines or not isinstance(result, TextureResult):
        return result
    sid = result.source_id
    if result.cooked is None:
        error = dataclasses.replace(result.error, message=f"{result.error.message} (the decoder warned: {'; '.join(lines)})")
        return dataclasses.replace(result, error=error)
    notes = [f"{sid}: the decoder warned: {line}" for line in lines]
    if dropped:
        notes.append(f"{sid}: the decoder warned more ({dropped} bytes not kept)")
    extra = tuple(ImportDiagnostic(ImportSeverity.WARNING, DECODER_WARNING, note, sid) for note in notes)
    return dataclasses.replace(result, cooked=dataclasses.replace(result.cooked, diagnostics=result.cooked.diagnostics + extra))


def _exit_with(coordinator_pid: int) -> None:
    """Block until the coordinator process is gone, then end this worker at once."""
    try:
        fd = os.pidfd_open(coordinator_pid)
        select.select([fd], [], [])
    except (AttributeError, OSError):  # no pidfd here: poll instead
        while True:
            try:
                os.kill(coordinator_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
    os._exit(1)


def pool_process_init(coordinator_pid: int, memory_budget: int) -> None:
    """The pool's initializer: one encoder thread, a memory share, local files, and no life after the coordinator."""
    # one encoder thread per process: the pool already has one process per core
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # each process cooks within its share, so the pool as a whole cannot exhaust the machine
    os.environ["OXCOOK_MEMORY_BUDGET"] = str(memory_budget)
    # these workers read the files their own coordinator resolved (a farm worker names its roots)
    os.environ["OXCOOK_SOURCE_ROOTS"] = os.sep
    # a coordinator killed outright (SIGKILL, OOM) must not leave workers behind
    threading.Thread(target=_exit_with, args=(coordinator_pid,), daemon=True, name="oxcook-orphan-guard").start()
