"""``TextureEmitter``: stable texture indices now, positional payload writes later (seed §5).

Contracts (seed "Emitter Contracts", spec §2.5–§2.9):

1. ``emit`` returns a stable index at once; the row is recorded before any I/O.
2. Identical cooked content is stored once (dedup by signature, rows on disk included).
3. Each payload gets a 256-aligned range reserved after the committed end of
   ``textures.data``; padding is written as zeros; writes are explicit-offset.
4. Index 0 is the engine's fallback texture (D3D12 form), created lazily.
5. ``finalize`` appends the new rows to ``textures.table`` (the committed prefix
   is never rewritten); the session writes the ``.otex`` sidecars it collected.
"""

from __future__ import annotations

from oxcook.formats import (
    TEXTURE_ALIGNMENT,
    TEXTURE_RESOURCE_DESC,
    Epoch,
    FileKind,
    FileRecordInfo,
    fallback_payload,
    fallback_row_fields,
    otex_relpath,
    pack_otex,
)
from oxcook.worker.cook import CookedTexture

from .._types import LooseCookedLayout
from ._allocation import texture_signature
from ._file_io import AsyncFileWriter
from ._resource_files import ResourceFiles
from ._writer import LooseCookedWriter

_ROW = TEXTURE_RESOURCE_DESC[Epoch.B]
FALLBACK_INDEX = 0


class TextureEmitter:
    def __init__(self, writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> None:
        self._layout = layout
        self._files = ResourceFiles(
            writer,
            io,
            _ROW,
            texture_signature,
            table=(FileKind.TEXTURES_TABLE, layout.textures_table),
            data=(FileKind.TEXTURES_DATA, layout.textures_data),
        )
        self._sidecars: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._files)

    def _place(self, payload: bytes, fields: dict) -> tuple[int, bool]:
        return self._files.place(_ROW.make(data_offset=0, **fields), payload, TEXTURE_ALIGNMENT)

    def ensure_fallback(self) -> None:
        """Make sure row 0 exists (a fresh table starts with the fallback texture)."""
        if len(self._files) == 0:
            payload, digest = fallback_payload()
            self._place(payload, dict(size_bytes=len(payload), content_hash=digest, **fallback_row_fields()))

    def emit(self, cooked: CookedTexture, stable_id: str) -> tuple[int, bool]:
        """Record a cooked texture; returns ``(index, is_new)`` immediately."""
        self.ensure_fallback()
        index, is_new = self._place(cooked.payload, cooked.row_fields())
        if self._layout.write_sidecars:
            self._sidecars[otex_relpath(stable_id)] = pack_otex(index, self.row(index))
        return index, is_new

    def row(self, index: int):
        return self._files.table.rows[index]

    def sidecar_files(self) -> dict[str, bytes]:
        """The ``.otex`` sidecars to write (relpath → bytes), one per emitted stable id."""
        return dict(self._sidecars)

    def finalize(self) -> list[FileRecordInfo]:
        """Queue the table append and return the file records for the index
        (the caller drains the writes before committing)."""
        self.ensure_fallback()
        return self._files.finalize()
