"""One cook-cache entry's bytes: a checked frame around a wire-encoded result (shared by coordinators and workers).

::

    "OXCE"  u8 version=4  32-byte SHA-256 of the rest  u32 meta length  meta  body
    meta: msgpack map {"key": str, "cooked_by": str, "recipe": bytes (a wire-encoded TextureWork naming its paths), optional}
    body: a TextureResult or MeshResult, wire-encoded: the bytes it crossed its last hop in

The body is the result's bytes as they arrived (:func:`~worker.wire.encoded`), never an encoding of its own:
a payload is encoded once by the worker that cooked it. Its hop's own fields (its work key, the lease its
worker held, its cook time) are no part of the entry: the meta's ``key`` is the cache key it is kept under,
and :func:`read_entry` returns the result under that key, with neither lease nor cook time.

The meta says who cooked the result (a farm worker's hostname, ``local`` for a
coordinator's own pool) and, for a texture cooked from files, what cooking it
again needs (its paths, settings and encoder target), so ``oxcook cache
verify`` can audit it. Neither is part of the result or of its key: the
payload bytes are the same whoever cooked them.

A frame that is short, of an unknown version, whose bytes do not hash to its
checksum, or whose body is not a result for this key is corrupt: the reader
treats it as a miss (``entry corrupt``) and it is cooked again — a corrupt
entry can never reach a container. A frame of an older version is outdated
(:class:`OutdatedEntry`, a miss that says ``entry of an older format``) and is
cooked again in this one. A texture entry holds the sums of its quality
figures unless it was cooked without them (:func:`lacks_quality`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from dataclasses import dataclass

import msgpack

from ..wire import MeshResult, MeshWork, TextureResult, TextureWork, WireError, decode, encode, encoded

MAGIC = b"OXCE"
VERSION = 4
_HEADER = len(MAGIC) + 1 + 32
_META_LENGTH = struct.Struct("<I")


class CorruptEntry(Exception):
    """The bytes are not a valid entry for the key asked for."""


class OutdatedEntry(CorruptEntry):
    """The bytes are an entry of an older frame version: cooked again, and kept in this one."""


@dataclass(frozen=True)
class CacheEntry:
    """What an entry holds: the result, who cooked it (``""``: the entry does not say) and its recipe, if any."""

    result: TextureResult | MeshResult
    cooked_by: str = ""
    recipe: TextureWork | None = None


def lacks_quality(result: TextureResult | MeshResult, work: TextureWork | MeshWork) -> bool:
    """Whether ``result`` (a cached texture cooked without its quality figures) cannot serve ``work``, which asks
    for them: it is cooked again, and the new entry, with them, serves both kinds of cook."""
    return isinstance(work, TextureWork) and work.quality and result.cooked is not None and result.cooked.quality is None


def pack_entry(result: TextureResult | MeshResult, *, key: str, cooked_by: str = "", recipe: TextureWork | None = None) -> bytes:
    """The entry's bytes: ``result`` kept under the cache key ``key``, in the bytes it arrived in when it has them.
    ``recipe``: the work item by paths that cooks ``result`` again (never source bytes)."""
    if recipe is not None and not recipe.paths:
        raise ValueError(f"{recipe.source_id}: a recipe names its sources by path")
    meta = {"key": key, "cooked_by": cooked_by}
    if recipe is not None:
        meta["recipe"] = encode(recipe)
    meta_bytes = msgpack.packb(meta, use_bin_type=True)
    rest = b"".join((_META_LENGTH.pack(len(meta_bytes)), meta_bytes, encoded(result)))
    return MAGIC + bytes([VERSION]) + hashlib.sha256(rest).digest() + rest


def read_entry(data: bytes, key: str, kind: type | tuple[type, ...]) -> CacheEntry:
    """The result in an entry (under ``key``, with no lease and no cook time), who cooked it and its recipe.

    Raises:
        OutdatedEntry: a frame of an older version.
        CorruptEntry: truncated, an unknown version, a checksum mismatch, a malformed meta, or not a successful
            ``kind`` for ``key``.
    """
    if len(data) < _HEADER or data[:4] != MAGIC:
        raise CorruptEntry("not an oxcook cache entry")
    if data[4] != VERSION:
        if 0 < data[4] < VERSION:
            raise OutdatedEntry(f"an entry of frame version {data[4]}, this oxcook reads {VERSION}")
        raise CorruptEntry(f"an entry of an unknown frame version {data[4]}")
    rest = data[_HEADER:]
    if hashlib.sha256(rest).digest() != data[5:_HEADER]:
        raise CorruptEntry("checksum mismatch")
    held, cooked_by, recipe, body = _meta(rest)
    try:
        result = decode(body, expect=kind)
    except WireError as exc:
        raise CorruptEntry(exc.message) from exc
    if held != key or not result.ok:
        raise CorruptEntry("the entry holds another result")
    return CacheEntry(dataclasses.replace(result, key=key, lease="", cook_ms=0.0), cooked_by, recipe)


def _meta(rest: bytes) -> tuple[str, str, TextureWork | None, bytes]:
    if len(rest) < _META_LENGTH.size:
        raise CorruptEntry("truncated meta")
    (length,) = _META_LENGTH.unpack_from(rest)
    end = _META_LENGTH.size + length
    try:
        meta = msgpack.unpackb(rest[_META_LENGTH.size : end], raw=False, strict_map_key=True) if end <= len(rest) else None
    except Exception as exc:  # msgpack's own error classes vary by version
        raise CorruptEntry(f"meta is not msgpack: {exc}") from exc
    if not isinstance(meta, dict) or not set(meta) <= {"key", "cooked_by", "recipe"} or not isinstance(meta.get("key"), str):
        raise CorruptEntry("meta is not {key, cooked_by, recipe}")
    if not isinstance(meta.get("cooked_by"), str) or not isinstance(meta.get("recipe", b""), bytes):
        raise CorruptEntry("meta is not {key, cooked_by, recipe}")
    recipe = None
    if meta.get("recipe"):
        try:
            recipe = decode(meta["recipe"], expect=TextureWork)
        except WireError as exc:
            raise CorruptEntry(f"recipe: {exc.message}") from exc
    return meta["key"], meta["cooked_by"], recipe, rest[end:]


def unpack_entry(data: bytes, key: str, kind: type | tuple[type, ...]) -> TextureResult | MeshResult:
    """The result in an entry (:func:`read_entry` without who cooked it).

    Raises:
        CorruptEntry: as :func:`read_entry`.
    """
    return read_entry(data, key, kind).result
