"""``BufferEmitter``: stable buffer indices, aligned positional writes (spec §3).

The same contracts as the texture emitter (see ``_resource_files``), with an
all-zero sentinel row 0 in a fresh Epoch-B table ("no buffer") and a
per-buffer placement alignment (vertex buffers at their stride, index buffers
at 4, otherwise 16).
"""

from __future__ import annotations

from oxcook.formats import BUFFER_RESOURCE_DESC, DEFAULT_BUFFER_ALIGNMENT, Epoch, FileKind, FileRecordInfo, content_hash, sentinel_row

from .._types import LooseCookedLayout
from ._allocation import buffer_signature
from ._file_io import AsyncFileWriter
from ._resource_files import ResourceFiles
from ._writer import LooseCookedWriter

_ROW = BUFFER_RESOURCE_DESC[Epoch.B]


class BufferEmitter:
    def __init__(self, writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> None:
        self._files = ResourceFiles(
            writer,
            io,
            _ROW,
            buffer_signature,
            table=(FileKind.BUFFERS_TABLE, layout.buffers_table),
            data=(FileKind.BUFFERS_DATA, layout.buffers_data),
        )
        if len(self._files) == 0:
            self._files.table.rows.append(sentinel_row())

    def __len__(self) -> int:
        return len(self._files)

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
        index, _ = self._files.place(row, data, alignment)
        return index

    def row(self, index: int):
        return self._files.table.rows[index]

    def finalize(self) -> list[FileRecordInfo]:
        return self._files.finalize()
