"""The "OTX1" texture payload (spec §2.4–§2.8): layout policy, packing, hashes, fallback.

A payload is ``TexturePayloadHeader`` (28 B), ``SubresourceLayout[count]`` (12 B
each), zero padding up to ``data_offset_bytes``, then the data region. The
subresources run layer-major (``index = mip + layer * mip_levels``), each placed
by the packing policy. oxcook always writes the D3D12 policy (256-byte row
pitch, 512-byte subresource placement): the tight policy writes
``alignment = 1`` in the table row, which the runtime refuses (§2.4, §6.3.11).
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass
from typing import Sequence

from ._errors import FormatCorrupt, FormatNotRecognized, FormatTruncated, LayoutError
from ._index import Epoch
from ._layout import Layout, align_up
from ._texture import FORMAT_INFO, TEXTURE_ALIGNMENT, Format, TextureType

PAYLOAD_MAGIC = 0x3158544F  # b"OTX1" read as a little-endian u32

TEXTURE_PAYLOAD_HEADER = Layout(
    "TexturePayloadHeader",
    [
        ("magic", "u32", PAYLOAD_MAGIC),
        ("packing_policy", "u8", 1),
        ("flags", "u8"),
        ("subresource_count", "u16"),
        ("total_payload_size", "u32"),
        ("layouts_offset_bytes", "u32", 28),
        ("data_offset_bytes", "u32"),
        ("content_hash", "u64"),
    ],
    size=28,
)
SUBRESOURCE_LAYOUT = Layout(
    "SubresourceLayout", [("offset_bytes", "u32"), ("row_pitch_bytes", "u32"), ("size_bytes", "u32")], size=12
)
CONTENT_HASH_OFFSET = TEXTURE_PAYLOAD_HEADER.offsets["content_hash"]


class PackingPolicy(enum.IntEnum):
    """``TexturePackingPolicyId``: row pitch and placement alignments."""

    D3D12 = 1
    TIGHT = 2

    @property
    def row_pitch_alignment(self) -> int:
        return 256 if self is PackingPolicy.D3D12 else 1

    @property
    def subresource_alignment(self) -> int:
        return 512 if self is PackingPolicy.D3D12 else 4


class PayloadFlags(enum.IntFlag):
    """``TexturePayloadFlags``."""

    NONE = 0
    PREMULTIPLIED_ALPHA = 0x1
    TAIL_MIPS_UNCOMPRESSED = 0x2  # reserved by the engine


def mip_extent(size: int, mip: int) -> int:
    """``max(1, size >> mip)``: one mip dimension, for any size."""
    return max(1, size >> mip)


def full_mip_count(width: int, height: int, depth: int = 1) -> int:
    """``floor(log2(max(w, h, d))) + 1``."""
    return max(width, height, depth, 1).bit_length()


@dataclass(frozen=True)
class Subresource:
    """Where one (layer, mip) lives in the data region."""

    layer: int
    mip: int
    width: int
    height: int
    depth: int
    offset: int  # relative to the data region
    row_pitch: int
    rows: int  # pixel rows, or block rows for BC
    row_bytes: int  # meaningful bytes of one row (the rest is pitch padding)

    @property
    def size(self) -> int:
        return self.row_pitch * self.rows * self.depth


@dataclass(frozen=True)
class PayloadLayout:
    """The whole layout of one payload; pure arithmetic over the shape."""

    texture_type: TextureType
    format: Format
    width: int
    height: int
    depth: int
    array_layers: int
    mip_levels: int
    policy: PackingPolicy
    data_offset: int
    subresources: tuple[Subresource, ...]

    @property
    def data_size(self) -> int:
        last = self.subresources[-1]
        return last.offset + last.size

    @property
    def total_size(self) -> int:
        return self.data_offset + self.data_size


def row_bytes(fmt: Format, width: int) -> int:
    """Bytes of one row: ``w × bpp`` or ``ceil(w/4) × bytes_per_block``."""
    info = FORMAT_INFO[fmt]
    return -(-width // info.block_size) * info.bytes_per_block


@functools.lru_cache(maxsize=1024)  # pure arithmetic over a shape, an immutable result: a cook of many textures has few shapes
def compute_layout(
    texture_type: TextureType,
    fmt: Format,
    width: int,
    height: int,
    *,
    depth: int = 1,
    array_layers: int = 1,
    mip_levels: int = 1,
    policy: PackingPolicy = PackingPolicy.D3D12,
) -> PayloadLayout:
    """The payload layout for a texture shape (§2.4).

    Raises:
        LayoutError: the format is unknown, a dimension is zero, or the shape
            does not fit the u16/u32 fields.
    """
    fmt = Format(fmt)
    if fmt not in FORMAT_INFO:
        raise LayoutError(f"format {fmt!r} has no known block size")
    if min(width, height, depth, array_layers, mip_levels) < 1:
        raise LayoutError(f"texture shape {width}x{height}x{depth}, {array_layers} layers, {mip_levels} mips has a zero")
    if mip_levels > full_mip_count(width, height, depth):
        raise LayoutError(f"{mip_levels} mips is more than a {width}x{height}x{depth} texture has")
    count = array_layers * mip_levels
    if count > 0xFFFF:
        raise LayoutError(f"{count} subresources do not fit the u16 subresource_count")
    block = FORMAT_INFO[fmt].block_size
    subs = []
    cursor = 0
    for layer in range(array_layers):
        for mip in range(mip_levels):
            w, h, d = mip_extent(width, mip), mip_extent(height, mip), mip_extent(depth, mip)
            rb = row_bytes(fmt, w)
            pitch = align_up(rb, policy.row_pitch_alignment)
            offset = align_up(cursor, policy.subresource_alignment)
            sub = Subresource(layer, mip, w, h, d, offset, pitch, -(-h // block), rb)
            subs.append(sub)
            cursor = offset + sub.size
    data_offset = align_up(TEXTURE_PAYLOAD_HEADER.SIZE + SUBRESOURCE_LAYOUT.SIZE * count, policy.subresource_alignment)
    layout = PayloadLayout(
        TextureType(texture_type), fmt, width, height, depth, array_layers, mip_levels, policy, data_offset, tuple(subs)
    )
    if layout.total_size > 0xFFFFFFFF:
        raise LayoutError(f"payload of {layout.total_size} bytes does not fit the u32 size fields")
    return layout


def sha256_content_hash(data: bytes | memoryview) -> int:
    """Epoch B content hash: the first 8 bytes of SHA-256, read little-endian (§2.7)."""
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "little")


def fnv1a64(data: bytes | memoryview) -> int:
    """FNV-1a 64: Epoch A's content hash, the B emitter's no-hash fingerprint, sidecar names."""
    h = 0xCBF29CE484222325
    for byte in bytes(data):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def content_hash(data: bytes | memoryview, *, epoch: Epoch = Epoch.B) -> int:
    """The payload or buffer content hash of an epoch."""
    return sha256_content_hash(data) if epoch == Epoch.B else fnv1a64(data)


class PayloadWriter:
    """An OTX1 payload filled piece by piece, in any order: header and layout table at once, each
    piece of a subresource's tightly packed rows placed at its row pitch, the hash at the end.

    A cooker can place each band of rows as soon as it is encoded and drop it,
    so the payload is the only copy of the output it holds.
    """

    def __init__(self, layout: PayloadLayout, *, flags: PayloadFlags = PayloadFlags.NONE) -> None:
        self.layout = layout
        self._out = bytearray(layout.total_size)
        header = TEXTURE_PAYLOAD_HEADER.make(
            packing_policy=int(layout.policy),
            flags=int(flags),
            subresource_count=len(layout.subresources),
            total_payload_size=layout.total_size,
            data_offset_bytes=layout.data_offset,
        )
        self._out[: TEXTURE_PAYLOAD_HEADER.SIZE] = TEXTURE_PAYLOAD_HEADER.pack(header)
        at = TEXTURE_PAYLOAD_HEADER.SIZE
        for sub in layout.subresources:
            self._out[at : at + SUBRESOURCE_LAYOUT.SIZE] = SUBRESOURCE_LAYOUT.pack(
                SUBRESOURCE_LAYOUT.make(offset_bytes=sub.offset, row_pitch_bytes=sub.row_pitch, size_bytes=sub.size)
            )
            at += SUBRESOURCE_LAYOUT.SIZE

    def write(self, index: int, offset: int, data: bytes | memoryview) -> None:
        """Tightly packed rows of subresource ``index``, starting ``offset`` bytes into its tight form.

        Raises:
            LayoutError: no such subresource, or the rows do not fit it whole.
        """
        if not 0 <= index < len(self.layout.subresources):
            raise LayoutError(f"subresource {index} of {len(self.layout.subresources)}")
        sub = self.layout.subresources[index]
        tight = sub.row_bytes * sub.rows * sub.depth
        if offset % sub.row_bytes or len(data) % sub.row_bytes or not 0 <= offset <= offset + len(data) <= tight:
            raise LayoutError(
                f"subresource layer {sub.layer} mip {sub.mip} ({sub.width}x{sub.height}): "
                f"{len(data)} bytes at {offset} are not whole rows of its {tight} bytes"
            )
        base = self.layout.data_offset + sub.offset
        first = offset // sub.row_bytes
        if sub.row_pitch == sub.row_bytes:
            self._out[base + offset : base + offset + len(data)] = data
            return
        view = memoryview(data)
        for r in range(len(data) // sub.row_bytes):
            dst = base + (first + r) * sub.row_pitch
            self._out[dst : dst + sub.row_bytes] = view[r * sub.row_bytes : (r + 1) * sub.row_bytes]

    def finish(self, *, epoch: Epoch = Epoch.B) -> tuple[bytes, int]:
        """The payload and its content hash; the writer is spent."""
        out, self._out = self._out, bytearray()
        digest = content_hash(out, epoch=epoch)
        out[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 8] = digest.to_bytes(8, "little")
        return bytes(out), digest


def pack_payload(
    layout: PayloadLayout,
    subresources: Sequence[bytes | memoryview],
    *,
    flags: PayloadFlags = PayloadFlags.NONE,
    epoch: Epoch = Epoch.B,
) -> tuple[bytes, int]:
    """The payload bytes and their content hash.

    Args:
        layout: from :func:`compute_layout`.
        subresources: one buffer per subresource in layout order, rows tightly
            packed (``row_bytes × rows × depth``); pitch padding is added here.

    Raises:
        LayoutError: a buffer has the wrong size or the count differs.
    """
    if len(subresources) != len(layout.subresources):
        raise LayoutError(f"{len(subresources)} subresource buffers for {len(layout.subresources)} subresources")
    writer = PayloadWriter(layout, flags=flags)
    for index, (sub, data) in enumerate(zip(layout.subresources, subresources)):
        tight = sub.row_bytes * sub.rows * sub.depth
        if len(data) != tight:
            raise LayoutError(
                f"subresource layer {sub.layer} mip {sub.mip} ({sub.width}x{sub.height}): "
                f"{len(data)} bytes, expected {tight}"
            )
        writer.write(index, 0, data)
    return writer.finish(epoch=epoch)


@dataclass(frozen=True)
class ParsedPayload:
    header: object  # TexturePayloadHeader record
    layouts: tuple  # SubresourceLayout records


def parse_payload(data: bytes | memoryview, *, where: str = "payload", available: int | None = None) -> ParsedPayload:
    """Read a payload's header and layout table with the runtime's checks (§2.6).

    Args:
        data: the payload, or (with ``available``) at least its header and layout table.
        available: the payload's real size when ``data`` holds only its head
            (a validator that does not hash need not read the pixels).

    Raises:
        FormatNotRecognized: the magic is not ``OTX1``.
        FormatTruncated, FormatCorrupt: a size, offset or layout breaks a rule.
    """
    size = len(data) if available is None else available
    if len(data) < 4 or int.from_bytes(bytes(data[:4]), "little") != PAYLOAD_MAGIC:
        raise FormatNotRecognized(where, "payload does not start with 'OTX1'")
    h = TEXTURE_PAYLOAD_HEADER.unpack(data, 0, where=f"{where}:TexturePayloadHeader")
    if h.total_payload_size > size:
        raise FormatTruncated(where, offset=0, needed=h.total_payload_size, available=size)
    if h.layouts_offset_bytes < TEXTURE_PAYLOAD_HEADER.SIZE:
        raise FormatCorrupt(where, f"layouts_offset_bytes {h.layouts_offset_bytes} < 28", offset=12)
    table_end = h.layouts_offset_bytes + SUBRESOURCE_LAYOUT.SIZE * h.subresource_count
    if table_end > h.total_payload_size:
        raise FormatCorrupt(where, "the subresource layout table runs past the payload", offset=12)
    if not table_end <= h.data_offset_bytes <= h.total_payload_size:
        raise FormatCorrupt(where, f"data_offset_bytes {h.data_offset_bytes} outside [{table_end}, {h.total_payload_size}]", offset=16)
    if table_end > len(data):
        raise FormatTruncated(where, offset=h.layouts_offset_bytes, needed=table_end, available=len(data))
    layouts = SUBRESOURCE_LAYOUT.unpack_array(data, h.subresource_count, h.layouts_offset_bytes, where=f"{where}:SubresourceLayout")
    region = h.total_payload_size - h.data_offset_bytes
    for i, sub in enumerate(layouts):
        if sub.offset_bytes + sub.size_bytes > region:
            raise FormatCorrupt(where, f"subresource {i} ends at {sub.offset_bytes + sub.size_bytes}, past the {region}-byte data region")
    return ParsedPayload(h, tuple(layouts))


def payload_hash_matches(payload: bytes | memoryview, declared: int, *, epoch: Epoch = Epoch.B) -> bool:
    """Whether ``declared`` is the hash of ``payload`` computed with its header hash zeroed."""
    zeroed = bytearray(payload)
    zeroed[CONTENT_HASH_OFFSET : CONTENT_HASH_OFFSET + 8] = bytes(8)
    return content_hash(zeroed, epoch=epoch) == declared


def fallback_payload(*, epoch: Epoch = Epoch.B) -> tuple[bytes, int]:
    """Index 0 of every textures table: a 1×1 white RGBA8 texture, D3D12 form (§2.8).

    Returns:
        The 768 payload bytes and the content hash for its table row.

    The engine's HEAD emitter stores in the row a hash taken *after* the header
    hash was patched in (0x177a39052c5026e8); that is a bug (§2.8, §8.5): we store
    the header's own hash, as for every other texture. Readers accept both.
    """
    layout = compute_layout(TextureType.TEXTURE_2D, Format.RGBA8_UNORM, 1, 1)
    return pack_payload(layout, [b"\xff\xff\xff\xff"], epoch=epoch)


def fallback_row_hashes(*, epoch: Epoch = Epoch.B) -> frozenset[int]:
    """Row-0 content hashes a reader accepts: ours, and the engine's quirk value."""
    payload, digest = fallback_payload(epoch=epoch)
    return frozenset({digest, content_hash(payload, epoch=epoch)})


def fallback_row_fields() -> dict:
    """The fixed fields of the fallback texture's table row."""
    return dict(
        texture_type=int(TextureType.TEXTURE_2D),
        compression_type=0,
        width=1,
        height=1,
        depth=1,
        array_layers=1,
        mip_levels=1,
        format=int(Format.RGBA8_UNORM),
        alignment=TEXTURE_ALIGNMENT,
    )
