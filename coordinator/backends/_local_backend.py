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

from worker import RESULT_FOR, Result, Work, decode, encode, error_result, run_work

from .._errors import BackendError


def _run_in_child(message: bytes, cancel_flag: str) -> bytes:
    """In the worker process: one encoded work item in, its encoded result out."""
    work = decode(message, expect=tuple(RESULT_FOR))
    return encode(run_work(work, cancel=lambda: os.path.exists(cancel_flag)))


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

    def submit(self, work: Work) -> "asyncio.Future[Result]":
        if self._closed:
            raise BackendError("the local backend is closed")
        return asyncio.ensure_future(self._run(work))

    async def _run(self, work: Work) -> Result:
        loop = asyncio.get_running_loop()
        message = encode(work)
        for _attempt in range(self.max_attempts):
            pool = self._executor()
            future = pool.submit(_run_in_child, message, self._flag(work.job))
            try:
                return decode(await asyncio.wrap_future(future, loop=loop), expect=RESULT_FOR[type(work)])
            except asyncio.CancelledError:
                future.cancel()
                raise
            except BrokenProcessPool:
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
        kind = work.KIND.split("-")[0]
        return error_result(work, f"{kind}-worker-crashed", f"{work.source_id}: a worker process died {self.max_attempts} times on it")

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
