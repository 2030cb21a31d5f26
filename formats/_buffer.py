"""``buffers.table`` rows (spec §3): ``BufferResourceDesc`` and its usage flags.

Epoch B rows are 29 bytes and row 0 of a fresh table is an all-zero sentinel
("no buffer"); Epoch A rows are 32 bytes (3 reserved) with no sentinel.
"""

from __future__ import annotations

import enum

from ._index import Epoch
from ._layout import Layout


class BufferUsage(enum.IntFlag):
    """``BufferResource::UsageFlags`` (u32)."""

    NONE = 0
    VERTEX = 0x01
    INDEX = 0x02
    CONSTANT = 0x04
    STORAGE = 0x08
    INDIRECT = 0x10
    CPU_WRITABLE = 0x20
    CPU_READABLE = 0x40
    DYNAMIC = 0x80
    STATIC = 0x100
    IMMUTABLE = 0x200


UPDATE_FREQUENCY = BufferUsage.DYNAMIC | BufferUsage.STATIC | BufferUsage.IMMUTABLE

_BUFFER_ROW_FIELDS = [
    ("data_offset", "u64"),
    ("size_bytes", "u32"),
    ("usage_flags", "u32"),
    ("element_stride", "u32"),
    ("element_format", "u8"),
    ("content_hash", "u64"),
]

BUFFER_RESOURCE_DESC = {
    Epoch.A: Layout("BufferResourceDesc", _BUFFER_ROW_FIELDS + [("_reserved", "bytes[3]")], size=32),
    Epoch.B: Layout("BufferResourceDesc", _BUFFER_ROW_FIELDS, size=29),
}

# The engine's mesh buffers (§3.1): 72-byte vertices, u32 indices.
VERTEX_STRIDE = 72
VERTEX_ALIGNMENT = VERTEX_STRIDE
INDEX_ALIGNMENT = 4
DEFAULT_BUFFER_ALIGNMENT = 16


def sentinel_row() -> object:
    """Row 0 of an Epoch-B buffers table: all zero, meaning "absent"."""
    return BUFFER_RESOURCE_DESC[Epoch.B].make()


def buffer_row_problem(row: object) -> str | None:
    """The runtime's invariants for a row (§3.1), or ``None``."""
    usage = BufferUsage(row.usage_flags & 0x3FF)
    if row.usage_flags & ~0x3FF:
        return f"unknown usage bits 0x{row.usage_flags & ~0x3FF:x}"
    if bin(int(usage & UPDATE_FREQUENCY)).count("1") > 1:
        return "more than one of Dynamic, Static and Immutable"
    if row.element_format and row.element_stride:
        return "a formatted buffer must have element_stride 0"
    if not row.element_format and row.size_bytes:
        if row.element_stride == 0:
            return "a raw or structured buffer needs a non-zero element_stride"
        if row.size_bytes % row.element_stride:
            return f"size {row.size_bytes} is not a multiple of the stride {row.element_stride}"
    return None
