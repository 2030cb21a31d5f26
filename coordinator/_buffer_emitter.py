"""``BufferEmitter``: stable buffer indices, aligned positional writes (spec §3).

The same contracts as the texture emitter, with an all-zero sentinel row 0 in
a fresh Epoch-B table ("no buffer") and a per-buffer placement alignment
(vertex buffers at their stride, index buffers at 4, otherwise 16).
"""

from __future__ import annotations

from formats import (
    BUFFER_RESOURCE_DESC,
    DEFAULT_BUFFER_ALIGNMENT,
    Epoch,
    FileKind,
    FileRecordInfo,
    content_hash,
    sentinel_row,
)

from ._allocation import RangeAllocator, ResourceTable, buffer_signature
from ._file_io import AsyncFileWriter
from ._types import LooseCookedLayout
from ._writer import LooseCookedWriter

_ROW = BUFFER_RESOURCE_DESC[Epoch.B]


class BufferEmitter:
    def __init__(self, writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> None:
        self._io = io
        self._layout = layout
        self._table = ResourceTable(writer.read_rows(FileKind.BUFFERS_TABLE, _ROW), buffer_signature)
        self._data_path = writer.prepare_resource_file(FileKind.BUFFERS_DATA, layout.buffers_data)
        self._table_path = writer.prepare_resource_file(FileKind.BUFFERS_TABLE, layout.buffers_table)
        self._alloc = RangeAllocator(writer.committed_size(FileKind.BUFFERS_DATA))
        if len(self._table) == 0:
            self._table.rows.append(sentinel_row())

    def __len__(self) -> int:
        return len(self._table)

    def emit(
        self, data: bytes, *, usage_flags: int, element_stride: int = 0, element_format: int = 0, alignment: int = DEFAULT_BUFFER_ALIGNMENT
    ) -> int:
        """Record one buffer; returns its index (never 0) immediately."""
        row = _ROW.make(
            size_bytes=len(data),
            usage_flags=usage_flags,
            element_stride=element_stride,
            element_format=element_format,
            content_hash=content_hash(data),
        )
        existing = self._table.find(row)
        if existing is not None:
            return existing
        reservation = self._alloc.reserve(len(data), max(alignment, 1))
        index, _ = self._table.add(row._replace(data_offset=reservation.offset))
        if reservation.padding:
            self._io.write_at(self._data_path, reservation.padding_start, bytes(reservation.padding))
        self._io.write_at(self._data_path, reservation.offset, data)
        return index

    def row(self, index: int):
        return self._table.rows[index]

    def finalize(self) -> list[FileRecordInfo]:
        new_rows = self._table.new_rows
        if new_rows:
            self._io.write_at(self._table_path, self._table.committed * _ROW.SIZE, _ROW.pack_array(new_rows))
        return [
            FileRecordInfo(int(FileKind.BUFFERS_TABLE), self._layout.buffers_table, len(self._table) * _ROW.SIZE),
            FileRecordInfo(int(FileKind.BUFFERS_DATA), self._layout.buffers_data, self._alloc.end),
        ]
