"""``LocalBackend``: the embedded default — the worker functions in a local process pool.

Work travels to the child processes as the same msgpack wire bytes the farm
uses. Cancellation of running items goes through a per-job flag file that the
worker polls at stage boundaries; queued items are cancelled in the pool. A
crashed child breaks the pool and every item it held: the pool is rebuilt, and
those items run again one at a time in a one-process quarantine pool (up to
``max_attempts`` in all), so an innocent neighbour of a poison input cooks and
the poison alone is reported — it cannot stall or sink the job. Closing the
backend stops the pool's processes rather than waiting for them: what still
runs then belongs to a cancelled job (a cook's Ctrl-C ends within a second or
two, not after the encode in flight, which checks its cancel flag only between
stages).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from oxcook.worker import pool_process_init, run_in_pool_process
from oxcook.worker.cook import share_of_machine
from oxcook.worker.wire import RESULT_FOR, Result, Work, decode, encode, error_result

from .._errors import BackendError
from ._fork_server import pool_context, start_fork_server


class LocalBackend:
    name = "local"
    shares_files = True  # workers run on this machine: send paths, not bytes

    def __init__(self, *, workers: int, max_attempts: int = 2, memory_budget: int | None = None) -> None:
        self.workers = max(1, workers)
        self.max_attempts = max_attempts
        self.memory_budget = memory_budget or share_of_machine(self.workers)
        self._pool: ProcessPoolExecutor | None = None
        self._quarantine: ProcessPoolExecutor | None = None
        self._futures: dict[str, set] = {}  # job -> its items' pool futures (running or queued)
        self._alone = asyncio.Lock()  # retries run one at a time, so a poison input takes down only itself
        self._flags = Path(tempfile.mkdtemp(prefix="oxcook-cancel-"))
        self._closed = False

    @classmethod
    def open(cls, _url: str, *, workers: int, memory_budget: int | None = None, **_farm_options) -> "LocalBackend":
        """The pool for ``local`` (``BACKENDS``), its fork server started; the farm's options do not apply."""
        backend = cls(workers=workers, memory_budget=memory_budget)
        backend.warm_up()
        return backend

    def warm_up(self) -> None:
        """Start the fork server now, while the coordinator opens the root and reads its inputs (``python -m
        coordinator cook`` started it before its imports): the pool's processes then fork from it ready to
        cook, in milliseconds, at the first submit — and a job the cache answers whole starts none."""
        start_fork_server()

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # the fork server imports the cooking stack (the worker package alone) once; every pool process forks from it ready to cook
        context = pool_context()
        return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=pool_process_init, initargs=(os.getpid(), self.memory_budget))

    def _executor(self, attempt: int) -> ProcessPoolExecutor:
        """The shared pool for a first attempt; the one-process quarantine pool for a retry."""
        if self._closed:
            raise BackendError("the local backend is closed")
        if attempt == 0:
            if self._pool is None:
                self._pool = self._new_pool(self.workers)
            return self._pool
        if self._quarantine is None:
            self._quarantine = self._new_pool(1)
        return self._quarantine

    def _broken(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        elif self._quarantine is pool:
            self._quarantine = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _flag(self, job: str) -> str:
        return str(self._flags / (job or "default"))

    def submit(self, work: Work) -> "asyncio.Future[Result]":
        if self._closed:
            raise BackendError("the local backend is closed")
        return asyncio.ensure_future(self._run(work))

    async def _run(self, work: Work) -> Result:
        loop = asyncio.get_running_loop()
        message = encode(work)
        for attempt in range(self.max_attempts):
            async with self._alone if attempt else contextlib.nullcontext():  # a retry runs by itself
                pool = self._executor(attempt)
                future = pool.submit(run_in_pool_process, message, self._flag(work.job))
                futures = self._futures.setdefault(work.job, set())
                futures.add(future)
                try:
                    return decode(await asyncio.wrap_future(future, loop=loop), expect=RESULT_FOR[type(work)])
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except BrokenProcessPool:
                    self._broken(pool)
                finally:
                    futures.discard(future)
        kind = work.KIND.split("-")[0]
        return error_result(work, f"{kind}-worker-crashed", f"{work.source_id}: a worker process died {self.max_attempts} times on it")

    async def parallelism(self) -> int:
        return self.workers

    def running(self, job: str) -> int:
        # the pool hands a few items ahead to its call queue and marks them running: at most one per process is
        return min(self.workers, sum(f.running() for f in self._futures.get(job, ())))

    def cancel_job(self, job: str) -> None:
        Path(self._flag(job)).touch()

    async def forget_job(self, job: str) -> None:
        self._futures.pop(job, None)
        Path(self._flag(job)).unlink(missing_ok=True)

    async def close(self) -> None:
        self._closed = True
        pools, self._pool, self._quarantine = (self._pool, self._quarantine), None, None
        for pool in pools:
            if pool is not None:
                _stop_processes(pool)
                await asyncio.get_running_loop().run_in_executor(None, lambda p=pool: p.shutdown(wait=True, cancel_futures=True))
        shutil.rmtree(self._flags, ignore_errors=True)


def _stop_processes(pool: ProcessPoolExecutor) -> None:
    """Send SIGTERM to every process of ``pool`` (an idle one would have exited on its own; a busy one works
    for a job that is over). ``ProcessPoolExecutor.terminate_workers`` does this from Python 3.14 on."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # exited already, or closed
            process.terminate()
