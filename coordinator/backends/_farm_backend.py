"""``FarmBackend``: the same work items on Celery workers, fed through Redis.

Transport only (style rule 9): the pipeline above never knows it is here. The
backend is this facade over four parts, one job each:

* :mod:`._farm_chunks` — which textures share a task (``oxcook.cook_chunk``),
  how many, and when a chunk goes out;
* :mod:`._farm_dispatch` — work items stored in Redis and the Celery tasks that
  name them (the task carries only the job, the key and the source id, so
  Flower shows the texture, never its bytes);
* :mod:`._farm_blobs` — sources of textures with a task of their own, stored
  once per job and deleted once no item waiting reads them, so a job holds in
  Redis at most its window of items: their work keys, sources and results;
* :mod:`._farm_intake` — one reader per job taking results in completion
  order, only from the worker holding an item's lease, and sending again the
  items whose worker vanished.

What it keeps of a job is one :class:`FarmJob` (:mod:`._farm_job`), dropped
whole by ``forget_job``. Cancelling a job sets ``oxcook:cancel:<job>`` (workers
check it between stages) and revokes its queued tasks; ``forget_job`` deletes
every key the job created. Redis errors become :class:`BackendError` at once —
never a hang.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import redis
import redis.asyncio as aioredis

from oxcook.worker.farm import keys
from oxcook.worker.farm.celery_app import make_app
from oxcook.worker.farm.redis_clients import bulk_client
from oxcook.worker.wire import Result, Work

from .._errors import BackendError
from ._fairness import task_priority
from ._farm_blobs import BlobBook
from ._farm_chunks import Gathering, chunk_estimate_s, chunk_items, holds
from ._farm_dispatch import Dispatch
from ._farm_intake import Intake
from ._farm_job import FarmJob, FarmLink
from ._urls import mask_url

logger = logging.getLogger(__name__)
_TTL_FACTOR = 4
_UPLOAD_GRACE_S = 10.0  # how long forgetting a job waits for its blob uploads still running
_PROCESSES_TTL_S = 5.0
_READER_GRACE_S = 5.0  # how long forgetting a job waits for its reader to stop
_CONNECTIONS = 128  # the loop's connections to the broker: its commands in flight at once


class FarmBackend:
    name = "farm"

    @classmethod
    def open(cls, url: str, *, workers: int, memory_budget: int | None = None, **options) -> "FarmBackend":
        """The farm behind ``url`` (``BACKENDS``); the workers and their memory budget are the farm's own."""
        del workers, memory_budget
        return cls(url, **options)

    def __init__(
        self,
        broker_url: str,
        *,
        task_timeout: float = 900.0,
        shared_storage: bool = False,
        connect_timeout: float = 3.0,
        stall_timeout: float = 60.0,
        window: int = 64,
        priority: str = "normal",
    ) -> None:
        task_priority(0, priority)  # an unknown priority fails here, not at the first publish
        self.priority = priority
        self.broker_url = broker_url
        self.shares_files = shared_storage
        self.task_timeout = task_timeout
        self.window = max(1, window)  # the in-flight window of a job's pipeline: a chunk takes at most a share of it per process
        shown = mask_url(broker_url)  # every message and log line: never the password
        self._sync_redis = redis.Redis.from_url(broker_url, socket_connect_timeout=connect_timeout, socket_timeout=connect_timeout)
        self._link = FarmLink(
            app=make_app(broker_url),
            # a window of hundreds stores hundreds of items at once: each command waits for one of the pool's
            # connections (a plain pool fails past its size), and every job's reader holds one while it waits
            redis=aioredis.Redis.from_pool(
                aioredis.BlockingConnectionPool.from_url(
                    broker_url, max_connections=_CONNECTIONS, timeout=None, socket_connect_timeout=connect_timeout, socket_keepalive=True
                )
            ),
            # no timeout for a big upload
            bulk_redis=bulk_client(broker_url, socket_connect_timeout=connect_timeout, socket_keepalive=True),
            uploader=ThreadPoolExecutor(max_workers=2, thread_name_prefix="oxcook-upload"),  # its own threads: never queued behind other blocking work
            publisher=ThreadPoolExecutor(max_workers=1, thread_name_prefix="oxcook-publish"),
            ttl=int(task_timeout * _TTL_FACTOR),
            shown=shown,
            priority=priority,
        )
        self._app = self._link.app
        self._blobs = BlobBook(self._link)
        self._dispatch = Dispatch(self._link, self._blobs, on_stored=self._stored)
        self._intake = Intake(self._link, self._blobs, stall_timeout=stall_timeout, publish=self._dispatch.publish, on_delivered=self._delivered)
        self._jobs: dict[str, FarmJob] = {}
        self._processes: tuple[float, int] | None = None  # (when asked, the farm's process count)
        self._closed = False
        self._check_broker()

    def _check_broker(self) -> None:
        """Fail within seconds, with a clear message, when Redis cannot be reached."""
        try:
            self._sync_redis.ping()
        except redis.RedisError as exc:
            raise BackendError(f"cannot reach the broker at {self._link.shown}: {exc}") from exc

    def _job(self, name: str) -> FarmJob:
        job = self._jobs.get(name)
        if job is None:
            job = self._jobs[name] = FarmJob(name)
        return job

    def submit(self, work: Work) -> "asyncio.Future[Result]":
        if self._closed:
            raise BackendError("the farm backend is closed")
        future = asyncio.get_running_loop().create_future()
        job = self._job(work.job)
        estimate = chunk_estimate_s(work)
        if estimate is not None:
            self._gather(job, work, future, estimate)
        else:
            self._start(job, self._dispatch.submit(job, work, future))
        return future

    def _start(self, job: FarmJob, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        job.submits.add(task)
        task.add_done_callback(job.submits.discard)

    def _stored(self, job: FarmJob) -> None:
        if self._jobs.get(job.name) is job:
            self._intake.ensure_reader(job)

    # --- small textures, several to a task (._farm_chunks) -------------------------------------

    def _gather(self, job: FarmJob, work, future: asyncio.Future, estimate: float) -> None:
        loop = asyncio.get_running_loop()
        gathering = job.gathering
        if gathering is None:
            gathering = job.gathering = Gathering(since=loop.time())
        gathering.add(work, future, estimate)
        if gathering.full(chunk_items(self.window, self._farm_processes(job))):
            self._flush(job)
        elif not gathering.held:  # textures keep coming while the window has room: wait for the next, not past the first's deadline
            gathering.cancel_timer()
            gathering.timer = loop.call_at(gathering.linger_until(loop.time()), self._linger_over, job)

    def _linger_over(self, job: FarmJob) -> None:
        gathering = job.gathering
        if gathering is None:
            return
        gathering.timer = None
        if holds(job.queued(), self._farm_processes(job)):
            gathering.held = True  # it goes out once full, or once the job's tasks out are few (_delivered)
        else:
            self._flush(job)

    def _delivered(self, job: FarmJob) -> None:
        if job.gathering is not None and job.gathering.held and not holds(job.queued(), self._farm_processes(job)):
            self._flush(job)

    def _flush(self, job: FarmJob) -> None:
        gathering, job.gathering = job.gathering, None
        if gathering is None:
            return
        gathering.cancel_timer()
        entries = [(w, f) for w, f in gathering.entries if not f.done()]
        if len(entries) == 1:
            self._start(job, self._dispatch.submit(job, *entries[0]))
        elif entries:
            self._start(job, self._dispatch.submit_chunk(job, entries))

    def _farm_processes(self, job: FarmJob) -> int:
        """The farm's process count, as last asked (asked again once per period, by a task of ``job``'s)."""
        now = time.monotonic()
        if self._processes is None or now - self._processes[0] > _PROCESSES_TTL_S:
            self._processes = (now, self._processes[1] if self._processes else 1)
            self._start(job, self._count_processes())
        return self._processes[1]

    async def _count_processes(self) -> None:
        self._processes = (time.monotonic(), await self.parallelism())

    # --- the ComputeBackend contract -------------------------------------------------------------

    async def parallelism(self) -> int:
        """The processes of the workers that announce themselves (``oxcook-workers:*``); 1 when none do."""
        try:
            names = [name async for name in self._link.redis.scan_iter(match=keys.worker("*"), count=1000)]
            counts = await self._link.redis.mget(names) if names else []
        except redis.RedisError:
            return 1
        return max(1, sum(int(c) for c in counts if c is not None and c.isdigit()))

    def running(self, job: str) -> int:
        """Items whose lease a worker holds (seen at the last lease check, every few seconds)."""
        state = self._jobs.get(job)
        return 0 if state is None else sum(p.started and not p.future.done() for p in state.pending.values())

    def cancel_job(self, job: str) -> None:
        loop = asyncio.get_running_loop()
        state = self._jobs.get(job)
        task_ids: list[str] = []
        if state is not None:
            _drop_gathering(state)  # never published: nothing of them reached Redis
            task_ids = sorted({t for p in state.pending.values() for t in p.task_ids})
        sync_redis, app, ttl = self._sync_redis, self._app, self._link.ttl

        def cancel() -> None:
            try:
                sync_redis.set(keys.cancel(job), b"1", ex=ttl)
                if task_ids:
                    app.control.revoke(task_ids)
            except Exception:  # cancelling is best effort; the job ends anyway
                pass

        loop.run_in_executor(self._link.publisher, cancel)

    async def forget_job(self, job: str) -> None:
        state = self._jobs.pop(job, None)
        blobs: list[str] = []
        if state is not None:
            # items still being stored or published must not land after the sweep (a worker would run them)
            _drop_gathering(state)
            submits = list(state.submits)
            for task in submits:
                task.cancel()
            await asyncio.gather(*submits, return_exceptions=True)
            if state.reader is not None:
                # a cancelled command of the Redis client may swallow the cancellation: the flag stops the
                # reader at its next turn (its pops wait a second at most), and the wait is bounded anyway
                state.forgotten = True
                state.reader.cancel()
                done, _ = await asyncio.wait({state.reader}, timeout=_READER_GRACE_S)
                if not done:
                    logger.warning("oxcook: job %s's reader is still waiting on the broker at %s; it stops at its next answer", job, self._link.shown)
                    state.reader.add_done_callback(_retrieved)
            uploads = self._blobs.forget(job)
            if uploads:  # an upload still on its thread lands before the sweep (bounded: a blob left behind expires by its TTL)
                await asyncio.wait(uploads.values(), timeout=_UPLOAD_GRACE_S)
            blobs = list(uploads)
        sync_redis = self._sync_redis

        def sweep() -> None:
            # The work keys first: every worker script (start, finish) checks its work key atomically,
            # so once they are gone no worker can create a key for this job; then everything else.
            work = list(sync_redis.scan_iter(match=keys.work(job, "*")))
            if work:
                sync_redis.delete(*work)
            names = list(sync_redis.scan_iter(match=keys.job_pattern(job))) + blobs + [keys.cancel(job), keys.done(job)]
            sync_redis.delete(*names)

        try:
            # on the publisher thread, so a cancel queued before it cannot land after it
            await asyncio.get_running_loop().run_in_executor(self._link.publisher, sweep)
        except redis.RedisError:
            pass  # the keys carry TTLs; they expire on their own

    async def close(self) -> None:
        self._closed = True
        for job in list(self._jobs):
            await self.forget_job(job)
        await self._link.redis.aclose()
        self._sync_redis.close()
        self._link.bulk_redis.close()
        self._link.uploader.shutdown(wait=False)
        self._link.publisher.shutdown(wait=False)


def _retrieved(task: asyncio.Task) -> None:
    """Take the outcome of a task nobody waits for any more (so no "exception never retrieved" is printed)."""
    if not task.cancelled():
        task.exception()


def _drop_gathering(job: FarmJob) -> None:
    """Cancel the textures of ``job`` gathering for a chunk (never published: nothing of them reached Redis)."""
    gathering, job.gathering = job.gathering, None
    if gathering is not None:
        gathering.cancel_timer()
        for _, future in gathering.entries:
            future.cancel()
