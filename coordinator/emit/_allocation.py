"""Pure bookkeeping for append-only resource files: range reservation and dedup tables.

No I/O here (style rule 13): emitters ask a :class:`RangeAllocator` where a
payload goes and a :class:`ResourceTable` which row it is, then do the writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable

from oxcook.formats import align_up


@dataclass(frozen=True)
class Reservation:
    offset: int  # aligned start of the payload
    padding_start: int  # where zero padding begins (the old end)
    size: int

    @property
    def padding(self) -> int:
        return self.offset - self.padding_start

    @property
    def end(self) -> int:
        return self.offset + self.size


class RangeAllocator:
    """Hands out non-overlapping, aligned ranges after ``start`` (the file's committed size)."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.end = start

    def reserve(self, size: int, alignment: int) -> Reservation:
        offset = align_up(self.end, alignment)
        reservation = Reservation(offset, self.end, size)
        self.end = offset + size
        return reservation


class ResourceTable:
    """Rows of a ``.table`` file: the committed prefix plus the rows this import adds.

    Identical resources share a row: ``add`` returns the existing index when the
    signature of the new row is already present (spec §2.7 dedup), including rows
    read back from disk.
    """

    def __init__(self, rows: list[Any], signature: Callable[[Any], Hashable]) -> None:
        self._signature = signature
        self.rows = list(rows)
        self.committed = len(rows)
        self._by_signature: dict[Hashable, int] = {}
        for i, row in enumerate(rows):
            self._by_signature.setdefault(signature(row), i)

    def __len__(self) -> int:
        return len(self.rows)

    def find(self, row: Any) -> int | None:
        return self._by_signature.get(self._signature(row))

    def add(self, row: Any) -> tuple[int, bool]:
        """The row's index, and whether it is new."""
        sig = self._signature(row)
        existing = self._by_signature.get(sig)
        if existing is not None:
            return existing, False
        self.rows.append(row)
        self._by_signature[sig] = len(self.rows) - 1
        return len(self.rows) - 1, True

    @property
    def new_rows(self) -> list[Any]:
        return self.rows[self.committed :]


def texture_signature(row: Any) -> Hashable:
    """Epoch B's texture signature, plus type and layers (two shapes never share a row)."""
    return ("tex", row.texture_type, row.width, row.height, row.depth, row.array_layers, row.mip_levels, row.format, row.alignment, row.size_bytes, row.content_hash)


def buffer_signature(row: Any) -> Hashable:
    return ("buf", row.usage_flags, row.element_stride, row.element_format, row.size_bytes, row.content_hash)
