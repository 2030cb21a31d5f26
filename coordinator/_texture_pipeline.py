"""``TexturePipeline``: pure compute through a backend, results in completion order (seed §2).

``submit`` waits for a free slot of the bounded window
(``texture_queue_capacity``) and returns once the item is queued; ``collect``
returns the next finished item, whichever finished first. A slot is freed when
its result is collected, so memory stays bounded however many textures a job
has. Pipelines never write: the caller hands results to the ``TextureEmitter``.

The pipeline is an async context manager owning one ``asyncio.TaskGroup``:
leaving it (or ``cancel_all``) cancels every item still running.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass
from typing import Protocol

from worker import (
    CookedTexture,
    ImportDiagnostic,
    ImportSeverity,
    TextureImportDesc,
    WireError,
    cooked_from_result,
    decode_message,
    texture_work,
)

from ._backend import ComputeBackend
from ._types import PipelineProgress

_THROUGHPUT_WINDOW_S = 30.0


@dataclass(frozen=True)
class TextureWorkItem:
    """One texture to cook: either source bytes or paths the workers can read."""

    source_id: str
    desc: TextureImportDesc
    sources: tuple[bytes, ...] = ()
    paths: tuple[str, ...] = ()
    tag: object = None  # the caller's correlation data, echoed in the result


@dataclass(frozen=True)
class TextureWorkResult:
    source_id: str
    cooked: CookedTexture | None
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    tag: object = None
    milliseconds: float = 0.0

    @property
    def success(self) -> bool:
        return self.cooked is not None


class ResourcePipeline(Protocol):
    """What every resource pipeline offers (the seed's concept)."""

    async def submit(self, item) -> None: ...

    async def collect(self): ...

    def has_pending(self) -> bool: ...

    def pending_count(self) -> int: ...

    def progress(self) -> PipelineProgress: ...

    def cancel_all(self) -> None: ...


async def drain_pipeline(pipeline: ResourcePipeline, handle) -> None:
    """Collect every pending result of ``pipeline``, calling ``handle(result)`` for each."""
    while pipeline.has_pending():
        handle(await pipeline.collect())


def aggregate_progress(pipelines: list[ResourcePipeline]) -> PipelineProgress:
    snaps = [p.progress() for p in pipelines]
    return PipelineProgress(
        submitted=sum(s.submitted for s in snaps),
        completed=sum(s.completed for s in snaps),
        failed=sum(s.failed for s in snaps),
        in_flight=sum(s.in_flight for s in snaps),
        throughput=sum(s.throughput for s in snaps),
    )


class TexturePipeline:
    def __init__(self, backend: ComputeBackend, *, capacity: int, job: str) -> None:
        self._backend = backend
        self._job = job
        self._slots = asyncio.Semaphore(max(1, capacity))
        self._results: asyncio.Queue[TextureWorkResult] = asyncio.Queue()
        self._group: asyncio.TaskGroup | None = None
        self._submitted = self._completed = self._failed = 0
        self._outstanding = 0  # submitted, not yet collected
        self._done_times: collections.deque[float] = collections.deque()
        self._counter = 0
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> "TexturePipeline":
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(self, *exc_info) -> bool | None:
        if exc_info[0] is not None:
            self.cancel_all()
        return await self._group.__aexit__(*exc_info)

    async def submit(self, item: TextureWorkItem) -> None:
        """Queue ``item`` once the in-flight window has room (backpressure)."""
        await self._slots.acquire()
        self._counter += 1
        key = f"{self._job}:{self._counter}"
        message = texture_work(
            key, item.source_id, item.desc, sources=list(item.sources) or None, paths=None if item.sources else list(item.paths), job=self._job
        )
        self._submitted += 1
        self._outstanding += 1
        task = self._group.create_task(self._run(item, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reject(self, source_id: str, diagnostic: ImportDiagnostic, *, tag: object = None) -> None:
        """Record an item that failed before it could be submitted (its source was unreadable)."""
        await self._slots.acquire()
        self._submitted += 1
        self._outstanding += 1
        self._finish(TextureWorkResult(source_id, None, (diagnostic,), tag))

    def _finish(self, outcome: TextureWorkResult) -> None:
        self._failed += outcome.cooked is None
        self._completed += 1
        self._done_times.append(time.monotonic())
        self._results.put_nowait(outcome)

    async def _run(self, item: TextureWorkItem, message: bytes) -> None:
        start = time.perf_counter()
        raw = await self._backend.submit("texture", message, job=self._job)  # BackendError fails the job
        try:
            result = decode_message(raw, expect="texture-result")
        except WireError as exc:
            result = {"ok": False, "error": exc.to_dict()}
        elapsed = (time.perf_counter() - start) * 1000.0
        if result.get("ok"):
            cooked = cooked_from_result(result)
            outcome = TextureWorkResult(item.source_id, cooked, cooked.diagnostics, item.tag, elapsed)
        else:
            error = result.get("error") or {"code": "texture-error", "message": f"{item.source_id}: failed"}
            diag = ImportDiagnostic(ImportSeverity.ERROR, str(error.get("code")), str(error.get("message")), item.source_id)
            outcome = TextureWorkResult(item.source_id, None, (diag,), item.tag, elapsed)
        self._finish(outcome)

    async def collect(self) -> TextureWorkResult:
        """The next finished item (completion order); frees its window slot."""
        result = await self._results.get()
        self._outstanding -= 1
        self._slots.release()
        return result

    def has_pending(self) -> bool:
        return self._outstanding > 0

    def pending_count(self) -> int:
        return self._outstanding

    def progress(self) -> PipelineProgress:
        now = time.monotonic()
        while self._done_times and now - self._done_times[0] > _THROUGHPUT_WINDOW_S:
            self._done_times.popleft()
        span = (now - self._done_times[0]) if len(self._done_times) > 1 else 0.0
        throughput = (len(self._done_times) - 1) / span if span > 0 else 0.0
        return PipelineProgress(
            submitted=self._submitted,
            completed=self._completed,
            failed=self._failed,
            in_flight=self._submitted - self._completed,
            throughput=throughput,
        )

    def cancel_all(self) -> None:
        """Stop every item: running ones at their next stage boundary, queued ones now."""
        self._backend.cancel_job(self._job)
        for task in list(self._tasks):
            task.cancel()
