"""``TextureSetImporter``: standalone textures — files, folders and manifests — cooked in parallel.

Every texture is submitted to the job's texture pipeline at once (bounded by
its window) and emitted the moment it is cooked, in completion order.
:func:`cook_textures` is the one texture flow; scene importers use it too,
with a callback that emits each material once its textures are placed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

from formats import Format
from worker import ImportDiagnostic, ImportSeverity, failpoint

from .._types import ImportPhase, TextureImportRequest, TextureReportEntry, TextureSource
from ..emit import FALLBACK_INDEX, ImportSession, read_file
from ..pipelines import TexturePipeline, TextureWorkItem, TextureWorkResult
from ._importer import Importer, ImportFormat
from ._sources import expand_sources

if TYPE_CHECKING:
    from .._job import JobContext


class TextureSetImporter(Importer):
    """Standalone textures: files, folders and manifests, cooked in parallel."""

    name = "textures"
    formats = frozenset({ImportFormat.TEXTURES})

    async def import_async(self, request, job: "JobContext") -> None:
        if isinstance(request, TextureImportRequest):
            textures = list(request.textures)
        else:
            job.progress(ImportPhase.PARSING, 0, 0, f"scanning {request.source_path}")
            found = await asyncio.get_running_loop().run_in_executor(None, expand_sources, [request.source_path], request.options.textures)
            textures = found.textures
        await cook_textures(textures, job)


def _entry(source: TextureSource, index: int, result: TextureWorkResult, is_new: bool, diagnostics, session: ImportSession) -> TextureReportEntry:
    row = session.texture_emitter.row(index)
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
        deduplicated=result.cooked is not None and not is_new,
        diagnostics=diagnostics,
    )


async def _feed(textures: list[TextureSource], pipeline: TexturePipeline, job: "JobContext") -> None:
    """Submit every texture: embedded bytes as they are, files by path or read here."""
    loop = asyncio.get_running_loop()
    for source in textures:
        if source.data:
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=source.data, tag=source))
        elif job.shares_files:
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, paths=tuple(str(p.resolve()) for p in source.paths), tag=source))
        else:
            try:
                data = tuple([await loop.run_in_executor(None, read_file, p, job.config.file_read_buffer_size) for p in source.paths])
            except OSError as exc:
                diag = ImportDiagnostic(ImportSeverity.ERROR, "texture-file-read-failed", f"{source.source_id}: {exc}", source.source_id)
                await pipeline.reject(TextureWorkItem(source.source_id, source.desc, tag=source), diag)
                continue
            await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=data, tag=source))


async def cook_textures(
    textures: list[TextureSource],
    job: "JobContext",
    on_cooked: Callable[[TextureSource, int], None] | None = None,
) -> dict[str, int]:
    """Cook ``textures`` through the job's texture pipeline and emit each as it finishes.

    A texture that fails resolves to the fallback (index 0) with an error
    diagnostic naming it; the job goes on. ``on_cooked(source, index)`` runs
    after each emission (scene importers emit materials from it).

    Returns:
        source id → texture index.
    """
    session = job.session
    emitter = session.texture_emitter
    emitter.ensure_fallback()
    indices: dict[str, int] = {}
    total = len(textures)
    job.progress(ImportPhase.TEXTURES, 0, total, "cooking textures")
    async with job.texture_pipeline() as pipeline, asyncio.TaskGroup() as group:
        group.create_task(_feed(textures, pipeline, job))
        for done in range(1, total + 1):
            result = await pipeline.collect()
            source: TextureSource = result.tag
            diagnostics = source.notes + result.diagnostics
            for diag in diagnostics:
                session.add_diagnostic(diag)
            if result.cooked is not None:
                index, is_new = emitter.emit(result.cooked, source.source_id)
                failpoint("texture-emitted")
            else:
                index, is_new = FALLBACK_INDEX, False
            indices[source.source_id] = index
            session.report.textures.append(_entry(source, index, result, is_new, diagnostics, session))
            if on_cooked is not None:
                on_cooked(source, index)
            job.progress(ImportPhase.TEXTURES, done, total, source.source_id, result.diagnostics, pipeline.progress().throughput)
    return indices
