"""What the farm backend keeps for each job, and the connections its parts share.

A :class:`FarmJob` holds everything of one job: its items waiting for results
(:class:`Pending`), the tasks it has out on the farm, the small textures
gathering into its next chunk, its reader and its submissions still under way.
Each item leaves it when it is delivered (or its future is cancelled), each
chunk once its last item is delivered, and ``forget_job`` drops the job whole:
nothing the backend keeps grows with the items a job has delivered.
:class:`FarmLink` is the farm's connections and settings.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oxcook.worker.wire import WorkRef

from ._farm_chunks import Gathering

if TYPE_CHECKING:
    import redis
    import redis.asyncio as aioredis
    from celery import Celery


@dataclass(frozen=True)
class FarmLink:
    """The farm's connections and settings, shared by the backend's parts."""

    app: "Celery"
    redis: "aioredis.Redis"  # the loop's client: small commands, the reader's blocking pops
    bulk_redis: "redis.Redis"  # source uploads on the uploader's threads (worker.farm.redis_clients)
    uploader: ThreadPoolExecutor
    publisher: ThreadPoolExecutor  # Celery's publishes, one at a time, in order
    ttl: int  # every key a job creates expires after this many seconds
    shown: str  # the broker URL without its password: every message and log line
    priority: str  # the job's --priority (coordinator.backends._fairness)


@dataclass(eq=False)
class Pending:
    """An item stored and published, waiting for its result."""

    future: asyncio.Future
    work: WorkRef  # the item without its bytes: the window may hold many
    label: str
    task_ids: list[str] = field(default_factory=list)
    started: bool = False
    chunk: str | None = None  # the chunk task it went out in (None: a task of its own)
    blobs: tuple[str, ...] = ()  # the blobs it reads: each is deleted once its last reader is delivered


@dataclass(eq=False)
class FarmJob:
    """One job's state in the farm backend."""

    name: str
    pending: dict[str, Pending] = field(default_factory=dict)  # work key -> its item, until delivered
    alone: set[str] = field(default_factory=set)  # items out on a task of their own, not yet delivered
    chunks: dict[str, set[str]] = field(default_factory=dict)  # chunk key -> its items not yet delivered
    gathering: Gathering | None = None  # small textures waiting to share the next chunk task
    reader: asyncio.Task | None = None
    submits: set[asyncio.Task] = field(default_factory=set)  # items still being stored and published
    alive: float = 0.0  # when one of its items last started or finished
    forgotten: bool = False  # its reader stops at its next turn, whatever became of its cancellation

    def queued(self) -> int:
        """Its tasks out on the farm (published, not yet finished): its chunks, and its items of a task of their own."""
        return len(self.alone) + len(self.chunks)

    def waiting(self) -> list[Pending]:
        """Its items published and not yet delivered."""
        return [p for p in self.pending.values() if not p.future.done()]

    def add(self, key: str, pending: Pending) -> None:
        """Count ``pending`` as waiting until its future is done (delivered, failed or cancelled)."""
        self.pending[key] = pending
        if pending.chunk is None:
            self.alone.add(key)
        pending.future.add_done_callback(lambda _f: self._forget(key, pending))

    def _forget(self, key: str, pending: Pending) -> None:
        if self.pending.get(key) is pending:
            del self.pending[key]
        self.alone.discard(key)

    def chunk_done(self, key: str, chunk: str | None) -> bool:
        """Item ``key`` of ``chunk`` was delivered: whether it was the chunk's last (its key is then to delete)."""
        remaining = self.chunks.get(chunk) if chunk is not None else None
        if remaining is None:
            return False
        remaining.discard(key)
        if remaining:
            return False
        del self.chunks[chunk]
        return True

    def fail(self, error: BaseException) -> None:
        """Fail every item it waits for: published, and gathering for a chunk."""
        for pending in self.waiting():
            pending.future.set_exception(error)
        if self.gathering is not None:
            for _, future in self.gathering.entries:
                if not future.done():
                    future.set_exception(error)
