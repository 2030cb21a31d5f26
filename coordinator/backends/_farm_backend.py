"""``FarmBackend``: the same work items on Celery workers, fed through Redis.

Transport only (style rule 9): the pipeline above never knows it is here.

* Sources travel as blobs content-addressed within their job
  (``oxcook:blob:<job>:<sha256>``, set if absent, with a TTL), or as paths when
  the farm shares storage. A blob is deleted once the last item of its job that
  reads it is delivered, so a job holds in Redis at most its window of items:
  their work keys, sources and results.
* The work message is stored under ``oxcook:work:<job>:<key>``; the Celery
  message (``oxcook.cook_texture``) carries only the job, the key and the source
  id, so Flower shows the texture, never its bytes.
* Small textures travel several to a task (``oxcook.cook_chunk``): items whose
  cook is estimated short (:func:`worker.cook_estimate_s`, from the header the
  coordinator reads) wait a few milliseconds (``_LINGER_S``) to be grouped, up
  to ``_CHUNK_S`` of estimated cooking and a share of the job's window per farm
  process; their work keys, blobs and the chunk's item list go to Redis in one
  pipelined round trip, then one task is published. Each item keeps its own
  work key, lease, attempts and result. Everything else (large textures, parts
  of split ones, meshes, textures whose size is unknown) goes one per task.
* Workers put results under their own keys and push the keys onto
  ``oxcook:done:<job>``; one reader per job blocks on that list (BLPOP), takes
  every key waiting with it (LPOP), so results arrive in completion order, and
  takes all their results in one pipelined round trip of GETDELs; the delivered
  items' other keys are deleted in one more. Payloads never pass through
  Celery's result backend.
* A lease (``oxcook:lease:…``) set by the running worker lets the reader
  resubmit items whose worker machine vanished — never one already delivered;
  a result that arrives twice is ignored (results are keyed by item), and a
  worker whose item's work key is gone (delivered, or its job over) stops at
  its next check.
* Workers are not trusted: a result is taken only from the worker holding its
  item's lease (the result names the lease token it held, :func:`lease_problem`);
  any other, and any result for an item this job is not waiting for (never
  submitted, or taken already), is ignored and logged, and the item waits on.
* Each task carries a Celery priority from how many of its job's tasks are
  queued already (:mod:`._fairness`), shifted by the job's ``priority``: a
  small job started while a big one runs is served ahead of the big one's
  backlog.
* Cancelling a job sets ``oxcook:cancel:<job>`` (workers check it between
  stages) and revokes its queued tasks. ``forget_job`` deletes every key the job
  created. Redis errors become :class:`BackendError` at once — never a hang.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
import redis.asyncio as aioredis

from oxcook.worker.cook import HEADER_BYTES, cook_estimate_s, image_size
from oxcook.worker.wire import MAX_CHUNK_ITEMS, RESULT_FOR, WIRE_VERSION, MeshWork, Result, TextureChunk, TextureWork, WireError, Work, WorkRef, decode, encode, error_result, peek_version
from oxcook.worker.farm import keys
from oxcook.worker.farm.celery_app import make_app
from oxcook.worker.farm.redis_clients import bulk_client

from .._errors import BackendError
from ._fairness import task_priority
from ._urls import mask_url

_TTL_FACTOR = 4
_LEASE_CHECK_S = 5.0
_UPLOAD_GRACE_S = 10.0  # how long forgetting a job waits for its blob uploads still running
_TAKE_BATCH = 128  # results taken in one round trip (their keys popped together from the job's done list)
_LINGER_S = 0.003  # a chunk being gathered goes out once no texture joined it for this long ...
_LINGER_MAX_S = 0.02  # ... or this long after its first, whichever comes first (or once it is full)
_CHUNK_S = 0.06  # a chunk's estimated cook: its task's fixed cost (publish, events, round trips) stays a few percent of it
_ALONE_S = 0.02  # a texture estimated to cook this long or longer has a task of its own
_TEXTURE_FIXED_S = 0.001  # what every texture costs a worker besides its pixels (stages, checks, packing)
_INLINE_BLOB = 256 * 1024  # sources up to this size are hashed on the loop and stored in their chunk's round trip
_PROCESSES_TTL_S = 5.0
_TASK_NAMES = {TextureWork: keys.TASK_COOK_TEXTURE, MeshWork: keys.TASK_BUILD_MESH}
logger = logging.getLogger(__name__)


def lease_problem(claimed: str, holder: bytes | None) -> str | None:
    """Why a result naming lease ``claimed`` is not its item's lease holder's (``holder``: the lease as Redis has it), or ``None``."""
    if holder is None:
        return f"no worker holds the item's lease, and the result names {claimed or 'none'}"
    if not claimed or claimed.encode() != holder:
        return f"the item's lease is held by {holder.decode(errors='replace')}, the result names {claimed or 'none'}"
    return None


def _describe(work: Work) -> str:
    """What Flower shows for a task: the texture, its intent, output format and source size (or the mesh)."""
    if isinstance(work, MeshWork):
        return work.describe()
    size = sum(len(s) for s in work.sources) + sum(os.path.getsize(p) for p in work.paths if os.path.exists(p))
    return f"{work.describe()} {size / 1024:.0f} KiB"


@dataclass
class _Pending:
    future: asyncio.Future
    work: WorkRef  # the item without its bytes: the window may hold many
    label: str
    task_ids: list[str] = field(default_factory=list)
    started: bool = False
    chunk: str | None = None  # the chunk task it went out in (None: a task of its own)
    blobs: tuple[str, ...] = ()  # the blobs it reads: each is deleted once its last reader is delivered


def chunk_estimate_s(work: Work) -> float | None:
    """A texture's estimated cook when it may share a task with others, or ``None`` when it goes alone: a mesh,
    a part of a split texture, several layers, a size its header does not give, or a long cook."""
    if not isinstance(work, TextureWork) or work.part is not None or len(work.sources) + len(work.paths) != 1:
        return None
    if work.sources:
        size = image_size(work.sources[0][:HEADER_BYTES], work.source_id)
    else:
        try:
            with open(work.paths[0], "rb") as fh:
                size = image_size(fh.read(HEADER_BYTES), work.source_id)
        except OSError:
            return None
    if size is None:
        return None
    estimate = _TEXTURE_FIXED_S + cook_estimate_s(work.desc, *size)
    return estimate if estimate < _ALONE_S else None


@dataclass
class _Gathering:
    """The small textures of one job waiting (at most ``_LINGER_S``) to share a chunk task."""

    entries: list[tuple[TextureWork, asyncio.Future]] = field(default_factory=list)
    estimate_s: float = 0.0
    timer: asyncio.TimerHandle | None = None
    since: float = 0.0  # when its first texture came


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
        self.stall_timeout = stall_timeout
        self._shown = mask_url(broker_url)  # every message and log line: never the password
        self.shares_files = shared_storage
        self.task_timeout = task_timeout
        self._ttl = int(task_timeout * _TTL_FACTOR)
        self._app = make_app(broker_url)
        self._redis = aioredis.Redis.from_url(broker_url, socket_connect_timeout=connect_timeout, socket_keepalive=True)
        self._sync_redis = redis.Redis.from_url(broker_url, socket_connect_timeout=connect_timeout, socket_timeout=connect_timeout)
        # Source blobs are uploaded by a blocking client on a thread: asyncio's transport copies a value the socket
        # cannot take at once and sends it in slices (146 MB: ~430 ms against ~95 ms); no timeout for a big upload.
        self._bulk_redis = bulk_client(broker_url, socket_connect_timeout=connect_timeout, socket_keepalive=True)
        self._uploader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="oxcook-upload")  # its own threads: never queued behind other blocking work
        self._publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oxcook-publish")
        self._pending: dict[str, dict[str, _Pending]] = {}  # job -> key -> pending
        self._readers: dict[str, asyncio.Task] = {}
        self._alive: dict[str, float] = {}  # job -> when one of its items last started or finished
        self._submits: dict[str, set[asyncio.Task]] = {}  # job -> its items still being stored and published
        self._blobs: dict[str, dict[str, asyncio.Future]] = {}  # job -> blob key -> its upload
        self._readers_of: dict[str, dict[str, int]] = {}  # job -> blob key -> its items not yet delivered
        self._dropping: dict[str, asyncio.Future] = {}  # blob key -> its deletion under way (a new upload waits for it)
        self._last_blob: tuple[bytes, str] | None = None  # the last source hashed (the parts of one texture share it)
        self.window = max(1, window)  # the in-flight window of a job's pipeline: a chunk takes at most a share of it per process
        self._gathering: dict[str, _Gathering] = {}  # job -> small textures waiting to share a task
        self._chunks: dict[str, dict[str, set[str]]] = {}  # job -> chunk key -> its items not yet delivered
        self._chunk_ids = itertools.count(1)
        self._processes: tuple[float, int] | None = None  # (when asked, the farm's process count)
        self._closed = False
        self._check_broker()

    def _check_broker(self) -> None:
        """Fail within seconds, with a clear message, when Redis cannot be reached."""
        try:
            self._sync_redis.ping()
        except redis.RedisError as exc:
            raise BackendError(f"cannot reach the broker at {self._shown}: {exc}") from exc

    def submit(self, work: Work) -> "asyncio.Future[Result]":
        if self._closed:
            raise BackendError("the farm backend is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        estimate = chunk_estimate_s(work)
        if estimate is not None:
            self._gather(work, future, estimate)
            return future
        self._start_submit(work.job, self._submit(work, future))
        return future

    def _start_submit(self, job: str, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        tasks = self._submits.setdefault(job, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    # --- small textures, several to a task ----------------------------------------------------------

    def _chunk_items(self) -> int:
        """The most items one chunk takes: a share of the window that leaves every farm process two chunks of it."""
        processes = self._processes[1] if self._processes is not None else 1
        return max(1, min(MAX_CHUNK_ITEMS, self.window // (2 * processes)))

    def _gather(self, work: TextureWork, future: asyncio.Future, estimate: float) -> None:
        loop = asyncio.get_running_loop()
        gathering = self._gathering.get(work.job)
        if gathering is None:
            gathering = self._gathering[work.job] = _Gathering(since=loop.time())
        gathering.entries.append((work, future))
        gathering.estimate_s += estimate
        if gathering.estimate_s >= _CHUNK_S or len(gathering.entries) >= self._chunk_items():
            self._flush(work.job)
            return
        # textures keep coming while the window has room: wait for the next, not past the first's deadline
        if gathering.timer is not None:
            gathering.timer.cancel()
        gathering.timer = loop.call_at(min(loop.time() + _LINGER_S, gathering.since + _LINGER_MAX_S), self._flush, work.job)

    def _flush(self, job: str) -> None:
        gathering = self._gathering.pop(job, None)
        if gathering is None:
            return
        if gathering.timer is not None:
            gathering.timer.cancel()
        if self._processes is None or time.monotonic() - self._processes[0] > _PROCESSES_TTL_S:
            self._processes = (time.monotonic(), self._processes[1] if self._processes else 1)  # asked once per period
            self._start_submit(job, self._count_processes())
        entries = [(w, f) for w, f in gathering.entries if not f.done()]
        if len(entries) == 1:
            self._start_submit(job, self._submit(*entries[0]))
        elif entries:
            self._start_submit(job, self._submit_chunk(job, entries))

    async def _count_processes(self) -> None:
        self._processes = (time.monotonic(), await self.parallelism())

    async def _submit_chunk(self, job: str, entries: list[tuple[TextureWork, asyncio.Future]]) -> None:
        """Store the work items of ``entries`` and their chunk in one round trip, then publish one task for them all."""
        chunk_key = f"chunk{next(self._chunk_ids)}"
        futures = [future for _, future in entries]
        try:
            pipe = self._redis.pipeline(transaction=False)
            items = []
            blobs_of: dict[str, tuple[str, ...]] = {}
            for work, future in entries:
                if work.key in self._pending.get(job, {}) or any(work.key == key for key, _ in items):
                    future.set_exception(BackendError(f"work key {work.key!r} of job {job!r} is already pending (a pipeline bug)"))
                    continue
                blobs = []
                for data in work.sources:
                    if len(data) > _INLINE_BLOB:
                        blobs.append(await self._store_blob(job, data))
                        continue
                    name = keys.blob(job, hashlib.sha256(data).hexdigest())
                    while name in self._dropping:
                        await asyncio.shield(self._dropping[name])
                    self._read_blobs(job, (name,))  # counted at once: a delivery meanwhile cannot delete it
                    stored = self._blobs.setdefault(job, {})
                    if name not in stored:
                        stored[name] = _done_future()
                        pipe.set(name, data, nx=True, ex=self._ttl)
                    blobs.append(name)
                blobs_of[work.key] = tuple(blobs)
                stored_work = dataclasses.replace(work, sources=(), blobs=tuple(blobs)) if work.sources else work
                pipe.set(keys.work(job, work.key), encode(stored_work), ex=self._ttl)
                items.append((work.key, work.source_id))
            if not items:
                return
            chunk = TextureChunk(chunk_key, tuple(items), job=job)
            pipe.set(keys.chunk(job, chunk_key), encode(chunk), ex=self._ttl)
            await pipe.execute()
            pending = self._pending.setdefault(job, {})
            first = None
            for work, future in entries:
                if future.done():
                    continue
                item = _Pending(future, WorkRef(TextureWork, work.key, work.source_id), work.source_id, chunk=chunk_key, blobs=blobs_of[work.key])
                pending[work.key] = item
                first = first or item
                future.add_done_callback(lambda f, key=work.key: self._forget_item(job, key, f))
            self._chunks.setdefault(job, {})[chunk_key] = {key for key, _ in items}
            self._ensure_reader(job)
            await self._publish_chunk(job, chunk, [pending[key] for key, _ in items if key in pending])
        except redis.RedisError as exc:
            _fail(futures, BackendError(f"broker {self._shown} failed: {exc}"))
        except BackendError as exc:
            _fail(futures, exc)

    async def _publish_chunk(self, job: str, chunk: TextureChunk, items: list[_Pending]) -> None:
        task_id = str(uuid.uuid4())
        for item in items:
            item.task_ids.append(task_id)

        priority = task_priority(self._queued(job) - 1, self.priority)  # the chunk itself is counted already

        def send() -> None:
            self._app.send_task(
                keys.TASK_COOK_CHUNK, args=[job, chunk.key, chunk.describe()], task_id=task_id, argsrepr=f"{chunk.describe()} ({job})", retry=True, priority=priority
            )

        try:
            await asyncio.get_running_loop().run_in_executor(self._publisher, send)
        except Exception as exc:  # kombu's connection errors vary by transport
            raise BackendError(f"cannot publish to the broker at {self._shown}: {exc}") from exc

    async def _submit(self, work: Work, future: asyncio.Future) -> None:
        job, key = work.job, work.key
        if key in self._pending.get(job, {}):
            future.set_exception(BackendError(f"work key {key!r} of job {job!r} is already pending (a pipeline bug)"))
            return
        try:
            label = _describe(work)
            stored = work
            names: tuple[str, ...] = ()
            if isinstance(work, TextureWork) and work.sources:
                names = tuple([await self._store_blob(job, data) for data in work.sources])
                stored = dataclasses.replace(work, sources=(), blobs=names)
            await self._redis.set(keys.work(job, key), encode(stored), ex=self._ttl)
            pending = _Pending(future, WorkRef(type(work), key, work.source_id), label, blobs=names)
            self._pending.setdefault(job, {})[key] = pending
            future.add_done_callback(lambda f: self._forget_item(job, key, f))
            self._ensure_reader(job)
            await self._publish(job, key, pending)
        except redis.RedisError as exc:
            if not future.done():
                future.set_exception(BackendError(f"broker {self._shown} failed: {exc}"))
        except BackendError as exc:
            if not future.done():
                future.set_exception(exc)

    async def _store_blob(self, job: str, data: bytes) -> str:
        """The blob key of ``data``, stored once per job: the parts of a split texture share one upload (and one hash).
        The caller's item counts as one of its readers from here on."""
        loop = asyncio.get_running_loop()
        if self._last_blob is not None and self._last_blob[0] is data and self._last_blob[1].startswith(keys.blob(job, "")):
            name = self._last_blob[1]
        else:
            digest = await loop.run_in_executor(None, lambda: hashlib.sha256(data).hexdigest())
            name = keys.blob(job, digest)
            self._last_blob = (data, name)
        while name in self._dropping:
            await asyncio.shield(self._dropping[name])
        self._read_blobs(job, (name,))  # counted at once: a delivery meanwhile cannot delete it
        stored = self._blobs.setdefault(job, {})
        if name not in stored:
            stored[name] = loop.run_in_executor(self._uploader, lambda: self._bulk_redis.set(name, data, nx=True, ex=self._ttl))
        await asyncio.shield(stored[name])
        return name

    async def _publish(self, job: str, key: str, pending: _Pending) -> None:
        task_id = str(uuid.uuid4())
        pending.task_ids.append(task_id)
        priority = task_priority(self._queued(job) - 1, self.priority)  # the item itself is counted already

        def send() -> None:
            self._app.send_task(
                _TASK_NAMES[pending.work.kind],
                args=[job, key, pending.work.source_id],
                task_id=task_id,
                argsrepr=f"{pending.label} ({job})",
                retry=True,
                priority=priority,
            )

        try:
            await asyncio.get_running_loop().run_in_executor(self._publisher, send)
        except Exception as exc:  # kombu's connection errors vary by transport
            raise BackendError(f"cannot publish to the broker at {self._shown}: {exc}") from exc

    def _queued(self, job: str) -> int:
        """The tasks of ``job`` out on the farm (published, not yet finished): its chunks, and its items of a task of their own."""
        alone = sum(p.chunk is None and not p.future.done() for p in self._pending.get(job, {}).values())
        return alone + len(self._chunks.get(job, {}))

    def _read_blobs(self, job: str, names: tuple[str, ...]) -> None:
        readers = self._readers_of.setdefault(job, {})
        for name in names:
            readers[name] = readers.get(name, 0) + 1

    def _unread_blobs(self, job: str, names: tuple[str, ...]) -> list[str]:
        """The blobs of ``names`` that no item of ``job`` still waiting reads: to delete (a new upload of one waits for that)."""
        readers = self._readers_of.get(job, {})
        unread = []
        for name in names:
            readers[name] = readers.get(name, 1) - 1
            if readers[name] <= 0:
                del readers[name]
                self._blobs.get(job, {}).pop(name, None)
                if self._last_blob is not None and self._last_blob[1] == name:
                    self._last_blob = None
                unread.append(name)
        return unread

    def _forget_item(self, job: str, key: str, future: asyncio.Future) -> None:
        self._pending.get(job, {}).pop(key, None)

    def _ensure_reader(self, job: str) -> None:
        if job not in self._readers:
            task = asyncio.get_running_loop().create_task(self._read(job))
            self._readers[job] = task

    async def _read(self, job: str) -> None:
        """Deliver results of ``job`` in completion order; resubmit items whose lease lapsed."""
        next_lease_check = time.monotonic() + _LEASE_CHECK_S
        self._alive[job] = time.monotonic()
        try:
            while True:
                popped = await self._redis.blpop([keys.done(job)], timeout=1)
                if popped is not None:
                    self._alive[job] = time.monotonic()
                    more = await self._redis.lpop(keys.done(job), _TAKE_BATCH - 1) or []
                    names = [popped[1], *more]
                    spent, unread = await self._take_many(job, [n.decode(errors="replace") for n in names])
                    if spent or unread:  # at once: a redelivered task then finds these items over, and runs none of them again
                        await self._delete(spent, unread)
                if time.monotonic() >= next_lease_check:
                    next_lease_check = time.monotonic() + _LEASE_CHECK_S
                    await self._check_leases(job)
                    await self._check_stall(job)
        except redis.RedisError as exc:
            error = BackendError(f"lost the broker at {self._shown}: {exc}")
            for pending in list(self._pending.get(job, {}).values()):
                if not pending.future.done():
                    pending.future.set_exception(error)

    async def _delete(self, spent: list[str], unread: list[str]) -> None:
        """Delete the keys of delivered items and the blobs none waiting reads; an upload of one of those blobs waits."""
        dropping = asyncio.get_running_loop().create_future()
        for name in unread:
            self._dropping[name] = dropping
        try:
            await self._redis.delete(*spent, *unread)
        finally:
            for name in unread:
                if self._dropping.get(name) is dropping:
                    del self._dropping[name]
            dropping.set_result(None)

    async def _take(self, job: str, key: str) -> bool:
        """Deliver the result of item ``key`` if it is one this job waits for, from the worker holding its lease."""
        spent, unread = await self._take_many(job, [key])
        if spent or unread:
            await self._delete(spent, unread)
        return bool(spent)

    async def _take_many(self, job: str, names: list[str]) -> tuple[list[str], list[str]]:
        """Deliver the results of items ``names`` (one round trip for all) that this job waits for, each from the
        worker holding its lease; returns the keys of the items delivered, and the blobs none waiting reads any
        more, to delete (both named before this returns to the loop: an upload of the same blob waits for them)."""
        pipe = self._redis.pipeline(transaction=False)
        for key in names:
            pipe.getdel(keys.result(job, key))
            pipe.get(keys.lease(job, key))
        replies = await pipe.execute()
        spent: list[str] = []
        unread: list[str] = []
        for key, data, holder in zip(names, replies[0::2], replies[1::2], strict=True):
            if data is not None and self._deliver(job, key, data, holder):
                spent += (keys.work(job, key), keys.attempts(job, key), keys.lease(job, key))
                spent += self._chunk_done(job, key)
                unread += self._unread_blobs(job, self._pending[job][key].blobs)
        return spent, unread

    def _chunk_done(self, job: str, key: str) -> list[str]:
        """The chunk key to delete once item ``key`` was the last of its chunk to be delivered."""
        pending = self._pending.get(job, {}).get(key)
        chunks = self._chunks.get(job, {})
        if pending is None or pending.chunk is None or pending.chunk not in chunks:
            return []
        remaining = chunks[pending.chunk]
        remaining.discard(key)
        if remaining:
            return []
        del chunks[pending.chunk]
        return [keys.chunk(job, pending.chunk)]

    def _deliver(self, job: str, key: str, data: bytes, holder: bytes | None) -> bool:
        """Deliver ``data``, the result stored for item ``key``, if it is one this job waits for, from the worker holding its lease."""
        pending = self._pending.get(job, {}).get(key)
        if pending is None or pending.future.done():
            logger.warning("oxcook: ignored a result for %s, an item job %s never submitted or has taken already", key, job)
            return False
        try:
            result = decode(data, expect=RESULT_FOR[pending.work.kind])
        except WireError as exc:  # it names no lease to check: it fails its item by name (a worker of another version, usually)
            result = self._unreadable(pending.work, data, exc)
        else:
            problem = lease_problem(result.lease, holder)
            if problem is not None:
                logger.warning("oxcook: ignored a result for %s (%s): %s", pending.work.source_id, key, problem)
                return False
        pending.future.set_result(result)
        return True

    @staticmethod
    def _unreadable(work: WorkRef, data: bytes, exc: WireError) -> Result:
        """The failed result of ``work`` whose worker stored bytes that are not a result of ours: it fails its item, not the job."""
        version = peek_version(data)
        if version is not None and version != WIRE_VERSION:
            detail = f"the worker speaks wire v{version}, this coordinator v{WIRE_VERSION} (upgrade one of them)"
        else:
            detail = f"a worker returned an unreadable result: {exc.message}"
        return error_result(work, exc.code, f"{work.source_id}: {detail}")

    async def _check_leases(self, job: str) -> None:
        # an item delivered in this turn is still pending until its future's callbacks run: not lost, done
        items = [(key, pending) for key, pending in self._pending.get(job, {}).items() if not pending.future.done()]
        if not items:
            return
        leases = await self._redis.mget([keys.lease(job, key) for key, _ in items])
        for (key, pending), lease in zip(items, leases, strict=True):
            if lease is not None:
                pending.started = True
                self._alive[job] = time.monotonic()
            elif pending.started and not await self._redis.exists(keys.result(job, key)):
                # its worker vanished mid-task (machine lost): run it again elsewhere
                pending.started = False
                await self._publish(job, key, pending)

    async def _check_stall(self, job: str) -> None:
        """No item of ``job`` started or finished for ``stall_timeout``: if no worker answers a ping, fail the job, naming the queue."""
        waiting = [p for p in self._pending.get(job, {}).values() if not p.future.done()]
        if not waiting or time.monotonic() - self._alive.get(job, time.monotonic()) < self.stall_timeout:
            return
        replies = await asyncio.get_running_loop().run_in_executor(self._publisher, lambda: self._app.control.ping(timeout=1.0))
        if replies:  # workers are there, only busy (with other jobs): keep waiting
            self._alive[job] = time.monotonic()
            return
        error = BackendError(
            f"no worker is consuming queue '{self._app.conf.task_default_queue}' on broker {self._shown} "
            f"({len(waiting)} items waited {self.stall_timeout:.0f} s); start one with: oxcook worker --broker {self._shown}"
        )
        for pending in waiting:
            pending.future.set_exception(error)

    async def parallelism(self) -> int:
        """The processes of the workers that announce themselves (``oxcook-workers:*``); 1 when none do."""
        try:
            names = [name async for name in self._redis.scan_iter(match=keys.worker("*"), count=1000)]
            counts = await self._redis.mget(names) if names else []
        except redis.RedisError:
            return 1
        return max(1, sum(int(c) for c in counts if c is not None and c.isdigit()))

    def running(self, job: str) -> int:
        """Items whose lease a worker holds (seen at the last lease check, every few seconds)."""
        return sum(p.started and not p.future.done() for p in self._pending.get(job, {}).values())

    def cancel_job(self, job: str) -> None:
        loop = asyncio.get_running_loop()
        gathering = self._gathering.pop(job, None)
        if gathering is not None:  # never published: nothing of them reached Redis
            if gathering.timer is not None:
                gathering.timer.cancel()
            for _, future in gathering.entries:
                future.cancel()
        task_ids = sorted({t for p in self._pending.get(job, {}).values() for t in p.task_ids})

        def cancel() -> None:
            try:
                self._sync_redis.set(keys.cancel(job), b"1", ex=self._ttl)
                if task_ids:
                    self._app.control.revoke(task_ids)
            except Exception:  # cancelling is best effort; the job ends anyway
                pass

        loop.run_in_executor(self._publisher, cancel)

    async def forget_job(self, job: str) -> None:
        # items still being stored or published must not land after the sweep (a worker would run them)
        gathering = self._gathering.pop(job, None)
        if gathering is not None:
            if gathering.timer is not None:
                gathering.timer.cancel()
            for _, future in gathering.entries:
                future.cancel()
        self._chunks.pop(job, None)
        submits = list(self._submits.pop(job, ()))
        for task in submits:
            task.cancel()
        await asyncio.gather(*submits, return_exceptions=True)
        self._alive.pop(job, None)
        reader = self._readers.pop(job, None)
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        self._pending.pop(job, None)
        self._readers_of.pop(job, None)
        uploads = self._blobs.pop(job, {})
        if uploads:  # an upload still on its thread lands before the sweep (bounded: a blob left behind expires by its TTL)
            await asyncio.wait(uploads.values(), timeout=_UPLOAD_GRACE_S)
        blobs = list(uploads)
        self._last_blob = None

        def sweep() -> None:
            # The work keys first: every worker script (start, finish) checks its work key atomically,
            # so once they are gone no worker can create a key for this job; then everything else.
            work = list(self._sync_redis.scan_iter(match=keys.work(job, "*")))
            if work:
                self._sync_redis.delete(*work)
            names = list(self._sync_redis.scan_iter(match=keys.job_pattern(job))) + blobs + [keys.cancel(job), keys.done(job)]
            self._sync_redis.delete(*names)

        try:
            # on the publisher thread, so a cancel queued before it cannot land after it
            await asyncio.get_running_loop().run_in_executor(self._publisher, sweep)
        except redis.RedisError:
            pass  # the keys carry TTLs; they expire on their own

    async def close(self) -> None:
        self._closed = True
        for job in list(self._readers):
            await self.forget_job(job)
        tasks = [t for group in self._submits.values() for t in group]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()
        self._sync_redis.close()
        self._bulk_redis.close()
        self._uploader.shutdown(wait=False)
        self._publisher.shutdown(wait=False)


def _done_future() -> asyncio.Future:
    """An upload that is over: a blob stored in its chunk's round trip."""
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def _fail(futures: list[asyncio.Future], error: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
