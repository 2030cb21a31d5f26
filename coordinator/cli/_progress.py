"""Progress for people: a live bar on a terminal, plain throttled lines otherwise.

Pure formatting (:func:`format_progress`, :func:`estimate_eta`) plus a small
display object that decides when to print; the CLI feeds it ``ImportProgress``
snapshots on the main thread and calls :meth:`ProgressDisplay.tick` while it
waits, so plain lines keep coming (a heartbeat) while a long texture cooks.
A job's last line is a final one with its counts and time. Plain lines are
``progress`` records of the command's log (``_log``); the live bar is drawn on
the terminal itself, and every log line clears it first. A job entering a new
phase always gets a line. :class:`PhaseEvents` stands in for the display
under ``--log-format json``: each phase a job enters and each of its pending
notes (opening the root, waiting for its lock) is one record.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from typing import TextIO

from .._types import ImportPhase, ImportProgress
from . import _log
from .._sinks import terminal

HEARTBEAT_S = 10.0  # plain lines: the longest silence while work runs
_FINAL = (ImportPhase.COMPLETE, ImportPhase.FAILED, ImportPhase.CANCELLED)


def format_eta(seconds: float) -> str:
    seconds = int(math.ceil(max(seconds, 0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def estimate_eta(completed: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the job's own average pace (``completed`` items in ``elapsed`` seconds), or ``None``
    while there is no pace yet. Never below one second while items remain: the last one still has to finish."""
    remaining = total - completed
    if remaining <= 0:
        return 0.0
    if completed <= 0 or elapsed <= 0:
        return None
    return max(1.0, remaining * elapsed / completed)


def format_progress(p: ImportProgress, width: int | None = None, eta: float | None = None) -> str:
    """One line: phase, done/total, throughput, ETA (when given) and the latest item."""
    parts = [p.phase.value]
    if p.items_total:
        parts.append(f"{p.items_completed}/{p.items_total} done")
        if p.items_running or p.items_queued:
            parts.append(f"{p.items_running} running, {p.items_queued} queued")
        if p.throughput > 0:
            parts.append(f"{p.throughput:.1f}/s")
        if eta is not None and p.items_completed < p.items_total:
            parts.append(f"ETA {format_eta(eta)}")
    if p.message:
        parts.append(terminal(p.message))
    text = "  ".join(parts)
    if width is not None and p.items_total:
        bar_width = 24
        filled = int(bar_width * p.items_completed / p.items_total)
        text = f"[{'#' * filled}{'.' * (bar_width - filled)}] {text}"
    if width is not None and len(text) > width - 1:
        text = text[: width - 2] + "…"
    return text


def format_final(phase: ImportPhase, counted: ImportProgress | None, seconds: float) -> str:
    """A job's last line: how it ended, with the counts of its last item snapshot and its time."""
    counts = f"{counted.items_completed}/{counted.items_total} items, " if counted is not None and counted.items_total else ""
    return f"{phase.value}: {counts}{seconds:.1f} s"


@dataclass
class _Job:
    started: float
    items_started: float | None = None  # when its item phase began: the pace is measured from here
    counted: ImportProgress | None = None  # its latest snapshot with item counts
    latest: ImportProgress | None = None
    over: bool = False


def _fields(p: ImportProgress) -> dict:
    return {"job_id": p.job_id, "phase": p.phase.value, "completed": p.items_completed, "total": p.items_total, "running": p.items_running, "queued": p.items_queued}


class ProgressDisplay:
    """Shows the snapshots of any number of jobs: redrawn in place on ``stream`` (``live``) or as throttled log lines."""

    def __init__(self, stream: TextIO, *, live: bool, interval: float = 1.0, heartbeat: float = HEARTBEAT_S) -> None:
        self._stream = stream
        self._live = live
        self._interval = interval
        self._heartbeat = heartbeat
        self._last = 0.0
        self._drawn = False
        self._text = ""
        self._jobs: dict[object, _Job] = {}
        if live:
            _log.attach_live(self)

    def _eta(self, job: _Job, p: ImportProgress, now: float) -> float | None:
        if job.items_started is None:
            return None
        return estimate_eta(p.items_completed, p.items_total, now - job.items_started)

    def update(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        job = self._jobs.setdefault(progress.job_id, _Job(started=now))
        if progress.phase in _FINAL:
            job.over = True
            self._write(format_final(progress.phase, job.counted, now - job.started), _fields(progress), force=True, now=now, last=True)
            return
        if progress.items_total:
            if job.items_started is None:
                job.items_started = now
            job.counted = progress
        new_phase = job.latest is None or job.latest.phase is not progress.phase
        job.latest = progress
        done = bool(progress.items_total) and progress.items_completed == progress.items_total
        text = format_progress(progress, self._width(), self._eta(job, progress, now))
        self._write(text, _fields(progress), force=done or new_phase or progress.phase is ImportPhase.PENDING, now=now)  # pending: opening, a lock's holder

    def tick(self) -> None:
        """Called while waiting: plain lines repeat the latest state once ``heartbeat`` seconds passed without one."""
        now = time.monotonic()
        if self._live or now - self._last < self._heartbeat:
            return
        running = [(j, j.latest) for j in self._jobs.values() if not j.over and j.latest is not None]
        for job, latest in running:
            text = format_progress(latest, None, self._eta(job, latest, now))
            self._write(f"{text}  (working, {now - job.started:.0f} s)", _fields(latest), force=True, now=now)

    def _width(self) -> int | None:
        return shutil.get_terminal_size((100, 20)).columns if self._live else None

    def _write(self, text: str, fields: dict, *, force: bool, now: float, last: bool = False) -> None:
        if not self._live:
            if force or now - self._last >= self._interval:
                _log.emit("progress", text, **fields)
                self._last = now
            return
        self._text = text
        self.redraw()
        if last:  # a job's final line stays on the terminal
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False
            self._text = ""

    def clear(self) -> None:
        """Take the bar off the terminal's last line (a log line is about to be written there)."""
        if self._drawn:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
            self._drawn = False

    def redraw(self) -> None:
        """Draw the bar (again) on the terminal's last line."""
        if self._text:
            self._stream.write("\r\x1b[2K" + self._text)
            self._stream.flush()
            self._drawn = True

    def finish(self) -> None:
        if self._live:
            _log.attach_live(None)
            if self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False


class PhaseEvents:
    """The progress of jobs for a log pipeline (``--log-format json``), with no display: a ``phase`` record when a
    job enters a phase, a ``pending`` one for each of its pending notes (opening its root, waiting for the root's
    lock and who holds it)."""

    def __init__(self) -> None:
        self._seen: dict[object, tuple[ImportPhase, str]] = {}

    def update(self, progress: ImportProgress) -> None:
        pending = progress.phase is ImportPhase.PENDING
        state = (progress.phase, progress.message if pending else "")
        if self._seen.get(progress.job_id) == state:
            return
        self._seen[progress.job_id] = state
        if pending:
            _log.emit("pending", progress.message, **_fields(progress))
        else:
            _log.emit("phase", format_progress(progress), **_fields(progress))

    def tick(self) -> None:
        """Nothing to repeat: a log pipeline gets each note once."""

    def finish(self) -> None:
        """Nothing drawn."""
