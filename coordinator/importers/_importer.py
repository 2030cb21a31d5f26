"""The seed's ``Importer`` interface and format detection.

An importer turns one request into emitted resources and assets. ``import_``
is the preserved synchronous entry point; ``import_async`` is what the
``AsyncImporter`` calls, with the job's :class:`JobContext` (session,
pipelines, config, progress), and its default offloads ``import_`` to a
thread. Importers that cook many resources override ``import_async`` to use
the pipelines. The one table of source kinds, their extensions, magic bytes and
importers, is ``SOURCE_KINDS``.
"""

from __future__ import annotations

import asyncio
import enum
import os
import stat
from abc import ABC
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SourceKind:
    """One kind of source file, declared once: what detection, folder expansion and the importer table read."""

    format: ImportFormat
    extensions: tuple[str, ...]
    importer: tuple[str, str]  # the module (in this package) and class that import it
    scene: bool = False
    magic: Callable[[bytes, str], bool] | None = None  # (first 32 bytes, lower-case suffix) -> is one, whatever its name


# The one table of source kinds: a new format is one line here (and its importer module).
SOURCE_KINDS = (
    SourceKind(ImportFormat.GLB, (".glb",), ("._gltf_importer", "GltfImporter"), scene=True, magic=lambda head, _: head.startswith(b"glTF")),
    SourceKind(
        ImportFormat.FBX,
        (".fbx",),
        ("._fbx_importer", "FbxImporter"),
        scene=True,
        magic=lambda head, suffix: head.startswith(b"Kaydara FBX Binary") or (suffix == ".fbx" and b"FBX" in head),
    ),
    SourceKind(ImportFormat.GLTF, (".gltf",), ("._gltf_importer", "GltfImporter"), scene=True),
    SourceKind(
        ImportFormat.TEXTURES,
        (".png", ".jpg", ".jpeg", ".tga", ".bmp", ".gif", ".dds", ".hdr", ".exr"),
        ("._texture_importer", "TextureSetImporter"),
    ),
)
SCENE_FORMATS = frozenset(kind.format for kind in SOURCE_KINDS if kind.scene)
TEXTURE_EXTENSIONS = tuple(e for kind in SOURCE_KINDS if not kind.scene for e in kind.extensions)
SCENE_EXTENSIONS = tuple(e for kind in SOURCE_KINDS if kind.scene for e in kind.extensions)
_BY_EXTENSION = {e: kind for kind in SOURCE_KINDS for e in kind.extensions}


def detect_format(path: Path) -> ImportFormat:
    """What kind of source ``path`` is: by magic bytes for files (the extension when they are
    unreadable or broken, so the importer names the problem), by contents for folders."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".toml":
        return ImportFormat.TEXTURES
    by_extension = _BY_EXTENSION.get(suffix)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return ImportFormat.UNKNOWN  # a FIFO or device is never opened (it could block forever)
        with open(path, "rb") as fh:
            head = fh.read(32)
    except OSError:  # a scene's importer names the problem; an image that cannot be read is no source
        return by_extension.format if by_extension is not None and by_extension.scene else ImportFormat.UNKNOWN
    for kind in SOURCE_KINDS:
        if kind.magic is not None and kind.magic(head, suffix):
            return kind.format
    return by_extension.format if by_extension is not None else ImportFormat.UNKNOWN


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
