"""``AssetHeader`` and the descriptor content-hash patch (spec §4.1, §4.2, §1.12).

Every descriptor (``.omat``, ``.ogeo``, ``.oscene``) starts with an
``AssetHeader``. In Epoch B its ``content_hash`` is the SHA-256 of the whole
descriptor file computed with that field zeroed, then patched in; the index's
``descriptor_sha256`` is the SHA-256 of the final bytes.
"""

from __future__ import annotations

import enum
import hashlib

from ._errors import FormatCorrupt
from ._index import Epoch
from ._layout import Layout, fixed_str, read_fixed_str

NAME_SIZE = 64


class AssetType(enum.IntEnum):
    """``AssetType`` (u8); ``kMaxAssetType`` is 3 in Epoch A and 9 in Epoch B."""

    UNKNOWN = 0
    MATERIAL = 1
    GEOMETRY = 2
    SCENE = 3
    SCRIPT = 4
    INPUT_ACTION = 5
    INPUT_MAPPING_CONTEXT = 6
    PHYSICS_MATERIAL = 7
    COLLISION_SHAPE = 8
    PHYSICS_SCENE = 9


MAX_ASSET_TYPE = {Epoch.A: AssetType.SCENE, Epoch.B: AssetType.PHYSICS_SCENE}

ASSET_HEADER = {
    Epoch.A: Layout(
        "AssetHeader",
        [
            ("asset_type", "u8"),
            ("name", f"bytes[{NAME_SIZE}]"),
            ("version", "u8"),
            ("streaming_priority", "u8"),
            ("content_hash", "bytes[8]"),
            ("variant_flags", "u32"),
            ("_reserved", "bytes[16]"),
        ],
        size=95,
    ),
    Epoch.B: Layout(
        "AssetHeader",
        [
            ("asset_type", "u8"),
            ("name", f"bytes[{NAME_SIZE}]"),
            ("version", "u8"),
            ("streaming_priority", "u8"),
            ("content_hash", "bytes[32]"),
            ("variant_flags", "u32"),
        ],
        size=103,
    ),
}
CONTENT_HASH_OFFSET = ASSET_HEADER[Epoch.B].offsets["content_hash"]


def make_header(asset_type: AssetType, name: str, version: int, *, epoch: Epoch = Epoch.B) -> object:
    """A header with the name truncated to 63 bytes, as the engine's cooker does."""
    return ASSET_HEADER[epoch].make(asset_type=int(asset_type), name=fixed_str(name, NAME_SIZE), version=version)


def header_name(header: object) -> str:
    return read_fixed_str(header.name)


def seal_descriptor(data: bytes, *, epoch: Epoch = Epoch.B) -> tuple[bytes, bytes]:
    """Patch the header's content hash and return ``(final bytes, SHA-256 of them)``.

    Epoch A descriptors keep the u64 at 0, as the engine's cooker left it.
    """
    out = bytearray(data)
    if epoch == Epoch.B:
        out[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 32] = bytes(32)
        out[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 32] = hashlib.sha256(out).digest()
    final = bytes(out)
    return final, hashlib.sha256(final).digest()


def descriptor_hash_problem(data: bytes, *, epoch: Epoch = Epoch.B) -> str | None:
    """Whether a descriptor's own ``content_hash`` matches its bytes (zero = not hashed)."""
    if epoch != Epoch.B or len(data) < ASSET_HEADER[epoch].SIZE:
        return None
    stored = data[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 32]
    if stored == bytes(32):
        return None
    zeroed = bytearray(data)
    zeroed[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 32] = bytes(32)
    if hashlib.sha256(zeroed).digest() != stored:
        return "AssetHeader.content_hash does not match the descriptor bytes"
    return None


def read_header(data: bytes, *, epoch: Epoch = Epoch.B, where: str = "descriptor") -> object:
    """The header of a descriptor, with the loader's one check (``asset_type <= kMaxAssetType``)."""
    header = ASSET_HEADER[epoch].unpack(data, 0, where=f"{where}:AssetHeader")
    if header.asset_type > MAX_ASSET_TYPE[epoch]:
        raise FormatCorrupt(where, f"asset_type {header.asset_type} > kMaxAssetType {int(MAX_ASSET_TYPE[epoch])}", offset=0)
    return header
