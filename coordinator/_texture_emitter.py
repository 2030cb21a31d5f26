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

from formats import (
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
from worker import CookedTexture

from ._allocation import RangeAllocator, ResourceTable, texture_signature
from ._file_io import AsyncFileWriter
from ._types import LooseCookedLayout
from ._writer import LooseCookedWriter

_ROW = TEXTURE_RESOURCE_DESC[Epoch.B]
FALLBACK_INDEX = 0


class TextureEmitter:
    def __init__(self, writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> None:
        self._io = io
        self._layout = layout
        self._table = ResourceTable(writer.read_rows(FileKind.TEXTURES_TABLE, _ROW), texture_signature)
        self._data_path = writer.prepare_resource_file(FileKind.TEXTURES_DATA, layout.textures_data)
        self._table_path = writer.prepare_resource_file(FileKind.TEXTURES_TABLE, layout.textures_table)
        self._alloc = RangeAllocator(writer.committed_size(FileKind.TEXTURES_DATA))
        self._sidecars: dict[str, bytes] = {}
        self.emitted = 0
        self.deduplicated = 0

    def __len__(self) -> int:
        return len(self._table)

    def _place(self, payload: bytes, fields: dict) -> tuple[int, bool]:
        row = _ROW.make(data_offset=0, **fields)
        existing = self._table.find(row)
        if existing is not None:
            return existing, False
        reservation = self._alloc.reserve(len(payload), TEXTURE_ALIGNMENT)
        index, _ = self._table.add(row._replace(data_offset=reservation.offset))
        if reservation.padding:
            self._io.write_at(self._data_path, reservation.padding_start, bytes(reservation.padding))
        self._io.write_at(self._data_path, reservation.offset, payload)
        return index, True

    def ensure_fallback(self) -> None:
        """Make sure row 0 exists (a fresh table starts with the fallback texture)."""
        if len(self._table) == 0:
            payload, digest = fallback_payload()
            self._place(payload, dict(size_bytes=len(payload), content_hash=digest, **fallback_row_fields()))

    def emit(self, cooked: CookedTexture, stable_id: str) -> tuple[int, bool]:
        """Record a cooked texture; returns ``(index, is_new)`` immediately."""
        self.ensure_fallback()
        index, is_new = self._place(cooked.payload, cooked.row_fields())
        self.emitted += 1
        self.deduplicated += not is_new
        if self._layout.write_sidecars:
            self._sidecars[otex_relpath(stable_id)] = pack_otex(index, self._table.rows[index])
        return index, is_new

    def row(self, index: int):
        return self._table.rows[index]

    def sidecar_files(self) -> dict[str, bytes]:
        """The ``.otex`` sidecars to write (relpath → bytes), one per emitted stable id."""
        return dict(self._sidecars)

    def finalize(self) -> list[FileRecordInfo]:
        """Queue the table append and return the file records for the index
        (the caller drains the writes before committing)."""
        self.ensure_fallback()
        new_rows = self._table.new_rows
        if new_rows:
            self._io.write_at(self._table_path, self._table.committed * _ROW.SIZE, _ROW.pack_array(new_rows))
        return [
            FileRecordInfo(int(FileKind.TEXTURES_TABLE), self._layout.textures_table, len(self._table) * _ROW.SIZE),
            FileRecordInfo(int(FileKind.TEXTURES_DATA), self._layout.textures_data, self._alloc.end),
        ]
