"""``LocalBackend``: the embedded default — the worker functions in a local process pool.

Work travels to the child processes as the same msgpack wire bytes the farm
uses. Cancellation of running items goes through a per-job flag file that the
worker polls at stage boundaries; queued items are cancelled in the pool. A
crashed child breaks the pool: it is rebuilt, and the items it held run again
(up to ``max_attempts``), so one poison input cannot stall the job.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from worker import decode_message, encode_message, run_work

from ._errors import BackendError


def _crashed_result(message: bytes, attempts: int) -> bytes:
    """The failure result of an item that killed its worker process every time (a poison input)."""
    item = decode_message(message, expect="texture-work")
    error = {"code": "texture-worker-crashed", "message": f"{item['source_id']}: a worker process died {attempts} times cooking it"}
    return encode_message("texture-result", key=item["key"], source_id=item["source_id"], ok=False, error=error)


def _run_in_child(kind: str, message: bytes, cancel_flag: str) -> bytes:
    return run_work(kind, message, cancel=lambda: os.path.exists(cancel_flag))


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


def _child_init(coordinator_pid: int) -> None:
    # one encoder thread per process: the pool already has one process per core
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # a coordinator killed outright (SIGKILL, OOM) must not leave workers behind
    threading.Thread(target=_exit_with, args=(coordinator_pid,), daemon=True, name="oxcook-orphan-guard").start()


class LocalBackend:
    name = "local"
    shares_files = True  # workers run on this machine: send paths, not bytes

    def __init__(self, *, workers: int, max_attempts: int = 2) -> None:
        self.workers = max(1, workers)
        self.max_attempts = max_attempts
        self._pool: ProcessPoolExecutor | None = None
        self._flags = Path(tempfile.mkdtemp(prefix="oxcook-cancel-"))
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_child_init, initargs=(os.getpid(),))
        return self._pool

    def _flag(self, job: str) -> str:
        return str(self._flags / (job or "default"))

    def submit(self, kind: str, message: bytes, *, job: str) -> "asyncio.Future[bytes]":
        if self._closed:
            raise BackendError("the local backend is closed")
        return asyncio.ensure_future(self._run(kind, message, job))

    async def _run(self, kind: str, message: bytes, job: str) -> bytes:
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.max_attempts + 1):
            pool = self._executor()
            future = pool.submit(_run_in_child, kind, message, self._flag(job))
            try:
                return await asyncio.wrap_future(future, loop=loop)
            except asyncio.CancelledError:
                future.cancel()
                raise
            except BrokenProcessPool:
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == self.max_attempts:
                    return _crashed_result(message, attempt)
        raise AssertionError("unreachable")

    def cancel_job(self, job: str) -> None:
        Path(self._flag(job)).touch()

    async def forget_job(self, job: str) -> None:
        Path(self._flag(job)).unlink(missing_ok=True)

    async def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.get_running_loop().run_in_executor(None, lambda: pool.shutdown(wait=True, cancel_futures=True))
        shutil.rmtree(self._flags, ignore_errors=True)
