"""Explicit-offset file writes off the event loop (the seed's ``WriteAtAsync``).

:class:`AsyncFileWriter` owns a small I/O thread pool and one descriptor per
file. ``write_at`` queues an ``os.pwrite`` at a given offset and returns at once;
completions land back on the loop, where pending and error counts are kept.
Writes never append and never truncate; concurrent writes to disjoint ranges
are safe. ``drain`` waits for every queued write and raises the first error.

Small writes that follow on from one another in a file (a small texture's
padding, then its payload, then the next texture's) are gathered, up to
``_GATHER_BYTES``, and go to the thread pool as one ``pwrite``: a trip to a thread
costs more than writing a few kilobytes. A gathered run goes out once the next
write does not follow on from it, once it is full, and at ``drain``; an error
names the whole run.
"""

from __future__ import annotations

import asyncio
import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .._errors import OutputWriteError


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


_SMALL_WRITE = 64 * 1024  # a write up to this size may be gathered with the ones that follow on from it
_GATHER_BYTES = 256 * 1024  # a gathered run goes out once it holds this much


class _Run:
    """Small writes to one file that follow on from one another, not yet handed to the pool."""

    __slots__ = ("start", "end", "parts")

    def __init__(self, start: int, data: bytes | memoryview) -> None:
        self.start, self.end, self.parts = start, start + len(data), [data]


class AsyncFileWriter:
    """Positional writes to a few files, on a bounded I/O thread pool."""

    def __init__(self, *, io_threads: int = 2) -> None:
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(max_workers=io_threads, thread_name_prefix="oxcook-io")
        self._fds: dict[Path, int] = {}
        self._pending: set[asyncio.Future] = set()
        self._runs: dict[Path, _Run] = {}  # per file: the small writes gathered, not yet handed to the pool
        self.errors: list[OutputWriteError] = []

    def _fd(self, path: Path) -> int:
        fd = self._fds.get(path)
        if fd is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            self._fds[path] = fd
        return fd

    def write_at(self, path: Path, offset: int, data: bytes | memoryview) -> None:
        """Queue ``data`` at ``offset`` of ``path``; returns immediately.

        Called from another thread (a sync importer offloaded by ``import_async``),
        the write is handed to the loop, which owns all bookkeeping.
        """
        loop = self._loop
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if not on_loop:
            loop.call_soon_threadsafe(self.write_at, path, offset, data)
            return
        run = self._runs.get(path)
        if run is not None and run.end == offset and len(data) <= _SMALL_WRITE and run.end - run.start + len(data) <= _GATHER_BYTES:
            run.parts.append(data)
            run.end += len(data)
            return
        if run is not None:
            self._flush(path)
        if len(data) <= _SMALL_WRITE:
            self._runs[path] = _Run(offset, data)
        else:
            self._write(path, offset, data)

    def _flush(self, path: Path) -> None:
        run = self._runs.pop(path)
        self._write(path, run.start, run.parts[0] if len(run.parts) == 1 else b"".join(run.parts))

    def _write(self, path: Path, offset: int, data: bytes | memoryview) -> None:
        loop = self._loop
        fd = self._fd(path)
        future = loop.run_in_executor(self._pool, _pwrite_all, fd, data, offset)
        self._pending.add(future)
        size = len(data)

        def done(fut: asyncio.Future) -> None:
            self._pending.discard(fut)
            if fut.cancelled():
                return
            exc = fut.exception()
            if exc is not None:
                reason = "disk full" if getattr(exc, "errno", None) == errno.ENOSPC else str(exc)
                self.errors.append(OutputWriteError(f"{path}: write of {size} bytes at {offset} failed: {reason}"))

        future.add_done_callback(done)

    async def drain(self) -> None:
        """Wait for every queued write.

        Raises:
            OutputWriteError: the first write that failed.
        """
        for path in list(self._runs):
            self._flush(path)
        while self._pending:
            await asyncio.wait(list(self._pending))
        if self.errors:
            raise self.errors[0]

    async def fsync_all(self) -> None:
        """fsync every file written, off the loop."""
        loop = asyncio.get_running_loop()
        for fd in list(self._fds.values()):
            await loop.run_in_executor(self._pool, os.fsync, fd)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        self._pool.shutdown(wait=True)
