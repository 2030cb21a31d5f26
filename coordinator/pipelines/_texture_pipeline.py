"""``TexturePipeline``: textures cooked through a backend, results in completion order (seed §2).

An item is a :class:`TextureWorkItem` (source bytes, or paths the workers can
read); what ``collect`` returns is a :class:`TextureWorkResult` — the cooked
texture, or the diagnostics that say why there is none. The window and
cancellation are :class:`WorkPipeline`'s.

A texture of at least ``split_above`` pixels (its item's ``size``, which the
importer read from its header before any worker decodes it) is split: one work item per part (``TextureWork.part``),
each encoding its bands on its own process or farm worker, and the parts are
joined into the payload an unsplit cook writes, byte for byte
(:func:`worker.join_texture_parts`). The join is checked like any result.
A smaller texture is split too when processes would otherwise idle, as when one
edited texture is all a re-cook has to do: every submitted item has its cache
answer (hits need no process), fewer of this pipeline's items need the backend
than it has processes, and no more can come before it is done — the caller has
submitted every item it announced (``expect``), or its window is full behind
this texture, the earliest whose result is not in. It gets as many parts as are
idle and its encode is worth (:func:`worker.split_worth`: each part encodes
several times the decode it repeats). While it waits to know, the items after it
wait too, so it is not overtaken.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import stat
import time
from dataclasses import dataclass

from oxcook.formats import TextureType
from oxcook.worker import ImportDiagnostic, default_encoder_target
from oxcook.worker.cook import HEADER_BYTES, CookedTexture, QualitySums, TextureImportDesc, image_size, join_texture_parts, split_worth
from oxcook.worker.wire import MAX_PARTS, TextureResult, TextureWork, error_result

from .._config import SPLIT_ABOVE
from ..cache import Lookup
from ._checks import TextureExpectation, expected_texture, shape_problem, texture_result_problem
from ._pipeline import WorkPipeline

_PIXELS_PER_PART = 4 * 2**20  # at most one part per 4 Mpix (a 2048² level's encode), so parts stay worth a process
_INLINE_CHECK_BYTES = 64 * 1024  # results up to this size are checked on the loop (hashing them takes microseconds)
_PROCESSES_TTL_S = 5.0  # how long the backend's process count is reused (a farm's is a scan of its workers' presence)


@dataclass(frozen=True)
class TextureWorkItem:
    """One texture to cook: either source bytes or paths the workers can read."""

    source_id: str
    desc: TextureImportDesc
    sources: tuple[bytes, ...] = ()
    paths: tuple[str, ...] = ()  # beside ``sources``: the files they were read from (what a cache entry's recipe names)
    tag: object = None  # the caller's correlation data, echoed in the result
    size: tuple[int, int] | None = None  # (width, height) from its header, where the caller read it: what a split is planned from and every result is checked against (read here if not given)


@dataclass(frozen=True, kw_only=True)
class TextureWorkResult:
    """A texture's outcome under the id of the item that asked for it (``cooked`` names no source; ``diagnostics`` name
    this one): what its placement needs."""

    source_id: str
    cooked: CookedTexture | None
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    tag: object = None
    cook_ms: float = 0.0  # time its worker spent cooking it
    queue_ms: float = 0.0  # the rest of the time from submission to result: waiting for a worker, transport
    cache: str = "off"  # "hit" | "miss" | "off"
    miss_reason: str = ""
    parts: int = 1  # processes or farm workers its cook was split across
    quality: QualitySums | None = None  # what its quality figures are made of, when the cook asked for them

    @property
    def success(self) -> bool:
        return self.cooked is not None


class TexturePipeline(WorkPipeline[TextureWorkItem, TextureWorkResult]):
    kind = "texture"

    def __init__(
        self, backend, *, capacity: int, job: str, cache=None, encoder_target: str | None = None, split_above: int = SPLIT_ABOVE, verifier=None, quality: bool = True
    ) -> None:
        super().__init__(backend, capacity=capacity, job=job, cache=cache, verifier=verifier)
        self.quality = quality  # workers measure quality figures (a cache entry without them is then a miss)
        self.encoder_target = encoder_target or default_encoder_target()
        self.split_above = split_above  # 0: never split
        self._split: dict[str, int] = {}  # work key -> parts, for the items that were split
        self._busy = 0  # processes this pipeline's computing items take or wait for (a part counts one)
        self._processes: tuple[float, int] | None = None  # (when asked, the backend's process count)
        self._places = itertools.count()
        self._place: dict[str, int] = {}  # work key -> its place in the order items were submitted, until its outcome
        self._deciding: set[int] = set()  # places of the items waiting to decide whether to split

    def _work(self, key: str, item: TextureWorkItem) -> TextureWork:
        self._place[key] = next(self._places)
        return TextureWork(
            key,
            item.source_id,
            item.desc,
            job=self._job,
            sources=item.sources,
            paths=() if item.sources else item.paths,
            encoder_target=self.encoder_target,
            quality=self.quality,
        )

    def _outcome(self, item: TextureWorkItem, work: TextureWork, result: TextureResult, milliseconds: float, lookup: Lookup) -> TextureWorkResult:
        cooked = result.cooked
        cook_ms = 0.0 if lookup.status == "hit" and result is lookup.result else result.cook_ms
        queue_ms = max(milliseconds - cook_ms, 0.0)
        diagnostics = tuple(d.about(item.source_id) for d in cooked.diagnostics) if cooked is not None else (result.error,)
        parts = self._split.pop(work.key, 1)
        self._place.pop(work.key, None)
        quality = cooked.quality if cooked is not None and work.quality else None
        return TextureWorkResult(
            source_id=item.source_id,
            cooked=cooked,
            diagnostics=diagnostics,
            tag=item.tag,
            cook_ms=cook_ms,
            queue_ms=queue_ms,
            cache=lookup.status,
            miss_reason=lookup.reason,
            parts=parts,
            quality=quality,
        )

    async def _compute(self, item: TextureWorkItem, work: TextureWork) -> TextureResult:
        self._busy += 1
        self._notify()
        place = self._place[work.key]
        await self._until(lambda: not self._deciding or min(self._deciding) > place)  # never ahead of an earlier one still deciding
        parts = await self._parts(item, work, place)
        self._busy += parts - 1  # before the next await: the items that follow see these processes taken
        if parts < 2:
            return await self._counted(work, work.key)
        self._split[work.key] = parts
        works = [dataclasses.replace(work, key=f"{work.key}.{k}", part=(k, parts), cache_key="") for k in range(parts)]
        results = await asyncio.gather(*(self._counted(w, work.key) for w in works))
        return await asyncio.get_running_loop().run_in_executor(None, joined_result, work, results, _expected(item))  # placing and hashing megabytes: off the loop

    async def _counted(self, work: TextureWork, owner: str) -> TextureResult:
        try:
            return await self._cooked(work, owner)
        finally:
            self._busy -= 1

    async def _parts(self, item: TextureWorkItem, work: TextureWork, place: int) -> int:
        """How many parts ``work`` is cooked in: 1 unless it is one 2D image whose header said at least
        ``split_above`` pixels, or whose encode is worth parts for processes that would otherwise idle."""
        if self.split_above <= 0 or work.desc.texture_type != TextureType.TEXTURE_2D or len(work.sources) + len(work.paths) != 1 or item.size is None:
            return 1
        pixels = item.size[0] * item.size[1]
        if pixels >= self.split_above:
            return min(await self._process_count(), MAX_PARTS, max(2, pixels // _PIXELS_PER_PART))
        worth = split_worth(work.desc, *item.size)
        if worth < 2:
            return 1
        processes = await self._process_count()
        # Wait (milliseconds) until what will take the processes is known; the items after this one wait meanwhile
        # (``_compute``): the largest texture, cooked first, is not overtaken by the small ones.
        self._deciding.add(place)
        try:
            free = await self._until(lambda: self._free_for(place, processes))
        finally:
            self._deciding.discard(place)
            self._notify()
        return max(1, min(free, worth, MAX_PARTS))

    def _free_for(self, place: int, processes: int) -> int | None:
        """The processes the item at ``place`` may split across — 1: none besides its own — or ``None`` while that is not known
        (a true value once known: :meth:`_until` waits for it)."""
        free = processes - (self._busy - 1)
        if free < 2:
            return 1  # the others that need a process fill all but its own
        if self._at_cache:
            return None  # they may be hits (no process) or need one: their answers come in milliseconds
        if not self._to_come:
            return free  # everything was handed over and answered
        if self._room is None or min(self._place.values()) != place:
            return 1  # more is coming at any time, or as soon as an earlier texture, still cooking, is done
        return free if self._room.locked() else None  # full behind this one: nothing comes until it is done

    async def _process_count(self) -> int:
        now = time.monotonic()
        if self._processes is None or now - self._processes[0] > _PROCESSES_TTL_S:
            self._processes = (now, await self._backend.parallelism())
        return self._processes[1]

    def _problem(self, item: TextureWorkItem, work: TextureWork, result: TextureResult) -> str | None:
        # a split texture's payload was built and hashed here, by the join: its megabytes are not hashed twice
        return texture_result_problem(work, _expected(item), result.cooked, verify_hash=work.key not in self._split)

    def _checks_inline(self, item: TextureWorkItem, result: TextureResult) -> bool:
        return item.size is not None and len(result.cooked.payload) <= _INLINE_CHECK_BYTES

    def _refused(self, item: TextureWorkItem, diagnostic: ImportDiagnostic) -> TextureWorkResult:
        return TextureWorkResult(source_id=item.source_id, cooked=None, diagnostics=(diagnostic,), tag=item.tag)

    def _recipe(self, item: TextureWorkItem, work: TextureWork, digest: str) -> TextureWork | None:
        paths = work.paths or item.paths
        if not paths:
            return None  # embedded bytes (a glTF's image): the entry cannot name them
        return dataclasses.replace(work, key=digest, job="", sources=(), paths=paths, blobs=(), cache_key="", part=None)


def _expected(item: TextureWorkItem) -> TextureExpectation | None:
    """What the cook of ``item`` must be, from its settings and its header's size (never from a worker): the size
    the caller read, else read here (blocking: called off the loop)."""
    return expected_texture(item.desc, item.size or _header_size(item), len(item.sources) or len(item.paths))


def _header_size(item: TextureWorkItem) -> tuple[int, int] | None:
    """``(width, height)`` from the header of the item's first image, or ``None`` when it cannot be read there."""
    if item.sources:
        return image_size(item.sources[0], item.source_id)
    try:  # non-blocking, regular files only: a FIFO named by a caller cannot hang the check
        with open(os.open(item.paths[0], os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            head = fh.read(HEADER_BYTES)
            return image_size(head, item.source_id) or (image_size(head + fh.read(), item.source_id) if len(head) == HEADER_BYTES else None)
    except (OSError, IndexError):
        return None


def joined_result(work: TextureWork, results: list[TextureResult], expected: TextureExpectation | None) -> TextureResult:
    """One result for ``work`` from the results of its parts: the first failure, or the joined texture.

    Each part must claim the shape the coordinator expects before any is placed: the rows a part
    must hold are then those its place in that shape gives it (the join counts them), and a part
    claiming another size never makes the join allocate for it."""
    failed = next((r for r in results if not r.ok), None)
    if failed is not None:
        return dataclasses.replace(failed, key=work.key)
    for k, part in enumerate(results):
        problem = shape_problem(expected, part.cooked)
        if problem is not None:
            message = f"{work.source_id}: a worker returned a part that is not what was asked: part {k + 1} of {len(results)}: {problem}"
            return error_result(work, "worker-result-invalid", message)
    try:
        cooked = join_texture_parts([r.cooked for r in results], work.desc)
    except ValueError as exc:
        return error_result(work, "worker-result-invalid", f"{work.source_id}: the parts of a split texture do not fit together: {exc}")
    return TextureResult(work.key, work.source_id, cooked, cook_ms=max(r.cook_ms for r in results))
