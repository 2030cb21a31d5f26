"""The seed's ``Importer`` interface, format detection, and the texture-set importer.

An importer turns one request into emitted resources and assets. ``import_``
is the preserved synchronous entry point; ``import_async`` is what the
``AsyncImporter`` calls, and its default offloads ``import_`` to a thread.
Importers that cook many resources override ``import_async`` to use the
pipelines: the texture-set importer submits every texture at once and emits
each one as soon as it is cooked, in completion order.
"""

from __future__ import annotations

import asyncio
import enum
from abc import ABC
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from formats import Format
from worker import ImportDiagnostic, ImportSeverity, failpoint

from ._file_io import read_file
from ._session import ImportSession
from ._sources import TEXTURE_EXTENSIONS, expand_sources
from ._texture_pipeline import TexturePipeline, TextureWorkItem, TextureWorkResult
from ._types import ImportPhase, ImportRequest, TextureImportRequest, TextureReportEntry, TextureSource

if TYPE_CHECKING:
    from ._async_importer import AsyncImporter, JobContext


class ImportFormat(enum.Enum):
    UNKNOWN = "unknown"
    TEXTURES = "textures"  # an image, a folder of images, or a TOML manifest
    GLTF = "gltf"
    GLB = "glb"
    FBX = "fbx"


def detect_format(path: Path) -> ImportFormat:
    """What kind of source ``path`` is: by magic bytes for files, by contents for folders."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".toml":
        return ImportFormat.TEXTURES
    try:
        with open(path, "rb") as fh:
            head = fh.read(32)
    except OSError:
        return ImportFormat.UNKNOWN
    if head.startswith(b"glTF"):
        return ImportFormat.GLB
    if head.startswith(b"Kaydara FBX Binary") or (path.suffix.lower() == ".fbx" and b"FBX" in head):
        return ImportFormat.FBX
    if path.suffix.lower() == ".gltf":
        return ImportFormat.GLTF
    if path.suffix.lower() in TEXTURE_EXTENSIONS:
        return ImportFormat.TEXTURES
    return ImportFormat.UNKNOWN


class Importer(ABC):
    """One source format's importer."""

    name = "importer"
    formats: frozenset[ImportFormat] = frozenset()

    def supports(self, fmt: ImportFormat) -> bool:
        return fmt in self.formats

    def import_(self, request: ImportRequest, session: ImportSession) -> None:
        """The synchronous import (override in importers without an async path)."""
        raise NotImplementedError(f"{self.name} has no synchronous import")

    async def import_async(self, request, session: ImportSession, importer: "AsyncImporter", job: "JobContext") -> None:
        """Default: run the synchronous import on a thread (no parallel cooking)."""
        await asyncio.get_running_loop().run_in_executor(None, self.import_, request, session)


class TextureSetImporter(Importer):
    """Standalone textures: files, folders and manifests, cooked in parallel."""

    name = "textures"
    formats = frozenset({ImportFormat.TEXTURES})

    async def import_async(self, request, session: ImportSession, importer: "AsyncImporter", job: "JobContext") -> None:
        if isinstance(request, TextureImportRequest):
            textures = list(request.textures)
        else:
            job.progress(ImportPhase.PARSING, 0, 0, f"scanning {request.source_path}")
            textures = await asyncio.get_running_loop().run_in_executor(None, expand_sources, [request.source_path], request.options.textures)
        await cook_textures(textures, session, importer, job)


def _entry(source: TextureSource, index: int, result: TextureWorkResult, is_new: bool, session: ImportSession) -> TextureReportEntry:
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
        milliseconds=round(result.milliseconds, 1),
        deduplicated=result.cooked is not None and not is_new,
        diagnostics=result.diagnostics,
    )


async def cook_textures(
    textures: list[TextureSource],
    session: ImportSession,
    importer: "AsyncImporter",
    job: "JobContext",
    on_cooked: Callable[[TextureSource, int], None] | None = None,
) -> dict[str, int]:
    """Cook ``textures`` through the texture pipeline and emit each as it finishes.

    A texture that fails resolves to index 0 (the fallback) with an error
    diagnostic naming it; the job goes on. ``on_cooked(source, index)`` runs
    after each emission (scene importers emit materials from it).

    Returns:
        source id → texture index.
    """
    emitter = session.texture_emitter
    emitter.ensure_fallback()
    indices: dict[str, int] = {}
    total = len(textures)
    job.progress(ImportPhase.TEXTURES, 0, total, "cooking textures")
    shares_files = importer.backend_shares_files
    loop = asyncio.get_running_loop()

    async with TexturePipeline(importer.backend, capacity=importer.config.texture_queue_capacity, job=job.key) as pipeline:

        async def feed() -> None:
            for source in textures:
                if source.data:
                    await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=source.data, tag=source))
                    continue
                if shares_files:
                    await pipeline.submit(
                        TextureWorkItem(source.source_id, source.desc, paths=tuple(str(p.resolve()) for p in source.paths), tag=source)
                    )
                    continue
                try:
                    data = tuple([await loop.run_in_executor(None, read_file, p, importer.config.file_read_buffer_size) for p in source.paths])
                except OSError as exc:
                    diag = ImportDiagnostic(ImportSeverity.ERROR, "texture-file-read-failed", f"{source.source_id}: {exc}", source.source_id)
                    await pipeline.reject(source.source_id, diag, tag=source)
                    continue
                await pipeline.submit(TextureWorkItem(source.source_id, source.desc, sources=data, tag=source))

        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            for done in range(1, total + 1):
                result = await pipeline.collect()
                source: TextureSource = result.tag
                for diag in result.diagnostics:
                    session.add_diagnostic(diag)
                if result.cooked is not None:
                    index, is_new = emitter.emit(result.cooked, source.source_id)
                    failpoint("texture-emitted")
                else:
                    index, is_new = 0, False
                indices[source.source_id] = index
                session.report.textures.append(_entry(source, index, result, is_new, session))
                if on_cooked is not None:
                    on_cooked(source, index)
                job.progress(ImportPhase.TEXTURES, done, total, source.source_id, result.diagnostics, pipeline.progress().throughput)
    return indices
