"""Declarative packed little-endian layouts: declare once, derive pack/unpack/size.

A :class:`Layout` is an ordered table of ``(field, type)`` pairs named as in the
spec. It compiles once to a ``struct.Struct`` (``<``, no padding: the engine's
``#pragma pack(1)``) and to a record class (a ``NamedTuple``) holding every
non-reserved field. Types:

* scalars ``u8 u16 u32 u64 i32 f16 f32``;
* arrays ``f32[3]``, ``u32[2]`` … (a tuple in the record);
* ``bytes[n]`` (raw bytes: keys, magic, fixed strings);
* another :class:`Layout` (a nested structure such as ``AssetHeader``).

Fields whose name starts with ``_reserved`` are not in the record: they are
written as zeros and checked to be zero on read.

Readers never trust the buffer: :meth:`Layout.unpack` checks the length first and
raises :class:`~formats._errors.FormatTruncated`; it is the single place where
``struct.error`` could arise, so no other module sees one.
"""

from __future__ import annotations

import re
import struct
from collections import namedtuple
from typing import Any, Iterable, Sequence

from ._errors import FormatCorrupt, FormatTruncated, LayoutError

_SCALARS = {
    "u8": "B",
    "u16": "H",
    "u32": "I",
    "u64": "Q",
    "i32": "i",
    "f16": "e",
    "f32": "f",
}
_TYPE_RE = re.compile(r"^(?P<base>[a-z0-9]+)(?:\[(?P<count>\d+)\])?$")


class _Field:
    __slots__ = ("name", "type", "code", "count", "is_bytes", "sub", "default", "offset", "size")

    def __init__(self, name: str, type_: "str | Layout", default: Any, offset: int) -> None:
        self.sub = type_ if isinstance(type_, Layout) else None
        if self.sub is not None:
            self.name, self.type, self.count, self.is_bytes = name, type_.name, 0, True
            self.code = f"{type_.SIZE}s"
            self.default = type_.make() if default is None else default
            self.offset, self.size = offset, type_.SIZE
            return
        match = _TYPE_RE.match(type_)
        if match is None:
            raise ValueError(f"bad layout type {type_!r} for field {name!r}")
        base, count = match["base"], match["count"]
        self.name = name
        self.type = type_
        self.is_bytes = base == "bytes"
        if self.is_bytes:
            if count is None:
                raise ValueError(f"bytes field {name!r} needs a length")
            self.count = 0
            self.code = f"{count}s"
            zero: Any = bytes(int(count))
        else:
            if base not in _SCALARS:
                raise ValueError(f"unknown scalar {base!r} for field {name!r}")
            self.count = int(count) if count is not None else 0
            self.code = f"{self.count or 1}{_SCALARS[base]}"
            zero = (0,) * self.count if self.count else 0
        self.default = zero if default is None else default
        self.offset = offset
        self.size = struct.calcsize("<" + self.code)


class Layout:
    """One packed structure of the spec, compiled once.

    Args:
        name: the spec's structure name (``IndexHeader``); also the record class name.
        fields: ``(name, type)`` or ``(name, type, default)`` in on-disk order.
        size: the size the spec states; checked at import so a wrong table fails early.

    Attributes:
        SIZE: packed size in bytes.
        Record: the record class; ``Layout.make(**fields)`` builds one with defaults.
        offsets: field name → byte offset (for patches such as the descriptor hash).
    """

    def __init__(self, name: str, fields: Sequence[tuple], *, size: int) -> None:
        self.name = name
        self._fields: list[_Field] = []
        offset = 0
        for spec in fields:
            field = _Field(spec[0], spec[1], spec[2] if len(spec) > 2 else None, offset)
            self._fields.append(field)
            offset += field.size
        self._struct = struct.Struct("<" + "".join(f.code for f in self._fields))
        self.SIZE = self._struct.size
        if self.SIZE != size:
            raise ValueError(f"{name}: declared fields give {self.SIZE} bytes, spec says {size}")
        self.offsets = {f.name: f.offset for f in self._fields}
        public = [f for f in self._fields if not f.name.startswith("_reserved")]
        self._public = public
        self.Record = namedtuple(name, [f.name for f in public], defaults=[f.default for f in public])
        # A flat layout (scalars and bytes only, no nested layout) is read by position: its values are the struct's
        # own, in order, less the reserved ones (each one value, checked to be zero).
        self._flat = all(f.sub is None and not f.count for f in self._fields)
        self._reserved_at = [(i, f) for i, f in enumerate(self._fields) if f.name.startswith("_reserved")]
        self._public_at = [i for i, f in enumerate(self._fields) if not f.name.startswith("_reserved")]

    def __repr__(self) -> str:
        return f"<Layout {self.name} {self.SIZE} B>"

    def make(self, **values: Any) -> Any:
        """A record with the given fields and the declared defaults for the rest."""
        return self.Record(**values)

    def pack(self, record: Any) -> bytes:
        """The record's bytes; reserved fields are zero.

        Raises:
            LayoutError: a value does not fit its field.
        """
        flat: list[Any] = []
        values = record._asdict()
        for field in self._fields:
            value = field.default if field.name.startswith("_reserved") else values[field.name]
            if field.sub is not None:
                value = field.sub.pack(value)
            if field.count:
                if len(value) != field.count:
                    raise LayoutError(f"{self.name}.{field.name}: expected {field.count} values, got {len(value)}")
                flat.extend(value)
            else:
                flat.append(value)
        try:
            return self._struct.pack(*flat)
        except (struct.error, OverflowError, TypeError) as exc:
            raise LayoutError(f"{self.name}: cannot pack {record!r}: {exc}") from exc

    def unpack(self, buf: bytes | memoryview, offset: int = 0, *, where: str = "") -> Any:
        """Read one record at ``offset``.

        Raises:
            FormatTruncated: fewer than ``SIZE`` bytes remain.
            FormatCorrupt: a reserved field is not zero.
        """
        available = len(buf) - offset
        if offset < 0 or available < self.SIZE:
            raise FormatTruncated(where or self.name, offset=offset, needed=self.SIZE, available=available)
        return self._record(buf, offset, where)

    def _record(self, buf: bytes | memoryview, offset: int, where: str, item: int | None = None) -> Any:
        """The record at ``offset`` (``SIZE`` bytes known to be there); ``where`` and ``item`` name it in an error."""
        flat = self._struct.unpack_from(buf, offset)
        if self._flat:
            for i, field in self._reserved_at:
                if flat[i].strip(b"\0") if field.is_bytes else flat[i]:
                    raise FormatCorrupt(_where(where or self.name, item), f"reserved field {field.name} is not zero", offset=offset + field.offset)
            return self.Record._make([flat[i] for i in self._public_at])
        where = _where(where or self.name, item)
        values: dict[str, Any] = {}
        i = 0
        for field in self._fields:
            if field.count:
                value: Any = tuple(flat[i : i + field.count])
                i += field.count
            else:
                value = flat[i]
                i += 1
            if field.sub is not None:
                value = field.sub.unpack(buf, offset + field.offset, where=f"{where}.{field.name}")
            elif field.name.startswith("_reserved"):
                if any(value) if not field.is_bytes else value.strip(b"\0"):
                    raise FormatCorrupt(where, f"reserved field {field.name} is not zero", offset=offset + field.offset)
                continue
            values[field.name] = value
        return self.Record(**values)

    def unpack_array(self, buf: bytes | memoryview, count: int, offset: int = 0, *, where: str = "") -> list[Any]:
        """Read ``count`` consecutive records, checking the whole span first."""
        where = where or self.name
        needed = count * self.SIZE
        if count < 0 or len(buf) - offset < needed:
            raise FormatTruncated(where, offset=offset, needed=needed, available=len(buf) - offset)
        return [self._record(buf, offset + i * self.SIZE, where, i) for i in range(count)]

    def pack_array(self, records: Iterable[Any]) -> bytes:
        return b"".join(self.pack(r) for r in records)


def _where(where: str, item: int | None) -> str:
    return where if item is None else f"{where}[{item}]"


def fixed_str(text: str, size: int) -> bytes:
    """``text`` as a NUL-terminated, NUL-padded ``char[size]``.

    Truncates to ``size - 1`` bytes as the engine's cooker does, without cutting a
    UTF-8 sequence in half.
    """
    raw = text.encode("utf-8")
    if len(raw) > size - 1:
        raw = raw[: size - 1].decode("utf-8", "ignore").encode("utf-8")
    return raw.ljust(size, b"\0")


def read_fixed_str(raw: bytes) -> str:
    """The text of a ``char[n]`` field: up to the first NUL, invalid UTF-8 replaced."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def align_up(value: int, alignment: int) -> int:
    """``value`` rounded up to a multiple of ``alignment`` (> 0)."""
    return (value + alignment - 1) // alignment * alignment
