"""Small textures several to a farm task: which share one, how many, and when their chunk goes out (pure decisions).

A texture whose cook is estimated short (:func:`worker.cook_estimate_s`, from
its header) is not worth a Celery task of its own: such textures gather into a
chunk (``oxcook.cook_chunk``), up to ``_CHUNK_S`` of estimated cooking and a
share of the job's window per farm process (:func:`chunk_items`). A chunk goes
out once it is full; otherwise once no texture joined it for ``_LINGER_S`` (at
most ``_LINGER_MAX_S`` after its first) — unless the job already has more tasks
out than the farm has processes (:func:`holds`): every process then has a task
waiting behind its current one, and the chunk keeps gathering until it is full
or one of those tasks is done. Results come back in bursts, a few at a time, and
each burst frees a few places in the window; without the hold each burst would go
out as a chunk of its own, and chunks would shrink to a few textures each.

Everything else (large textures, parts of split ones, meshes, several layers,
a size the header does not give, a source over ``INLINE_SOURCE``) goes one per task.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from oxcook.worker.cook import HEADER_BYTES, cook_estimate_s, image_size
from oxcook.worker.wire import MAX_CHUNK_ITEMS, TextureWork, Work

_LINGER_S = 0.003  # a chunk being gathered goes out once no texture joined it for this long ...
_LINGER_MAX_S = 0.02  # ... or this long after its first, whichever comes first (or once it is full)
_CHUNK_S = 0.06  # a chunk's estimated cook: its task's fixed cost (publish, events, round trips) stays a few percent of it
_ALONE_S = 0.02  # a texture estimated to cook this long or longer has a task of its own
_TEXTURE_FIXED_S = 0.001  # what every texture costs a worker besides its pixels (stages, checks, packing)
INLINE_SOURCE = 256 * 1024  # a chunked texture's source up to this size travels inside its work item


@dataclass
class Gathering:
    """The small textures of one job waiting to share a chunk task."""

    entries: list[tuple[TextureWork, asyncio.Future]] = field(default_factory=list)
    estimate_s: float = 0.0
    timer: asyncio.TimerHandle | None = None
    since: float = 0.0  # when its first texture came
    held: bool = False  # its linger is over, but the job had tasks enough out (:func:`holds`)

    def add(self, work: TextureWork, future: asyncio.Future, estimate: float) -> None:
        self.entries.append((work, future))
        self.estimate_s += estimate

    def full(self, items: int) -> bool:
        """Whether it goes out now: ``_CHUNK_S`` of cooking gathered, or ``items`` textures."""
        return self.estimate_s >= _CHUNK_S or len(self.entries) >= items

    def linger_until(self, now: float) -> float:
        """When it goes out if no texture joins it meanwhile."""
        return min(now + _LINGER_S, self.since + _LINGER_MAX_S)

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def chunk_estimate_s(work: Work) -> float | None:
    """A texture's estimated cook when it may share a task with others, or ``None`` when it goes alone: a mesh,
    a part of a split texture, several layers, a size its header does not give, a long cook, or a source too
    large to travel inside its work item."""
    if not isinstance(work, TextureWork) or work.part is not None or len(work.sources) + len(work.paths) != 1:
        return None
    if work.sources:
        if len(work.sources[0]) > INLINE_SOURCE:
            return None
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


def chunk_items(window: int, processes: int) -> int:
    """The most items one chunk takes: a share of the window that leaves every farm process two chunks of it."""
    return max(1, min(MAX_CHUNK_ITEMS, window // (2 * max(1, processes))))


def holds(queued: int, processes: int) -> bool:
    """Whether a chunk whose linger is over keeps gathering: the job has ``queued`` tasks out, more than the
    farm's ``processes`` (each has one waiting behind the one it runs)."""
    return queued > max(1, processes)
