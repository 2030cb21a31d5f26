"""``ResourceFiles``: one ``.table``/``.data`` pair, append-only — what both resource emitters share.

Rows are recorded before any I/O (stable indices); a new payload gets an
aligned range after the committed end of the data file, its padding is written
as zeros, and every write is positional. ``finalize`` appends only the new rows
to the table (the committed prefix is never rewritten).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from oxcook.formats import FileKind, FileRecordInfo, Layout

from ._allocation import RangeAllocator, ResourceTable
from ._file_io import AsyncFileWriter
from ._writer import LooseCookedWriter


class ResourceFiles:
    def __init__(
        self,
        writer: LooseCookedWriter,
        io: AsyncFileWriter,
        row_layout: Layout,
        signature: Callable[[Any], Hashable],
        *,
        table: tuple[FileKind, str],
        data: tuple[FileKind, str],
    ) -> None:
        self._io = io
        self._row = row_layout
        self._table_kind, self._table_relpath = table
        self._data_kind, self._data_relpath = data
        self.table = ResourceTable(writer.read_rows(self._table_kind, row_layout), signature)
        self._data_path = writer.prepare_resource_file(self._data_kind, self._data_relpath)
        self._table_path = writer.prepare_resource_file(self._table_kind, self._table_relpath)
        self._alloc = RangeAllocator(writer.committed_size(self._data_kind))

    def __len__(self) -> int:
        return len(self.table)

    def place(self, row: Any, payload: bytes, alignment: int) -> tuple[int, bool]:
        """The row's index (an identical existing row's, if any) and whether it is new."""
        existing = self.table.find(row)
        if existing is not None:
            return existing, False
        reservation = self._alloc.reserve(len(payload), max(alignment, 1))
        index, _ = self.table.add(row._replace(data_offset=reservation.offset))
        if reservation.padding:
            self._io.write_at(self._data_path, reservation.padding_start, bytes(reservation.padding))
        self._io.write_at(self._data_path, reservation.offset, payload)
        return index, True

    def finalize(self) -> list[FileRecordInfo]:
        """Queue the table append; the file records for the index (sizes once this import's rows are in)."""
        new_rows = self.table.new_rows
        if new_rows:
            self._io.write_at(self._table_path, self.table.committed * self._row.SIZE, self._row.pack_array(new_rows))
        return [
            FileRecordInfo(int(self._table_kind), self._table_relpath, len(self.table) * self._row.SIZE),
            FileRecordInfo(int(self._data_kind), self._data_relpath, self._alloc.end),
        ]
