"""Sending work to the farm: work items stored in Redis, then Celery tasks that name them.

The work message is stored under ``oxcook:work:<job>:<key>``; the Celery
message (``oxcook.cook_texture``, ``oxcook.build_mesh``) carries only the job,
the key and the source id, so Flower shows the texture, never its bytes. A
chunk's items (their sources inside them) and its item list
(``oxcook:chunk:<job>:<chunk>``) are stored by one command, then one
``oxcook.cook_chunk`` task is published; each item keeps its own work key,
lease, attempts and result. Each task carries a Celery priority from how many
of its job's tasks are out already (:mod:`._fairness`). Publishing runs on one
thread, in order; Redis errors become :class:`BackendError`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import uuid

import redis

from oxcook.worker.farm import keys
from oxcook.worker.wire import MeshWork, TextureChunk, TextureWork, Work, WorkRef, encode

from .._errors import BackendError
from ._fairness import task_priority
from ._farm_blobs import BlobBook
from ._farm_job import FarmJob, FarmLink, Pending

_TASK_NAMES = {TextureWork: keys.TASK_COOK_TEXTURE, MeshWork: keys.TASK_BUILD_MESH}

# Store a chunk's work items and its item list in one command (KEYS: the items' work keys, then the chunk's key;
# ARGV: the expiry, then their values in the same order).
_STORE = """
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[1])
end
return #KEYS
"""


def describe(work: Work) -> str:
    """What Flower shows for a task: the texture, its intent, output format and source size (or the mesh)."""
    if isinstance(work, MeshWork):
        return work.describe()
    size = sum(len(s) for s in work.sources) + sum(os.path.getsize(p) for p in work.paths if os.path.exists(p))
    return f"{work.describe()} {size / 1024:.0f} KiB"


class Dispatch:
    """Stores a job's work items and publishes their tasks (``on_stored``: called once a job has items out, so its
    results are read)."""

    def __init__(self, link: FarmLink, blobs: BlobBook, on_stored) -> None:
        self._link = link
        self._blobs = blobs
        self._on_stored = on_stored
        self._chunk_ids = itertools.count(1)
        self._store = link.redis.register_script(_STORE)

    async def submit(self, job: FarmJob, work: Work, future: asyncio.Future) -> None:
        """Store ``work`` (its sources as blobs) and publish a task of its own for it."""
        key = work.key
        if key in job.pending:
            future.set_exception(BackendError(f"work key {key!r} of job {job.name!r} is already pending (a pipeline bug)"))
            return
        try:
            label = describe(work)
            stored = work
            names: tuple[str, ...] = ()
            if isinstance(work, TextureWork) and work.sources:
                names = tuple([await self._blobs.store(job.name, data) for data in work.sources])
                stored = dataclasses.replace(work, sources=(), blobs=names)
            await self._link.redis.set(keys.work(job.name, key), encode(stored), ex=self._link.ttl)
            pending = Pending(future, WorkRef(type(work), key, work.source_id), label, blobs=names)
            job.add(key, pending)
            self._on_stored(job)
            await self.publish(job, key, pending)
        except redis.RedisError as exc:
            _fail([future], BackendError(f"broker {self._link.shown} failed: {exc}"))
        except BackendError as exc:
            _fail([future], exc)

    async def submit_chunk(self, job: FarmJob, entries: list[tuple[TextureWork, asyncio.Future]]) -> None:
        """Store the work items of ``entries`` (their sources inside them) and their chunk in one command, then
        publish one task for them all."""
        chunk_key = f"chunk{next(self._chunk_ids)}"
        futures = [future for _, future in entries]
        try:
            names: list[str] = []
            values: list[bytes] = []
            items: list[tuple[str, str]] = []
            for work, future in entries:
                if work.key in job.pending or any(work.key == key for key, _ in items):
                    future.set_exception(BackendError(f"work key {work.key!r} of job {job.name!r} is already pending (a pipeline bug)"))
                    continue
                names.append(keys.work(job.name, work.key))
                values.append(encode(work))
                items.append((work.key, work.source_id))
            if not items:
                return
            chunk = TextureChunk(chunk_key, tuple(items), job=job.name)
            await self._store(keys=[*names, keys.chunk(job.name, chunk_key)], args=[self._link.ttl, *values, encode(chunk)])
            out = []
            for work, future in entries:
                if not future.done():
                    pending = Pending(future, WorkRef(TextureWork, work.key, work.source_id), work.source_id, chunk=chunk_key)
                    job.add(work.key, pending)
                    out.append(pending)
            job.chunks[chunk_key] = {key for key, _ in items}
            self._on_stored(job)
            await self._publish_chunk(job, chunk, out)
        except redis.RedisError as exc:
            _fail(futures, BackendError(f"broker {self._link.shown} failed: {exc}"))
        except BackendError as exc:
            _fail(futures, exc)

    async def publish(self, job: FarmJob, key: str, pending: Pending) -> None:
        """Publish the task of item ``key`` (stored already): first, or again after its worker vanished."""
        task_id = str(uuid.uuid4())
        pending.task_ids.append(task_id)
        priority = task_priority(job.queued() - 1, self._link.priority)  # the item itself is counted already
        app = self._link.app

        def send() -> None:
            app.send_task(
                _TASK_NAMES[pending.work.kind],
                args=[job.name, key, pending.work.source_id],
                task_id=task_id,
                argsrepr=f"{pending.label} ({job.name})",
                retry=True,
                priority=priority,
            )

        await self._send(send)

    async def _publish_chunk(self, job: FarmJob, chunk: TextureChunk, items: list[Pending]) -> None:
        task_id = str(uuid.uuid4())
        for item in items:
            item.task_ids.append(task_id)
        priority = task_priority(job.queued() - 1, self._link.priority)  # the chunk itself is counted already
        app, describe_chunk = self._link.app, chunk.describe()

        def send() -> None:
            app.send_task(keys.TASK_COOK_CHUNK, args=[job.name, chunk.key, describe_chunk], task_id=task_id, argsrepr=f"{describe_chunk} ({job.name})", retry=True, priority=priority)

        await self._send(send)

    async def _send(self, send) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._link.publisher, send)
        except Exception as exc:  # kombu's connection errors vary by transport
            raise BackendError(f"cannot publish to the broker at {self._link.shown}: {exc}") from exc


def _fail(futures: list[asyncio.Future], error: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
