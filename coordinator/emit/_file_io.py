"""Explicit-offset file writes off the event loop (the seed's ``WriteAtAsync``).

:class:`AsyncFileWriter` owns a small I/O thread pool and one descriptor per
file. ``write_at`` queues an ``os.pwrite`` at a given offset and returns at once;
completions land back on the loop, where pending and error counts are kept.
Writes never append and never truncate; concurrent writes to disjoint ranges
are safe. ``drain`` waits for every queued write and raises the first error.
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


class AsyncFileWriter:
    """Positional writes to a few files, on a bounded I/O thread pool."""

    def __init__(self, *, io_threads: int = 2) -> None:
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(max_workers=io_threads, thread_name_prefix="oxcook-io")
        self._fds: dict[Path, int] = {}
        self._pending: set[asyncio.Future] = set()
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
