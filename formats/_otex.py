"""The ``.otex`` texture sidecar (spec §2.9, Epoch B tooling).

One 51-byte file per emitted texture, ``Resources/Textures/<stem>_<fnv64hex>.otex``:
magic ``OTEX``, version 1, the resource index and a copy of the table row. The
runtime never reads them and the index does not list them; the engine's JSON
material tooling uses them to turn a texture's virtual path into a table index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import FormatCorrupt, FormatNotRecognized
from ._index import Epoch
from ._layout import Layout
from ._texture import TEXTURE_RESOURCE_DESC
from ._texture_payload import fnv1a64

OTEX_MAGIC = b"OTEX"
OTEX_VERSION = 1
OTEX_DIR = "Resources/Textures"

OTEX_HEADER = Layout(
    "OtexHeader",
    [("magic", "bytes[4]", OTEX_MAGIC), ("version", "u16", OTEX_VERSION), ("_reserved", "bytes[2]"), ("resource_index", "u32")],
    size=12,
)
OTEX_SIZE = OTEX_HEADER.SIZE + TEXTURE_RESOURCE_DESC[Epoch.B].SIZE


@dataclass(frozen=True)
class OtexSidecar:
    resource_index: int
    row: object  # TextureResourceDesc record (Epoch B)


_MAX_STEM = 96  # a file name well inside every file system's 255-byte limit


def otex_relpath(stable_id: str) -> str:
    """``Resources/Textures/<sanitized stem>_<16 hex FNV-1a-64 of the stable id>.otex``."""
    leaf = stable_id.replace("\\", "/").rsplit("/", 1)[-1]
    stem = leaf.rsplit(".", 1)[0] if "." in leaf else leaf
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:_MAX_STEM] or "texture"  # the hash keeps a cut name unique
    return f"{OTEX_DIR}/{stem}_{fnv1a64(stable_id.encode('utf-8', 'surrogateescape')):016x}.otex"


def pack_otex(resource_index: int, row: object) -> bytes:
    return OTEX_HEADER.pack(OTEX_HEADER.make(resource_index=resource_index)) + TEXTURE_RESOURCE_DESC[Epoch.B].pack(row)


def unpack_otex(data: bytes, *, where: str = "otex") -> OtexSidecar:
    if data[:4] != OTEX_MAGIC:
        raise FormatNotRecognized(where, "not an .otex sidecar (magic 'OTEX' missing)", offset=0)
    header = OTEX_HEADER.unpack(data, 0, where=where)
    if header.version != OTEX_VERSION:
        raise FormatCorrupt(where, f"sidecar version {header.version}, expected {OTEX_VERSION}", offset=4)
    row = TEXTURE_RESOURCE_DESC[Epoch.B].unpack(data, OTEX_HEADER.SIZE, where=f"{where}:TextureResourceDesc")
    return OtexSidecar(header.resource_index, row)
