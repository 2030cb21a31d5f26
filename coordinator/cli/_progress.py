"""Progress for people: a live bar on a terminal, plain throttled lines otherwise.

Pure formatting (:func:`format_progress`) plus a small display object that
decides when to print; the CLI feeds it ``ImportProgress`` snapshots on the
main thread.
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from .._types import ImportProgress
from ._sinks import terminal


def format_eta(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def format_progress(p: ImportProgress, width: int | None = None) -> str:
    """One line: phase, done/total, throughput, ETA and the latest item."""
    parts = [p.phase.value]
    if p.items_total:
        parts.append(f"{p.items_completed}/{p.items_total} done")
        if p.items_running or p.items_queued:
            parts.append(f"{p.items_running} running, {p.items_queued} queued")
        if p.throughput > 0:
            parts.append(f"{p.throughput:.1f}/s")
            parts.append(f"ETA {format_eta((p.items_total - p.items_completed) / p.throughput)}")
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


class ProgressDisplay:
    def __init__(self, stream: TextIO, *, live: bool, interval: float = 1.0) -> None:
        self._stream = stream
        self._live = live
        self._interval = interval
        self._last = 0.0
        self._drawn = False

    def update(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        final = progress.items_total and progress.items_completed == progress.items_total
        if self._live:
            width = shutil.get_terminal_size((100, 20)).columns
            self._stream.write("\r\x1b[2K" + format_progress(progress, width))
            self._drawn = True
        elif final or now - self._last >= self._interval:
            self._stream.write(format_progress(progress) + "\n")
            self._last = now
        self._stream.flush()

    def finish(self) -> None:
        if self._live and self._drawn:
            self._stream.write("\n")
            self._stream.flush()
