"""Identities of a cooked root and its assets (spec §1.6).

* ``SourceKey``: 16 bytes naming a cooked root. Epoch B requires an RFC 9562
  UUIDv7 in canonical (hex-string) byte order; Epoch A any non-zero bytes.
* ``AssetKey``: 16 bytes derived from the canonical virtual path. Epoch B:
  XXH3-128 in canonical form (high 64 bits big-endian, then low); Epoch A: the
  first 16 bytes of SHA-256 of the path.

Both print as lowercase 8-4-4-4-12 hex in byte order.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

import xxhash

from ._errors import FormatCorrupt

KEY_SIZE = 16
NIL_KEY = bytes(KEY_SIZE)


def key_text(key: bytes) -> str:
    """``key`` as lowercase 8-4-4-4-12 hex, in byte order."""
    h = key.hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def parse_key_text(text: str) -> bytes:
    """The 16 bytes of an 8-4-4-4-12 hex key (dashes optional).

    Raises:
        FormatCorrupt: not 32 hex digits.
    """
    digits = text.replace("-", "")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raw = b""
    if len(raw) != KEY_SIZE:
        raise FormatCorrupt("key", f"{text!r} is not 16 bytes of hex")
    return raw


def asset_key_for(virtual_path: str, *, epoch: str = "B") -> bytes:
    """The engine's deterministic AssetKey for a canonical virtual path."""
    data = virtual_path.encode("utf-8")
    if epoch == "A":
        return hashlib.sha256(data).digest()[:KEY_SIZE]
    return xxhash.xxh3_128_digest(data)


def is_uuid_v7(key: bytes) -> bool:
    """The loader's SourceKey rule for Epoch B: non-zero, version 7, variant 10."""
    return len(key) == KEY_SIZE and key != NIL_KEY and key[6] >> 4 == 7 and key[8] & 0xC0 == 0x80


_lock = threading.Lock()
_last_ms = -1
_sequence = 0


def new_source_key() -> bytes:
    """A fresh UUIDv7: 48-bit Unix milliseconds, version 7, a 12-bit sequence
    counter (monotonic within one millisecond in this process), variant ``10``,
    and 62 random bits, as the engine's generator lays it out."""
    global _last_ms, _sequence
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _sequence = (_sequence + 1) & 0xFFF
            if _sequence == 0:
                now += 1
        else:
            _sequence = int.from_bytes(os.urandom(2), "big") & 0x7FF
        _last_ms = now
        seq = _sequence
    rand = bytearray(os.urandom(8))
    rand[0] = 0x80 | (rand[0] & 0x3F)
    head = now.to_bytes(6, "big") + bytes([0x70 | (seq >> 8), seq & 0xFF])
    return head + bytes(rand)
