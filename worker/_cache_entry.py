"""One cook-cache entry's bytes: a checked frame around a wire-encoded result (shared by coordinators and workers).

::

    "OXCE"  u8 version  32-byte SHA-256 of the body  body (a TextureResult or MeshResult, wire-encoded)

A frame that is short, of another version, whose body does not hash to its
checksum, or whose body is not a result for this key is corrupt: the reader
treats it as a miss (``entry corrupt``) and it is cooked again — a corrupt
entry can never reach a container. A texture entry holds the sums of its
quality figures unless it was cooked without them (:func:`lacks_quality`).
"""

from __future__ import annotations

import dataclasses
import hashlib

from ._wire import MeshResult, MeshWork, TextureResult, TextureWork, WireError, decode, encode

MAGIC = b"OXCE"
VERSION = 1
_HEADER = len(MAGIC) + 1 + 32


class CorruptEntry(Exception):
    """The bytes are not a valid entry for the key asked for."""


def lacks_quality(result: TextureResult | MeshResult, work: TextureWork | MeshWork) -> bool:
    """Whether ``result`` (a cached texture cooked without its quality figures) cannot serve ``work``, which asks
    for them: it is cooked again, and the new entry, with them, serves both kinds of cook."""
    return isinstance(work, TextureWork) and work.quality and result.cooked is not None and result.cooked.quality is None


def readdress(result: TextureResult | MeshResult, work: TextureWork | MeshWork) -> TextureResult | MeshResult:
    """A cached result re-addressed to ``work`` (its key and name; diagnostics name this source; no quality
    sums when ``work`` asks for none)."""
    if isinstance(result, MeshResult):
        return dataclasses.replace(result, key=work.key, source_id=work.source_id)
    cooked = result.cooked
    if not work.quality:
        cooked = dataclasses.replace(cooked, quality=None)
    old = cooked.source_id
    diagnostics = tuple(
        dataclasses.replace(d, source_id=work.source_id, message=work.source_id + d.message[len(old) :] if d.message.startswith(old) else d.message)
        for d in cooked.diagnostics
    )
    cooked = dataclasses.replace(cooked, source_id=work.source_id, diagnostics=diagnostics)
    return dataclasses.replace(result, key=work.key, source_id=work.source_id, cooked=cooked)


def pack_entry(result: TextureResult | MeshResult) -> bytes:
    body = encode(dataclasses.replace(result, lease=""))  # which worker cooked it is no part of what was cooked
    return MAGIC + bytes([VERSION]) + hashlib.sha256(body).digest() + body


def unpack_entry(data: bytes, key: str, kind: type) -> TextureResult | MeshResult:
    """The result in an entry.

    Raises:
        CorruptEntry: truncated, another version, a checksum mismatch, or not a successful ``kind`` for ``key``.
    """
    if len(data) < _HEADER or data[:4] != MAGIC or data[4] != VERSION:
        raise CorruptEntry("not an oxcook cache entry of this version")
    body = data[_HEADER:]
    if hashlib.sha256(body).digest() != data[5:_HEADER]:
        raise CorruptEntry("checksum mismatch")
    try:
        result = decode(body, expect=kind)
    except WireError as exc:
        raise CorruptEntry(exc.message) from exc
    if result.key != key or not result.ok:
        raise CorruptEntry("the entry holds another result")
    return result
