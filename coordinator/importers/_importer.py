"""The seed's ``Importer`` interface and format detection.

An importer turns one request into emitted resources and assets. ``import_``
is the preserved synchronous entry point; ``import_async`` is what the
``AsyncImporter`` calls, with the job's :class:`JobContext` (session,
pipelines, config, progress), and its default offloads ``import_`` to a
thread. Importers that cook many resources override ``import_async`` to use
the pipelines. The one table of importers is ``IMPORTERS`` in this package.
"""

from __future__ import annotations

import asyncio
import enum
import os
import stat
from abc import ABC
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import ImportRequest
from ..emit import ImportSession

if TYPE_CHECKING:
    from .._job import JobContext


class ImportFormat(enum.Enum):
    UNKNOWN = "unknown"
    TEXTURES = "textures"  # an image, a folder of images, or a TOML manifest
    GLTF = "gltf"
    GLB = "glb"
    FBX = "fbx"


SCENE_FORMATS = frozenset({ImportFormat.GLTF, ImportFormat.GLB, ImportFormat.FBX})
TEXTURE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tga", ".bmp", ".gif", ".dds", ".hdr", ".exr")
SCENE_EXTENSIONS = (".gltf", ".glb", ".fbx")


def detect_format(path: Path) -> ImportFormat:
    """What kind of source ``path`` is: by magic bytes for files (the extension when they are
    unreadable or broken, so the importer names the problem), by contents for folders."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".toml":
        return ImportFormat.TEXTURES
    by_extension = {".gltf": ImportFormat.GLTF, ".glb": ImportFormat.GLB, ".fbx": ImportFormat.FBX}.get(path.suffix.lower())
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return ImportFormat.UNKNOWN  # a FIFO or device is never opened (it could block forever)
        with open(path, "rb") as fh:
            head = fh.read(32)
    except OSError:
        return by_extension or ImportFormat.UNKNOWN
    if head.startswith(b"glTF"):
        return ImportFormat.GLB
    if head.startswith(b"Kaydara FBX Binary") or (path.suffix.lower() == ".fbx" and b"FBX" in head):
        return ImportFormat.FBX
    if by_extension is not None:
        return by_extension
    if path.suffix.lower() in TEXTURE_EXTENSIONS:
        return ImportFormat.TEXTURES
    return ImportFormat.UNKNOWN


class Importer(ABC):
    """One source format's importer."""

    name = "importer"
    formats: frozenset[ImportFormat] = frozenset()

    def import_(self, request: ImportRequest, session: ImportSession) -> None:
        """The synchronous import (override in importers without an async path)."""
        raise NotImplementedError(f"{self.name} has no synchronous import")

    async def import_async(self, request, job: "JobContext") -> None:
        """Default: run the synchronous import on a thread (no parallel cooking)."""
        await asyncio.get_running_loop().run_in_executor(None, self.import_, request, job.session)
