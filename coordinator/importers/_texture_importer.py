"""``TextureSetImporter``: standalone textures — files, folders and manifests — cooked in parallel.

Each texture's header is read first (``_measure``), the textures are put
in one order that depends only on the inputs — longest cooks first
(:func:`schedule`) — and submitted in it to the job's texture pipeline
(bounded by its window); each is placed as soon as it is cooked and every
texture before it is placed. :func:`cook_textures` is the one texture flow;
scene importers use it too, with a callback that emits each material once its
textures are placed. A texture the root's build record vouches for
(``_incremental``) is not read, looked up or placed again: it keeps its row,
and the report says ``unchanged``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from oxcook.formats import Format, otex_relpath
from oxcook.worker import ImportDiagnostic, ImportSeverity, failpoint
from oxcook.worker.cook import quality_figures

from .._memory import HeldBytes, coordinator_budget, human_size, result_estimate
from .._types import ImportPhase, TextureImportRequest, TextureReportEntry, TextureSource
from ..cache import PlannedVerdicts, Stamp, TextureEntry, is_verified
from ..emit import FALLBACK_INDEX, ImportSession
from ..pipelines import TexturePipeline, TextureWorkItem, TextureWorkResult
from ._gates import gate_failures
from ._importer import Importer, ImportFormat
from ._incremental import missing_inputs, recordable, texture_settings_key, texture_verdicts, unchanged_report_entry
from ._measure import Extent, measure
from ._sources import expand_sources

if TYPE_CHECKING:
    from .._job import JobContext


class TextureSetImporter(Importer):
    """Standalone textures: files, folders and manifests, cooked in parallel."""

    name = "textures"
    formats = frozenset({ImportFormat.TEXTURES})

    async def import_async(self, request, job: "JobContext") -> None:
        planned = None
        if isinstance(request, TextureImportRequest):
            textures, planned = list(request.textures), request.planned
        else:
            job.progress(ImportPhase.PARSING, 0, 0, f"scanning {request.source_path}")
            found = await asyncio.get_running_loop().run_in_executor(None, expand_sources, [request.source_path], request.options.textures)
            textures = found.textures
        if request.options.prune:
            await _prune(textures, job)
        await cook_textures(textures, job, planned=planned)


async def _prune(textures: list[TextureSource], job: "JobContext") -> None:
    """Drop the loose textures the build record knows whose files are gone: their entries and their sidecars
    (their rows stay: rows are never rewritten, and another texture may share one; compaction reclaims the bytes)."""
    session = job.session
    gone = missing_inputs(session.previous_record, textures, []).textures
    for source_id in gone:
        session.record_textures[source_id] = None
    if gone and job.session.layout.write_sidecars:
        await session.remove_files([otex_relpath(source_id) for source_id in gone])


def _entry(
    source: TextureSource, index: int, result: TextureWorkResult, is_new: bool, diagnostics, session: ImportSession, figures, why: str = ""
) -> TextureReportEntry:
    row = session.texture_output.row(index)
    return TextureReportEntry(
        source_id=source.source_id,
        index=index,
        preset=source.preset,
        format=Format(row.format).name,
        width=row.width,
        height=row.height,
        mips=row.mip_levels,
        bytes=row.size_bytes,
        cook_ms=round(result.cook_ms, 1),
        queue_ms=round(result.queue_ms, 1),
        cache=result.cache,
        miss_reason=result.miss_reason,
        parts=result.parts,
        path=str(source.paths[0]) if source.paths else "",
        deduplicated=result.cooked is not None and not is_new,
        diagnostics=diagnostics,
        why=why,
        quality=figures,
    )


def _wire_paths(paths, folders: dict[Path, str]) -> tuple[str, ...] | None:
    """The resolved paths as text the wire can carry, or ``None`` when a name has bytes that are not UTF-8 (send its bytes instead).

    ``folders``: the folders resolved so far in this cook (path → resolved), so a folder of thousands of files is
    resolved once: a file that is not a link then resolves to its name in its resolved folder (one ``lstat``)."""
    resolved = tuple(_resolved(Path(p), folders) for p in paths)
    try:
        for path in resolved:
            path.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return resolved


def _resolved(path: Path, folders: dict[Path, str]) -> str:
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = os.path.realpath(path.parent)
    joined = os.path.join(folder, path.name)
    return os.path.realpath(joined) if path.name in ("", ".", "..") or os.path.islink(joined) else joined


def _too_large(source: TextureSource, estimate: int, budget: int) -> ImportDiagnostic:
    message = (
        f"{source.source_id}: its result would take about {human_size(estimate)} in the coordinator, "
        f"over its memory budget of {human_size(budget)} (--memory-budget); refused before cooking"
    )
    return ImportDiagnostic(ImportSeverity.ERROR, "texture-image-too-large", message, source.source_id)


_READ_AHEAD = 32  # files read in one trip to a thread when they are small (a trip costs more than reading a few KiB)
_READ_AHEAD_BYTES = 64 * 1024  # at most this large each: what is read ahead of the window stays under 2 MiB


def _read_files(paths, limit: int | None = None) -> tuple[bytes, ...] | None:
    """The bytes of ``paths`` (one ``read()`` a file: Python sizes the buffer from fstat — 146 MB in 76 ms,
    against 221 ms in 64 KiB chunks joined); ``None`` when one is larger than ``limit``."""
    data = []
    for path in paths:
        with open(path, "rb") as fh:
            if limit is not None and os.fstat(fh.fileno()).st_size > limit:
                return None
            data.append(fh.read())
    return tuple(data)


def _read_ahead(batch: list[tuple[int, tuple]]) -> dict[int, tuple[bytes, ...] | OSError]:
    """The bytes of the small files of ``batch`` (place → paths), read on one thread; a larger file is left out."""
    read: dict[int, tuple[bytes, ...] | OSError] = {}
    for place, paths in batch:
        try:
            data = _read_files(paths, _READ_AHEAD_BYTES)
        except OSError as exc:
            data = exc
        if data is not None:
            read[place] = data
    return read


async def _feed(
    order: list[tuple[TextureSource, tuple[int, int] | None]],
    pipeline: TexturePipeline,
    job: "JobContext",
    window: asyncio.Semaphore,
    holding: HeldBytes,
    taken: dict[int, int],
    read_here: set[str],
) -> None:
    """Submit every texture in order, each once its result fits the coordinator's budget beside those not yet placed
    (``coordinator._memory``): embedded bytes as they are, files by path or read here (with the size its header gave);
    small files are read several at a time.

    Files in ``read_here`` (racy: their stamp cannot vouch for their bytes) are read here, so the bytes hashed
    for the cache key are the bytes cooked."""
    loop = asyncio.get_running_loop()
    ahead: dict[int, tuple[bytes, ...] | OSError] = {}
    folders: dict[Path, str] = {}
    recipes = job.cache is not None and job.cache.enabled  # cache entries name the files that cook them again
    by_bytes = [not source.data and (source.source_id in read_here or not (job.shares_files and _wire_paths(source.paths, folders) is not None)) for source, _ in order]
    for place, (source, size) in enumerate(order):
        await window.acquire()
        refused = next((n for n in source.notes if n.severity == ImportSeverity.ERROR), None)
        estimate = holding.capacity if size is None else result_estimate(source.desc, size, len(source.data) or len(source.paths))
        if refused is None and estimate > holding.capacity:
            refused = _too_large(source, estimate, holding.capacity)
        if refused is None:
            await holding.take(estimate)
            taken[id(source)] = estimate
        if refused is not None:
            ahead.pop(place, None)
            await pipeline.reject(TextureWorkItem(source.source_id, source.desc, tag=source), refused)
        elif source.data:
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=source.data, tag=source, size=size))
        elif not by_bytes[place]:
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, paths=_wire_paths(source.paths, folders), tag=source, size=size))
        else:
            if place not in ahead:
                batch = [(j, order[j][0].paths) for j in range(place, min(place + _READ_AHEAD, len(order))) if by_bytes[j] and order[j][0].paths]
                ahead.update(await loop.run_in_executor(None, _read_ahead, batch))
            data = ahead.pop(place, None)
            try:
                if data is None:
                    data = await loop.run_in_executor(None, _read_files, source.paths)
                if isinstance(data, OSError):
                    raise data
            except OSError as exc:
                diag = ImportDiagnostic(ImportSeverity.ERROR, "texture-file-read-failed", f"{source.source_id}: {exc}", source.source_id)
                await pipeline.reject(TextureWorkItem(source.source_id, source.desc, tag=source), diag)
                continue
            named = (_wire_paths(source.paths, folders) or ()) if recipes else ()  # what a cache entry names to cook it again
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=data, paths=named, tag=source, size=size))


TINY_PIXELS = 64 * 64  # a texture this small cooks in a few milliseconds


def schedule(textures: list[TextureSource], extents: list[Extent]) -> list[tuple[TextureSource, tuple[int, int] | None]]:
    """The order textures are submitted — and placed — in, with their sizes (pure, stable):

    1. tiny textures (at most :data:`TINY_PIXELS`, all layers counted), as given: each
       takes milliseconds, so they cannot make a tail, and the materials that use
       only them are placed and stream out at once;
    2. then the rest, longest cook first — the classic cure for a long tail: the
       textures that take longest start while there is other work to fill the
       remaining workers, instead of starting last on an otherwise idle farm. The
       cook is estimated by pixels (all layers), then by encoded bytes: of two
       images of one size the larger file has more detail, so more distinct
       blocks for the encoder;
    3. textures whose header could not be read last (their workers will say why).

    Placement follows this order whatever order workers finish in, so rows and
    offsets depend only on the inputs; results of smaller textures that finish
    early wait (at most a pipeline window of them) for the larger ones before them.
    """

    def rank(pair: tuple[TextureSource, Extent]) -> tuple[int, int, int]:
        source, extent = pair
        if extent.size is None:
            return (2, 0, 0)
        layers = max(1, len(source.data) or len(source.paths))
        pixels = extent.size[0] * extent.size[1] * layers
        return (0, 0, 0) if pixels <= TINY_PIXELS else (1, -pixels, -extent.file_bytes * layers)

    return [(source, extent.size) for source, extent in sorted(zip(textures, extents), key=rank)]


async def cook_textures(
    textures: list[TextureSource],
    job: "JobContext",
    on_cooked: Callable[[TextureSource, int], None] | None = None,
    *,
    budget: int | None = None,
    planned: PlannedVerdicts | None = None,
) -> dict[str, int]:
    """Cook ``textures`` through the job's texture pipeline and emit them in a deterministic order.

    Workers finish in any order; each result is emitted as soon as every texture
    scheduled before it has been, so rows, offsets and dedup never depend on
    timing, worker count or backend (a reorder window as wide as the pipeline's
    bounds the results held back). A texture that fails resolves to the fallback
    (index 0) with an error diagnostic naming it; the job goes on.
    ``on_cooked(source, index)`` runs after each emission (scene importers emit
    materials from it). ``budget``: the bytes the results may take in the
    coordinator (default: the coordinator's whole budget; a scene gives what
    its geometry leaves). ``planned``: the cook's plan's verdicts on ``textures``, taken
    when the root's record is the very one they were made against (else every
    texture is stat'ed again).

    Returns:
        source id → texture index.
    """
    session = job.session
    output = session.texture_output
    output.ensure_fallback()
    indices: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    record = session.previous_record
    target = job.config.encoder_target
    if planned is not None and record is not None and planned.record is record and len(planned.verdicts) == len(textures):
        verdicts = planned.verdicts
    else:
        verdicts = await loop.run_in_executor(None, texture_verdicts, textures, record, target, session.record_reason)
    todo: list[TextureSource] = []
    why: dict[str, str] = {}
    for source, verdict in zip(textures, verdicts, strict=True):
        entry = record.textures.get(source.source_id) if record is not None else None
        if verdict.unchanged and entry is not None and 0 < entry.index < len(output):
            indices[source.source_id] = entry.index
            for diag in source.notes:
                session.add_diagnostic(diag)
            session.report.textures.append(unchanged_report_entry(source, entry))
            if on_cooked is not None:
                on_cooked(source, entry.index)
        else:
            todo.append(source)
            why[source.source_id] = verdict.reason if recordable(source) else ""
    extents = await loop.run_in_executor(None, measure, todo)
    stamps = {source.source_id: extent.stamps for source, extent in zip(todo, extents, strict=True)}
    # racy now, or racy when last cooked: the stat cache cannot vouch for these bytes either, so they are read here
    read_here = {
        s.source_id
        for s in todo
        if (st := stamps[s.source_id]) is not None and not is_verified(st, session.started_ns)
        or (record is not None and (e := record.textures.get(s.source_id)) is not None and not e.verified)
    }
    order = schedule(todo, extents)
    total = len(order)
    position = {id(source): i for i, (source, _) in enumerate(order)}
    held: dict[int, TextureWorkResult] = {}
    window = asyncio.Semaphore(max(1, job.config.texture_queue_capacity))  # submitted but not yet emitted
    holding, taken = HeldBytes(budget or coordinator_budget(job.config.memory_budget)), {}
    job.progress(ImportPhase.TEXTURES, 0, total, "cooking textures")

    def place(result: TextureWorkResult, done: int, pipeline: TexturePipeline) -> None:
        source: TextureSource = result.tag
        diagnostics = source.notes + tuple(d for d in result.diagnostics if d not in source.notes)
        figures = quality_figures(result.quality) if result.quality is not None else None
        if figures is not None:
            diagnostics += gate_failures(source.source_id, figures, source.gates)
        for diag in diagnostics:
            session.add_diagnostic(diag)
        if result.cooked is not None:
            index, is_new = output.emit(result.cooked, source.source_id)
            failpoint("texture-emitted")
        else:
            index, is_new = FALLBACK_INDEX, False
        indices[source.source_id] = index
        holding.give(taken.pop(id(source), 0))
        entry = _entry(source, index, result, is_new, diagnostics, session, figures, why.get(source.source_id, ""))
        session.report.textures.append(entry)
        if recordable(source):
            session.record_textures[source.source_id] = _record_entry(source, entry, stamps[source.source_id], target, session.started_ns)
        if on_cooked is not None:
            on_cooked(source, index)
        if job.sink is not None:  # a snapshot of the pipeline only for someone who listens
            progress = pipeline.progress()
            job.progress(ImportPhase.TEXTURES, done, total, source.source_id, result.diagnostics, progress.throughput, progress.in_flight)

    async with job.texture_pipeline() as pipeline, asyncio.TaskGroup() as group:
        pipeline.expect(total, room=window)  # a texture is split for idle processes only when no more can come before it is done
        group.create_task(_feed(order, pipeline, job, window, holding, taken, read_here))
        placed = 0
        for _ in range(total):
            result = await pipeline.collect()
            held[position[id(result.tag)]] = result
            while placed in held:
                placed += 1
                place(held.pop(placed - 1), placed, pipeline)
                window.release()
    return indices


def _record_entry(source: TextureSource, report: TextureReportEntry, stamps: tuple[Stamp, ...] | None, target: str, started_ns: int) -> TextureEntry | None:
    """What the build record keeps of a texture this cook cooked; ``None`` (cook it again next time)
    when it failed or its files could not be stamped before they were read."""
    if stamps is None or report.index == FALLBACK_INDEX or any(d.severity == ImportSeverity.ERROR for d in report.diagnostics):
        return None
    return TextureEntry(
        source_id=source.source_id,
        stamps=stamps,
        settings_key=texture_settings_key(source, target),
        index=report.index,
        preset=report.preset,
        format=report.format,
        width=report.width,
        height=report.height,
        mips=report.mips,
        bytes=report.bytes,
        verified=is_verified(stamps, started_ns),
    )
