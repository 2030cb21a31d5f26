"""Pixels of one cooked texture, read from its row's OTX1 payload.

BCn blocks are decoded by the worker's block decoder (``oxcook.worker.cook.decode_blocks``,
imagecodecs' bcdec: the one the quality figures use, one table of formats): it decodes
every block format oxcook writes but the signed BC4/BC5 variants, and it returns BC6H as
half floats, which the HDR view needs (texture2ddecoder returns 8-bit BGRA for BC6H). The
tests decode with texture2ddecoder, so what the page shows is checked against a second,
independent decoder.

Only the bytes a view needs are read: the payload header and layout table once, then
one subresource at a time (a thumbnail of a 16k texture reads a small mip, not the
chain). The row and the payload are never trusted: every failure is a ``FormatError``
subclass naming the row and subresource, so a damaged row becomes a placeholder.
"""

from __future__ import annotations

import numpy as np

from oxcook.formats import (
    FORMAT_INFO,
    SUBRESOURCE_LAYOUT,
    TEXTURE_PAYLOAD_HEADER,
    Format,
    FormatCorrupt,
    FormatTruncated,
    FormatUnsupported,
    mip_extent,
    parse_payload,
    row_bytes,
)
from oxcook.worker.cook import DECODED_CHANNELS, DecoderError, decode_blocks

# Format -> (numpy dtype, channels) of an uncompressed texel
_PLAIN = {
    Format.R8_UNORM: (np.uint8, 1),
    Format.R16_UNORM: (np.dtype("<u2"), 1),
    Format.R16_FLOAT: (np.dtype("<f2"), 1),
    Format.R32_FLOAT: (np.dtype("<f4"), 1),
    Format.RG8_UNORM: (np.uint8, 2),
    Format.RG16_FLOAT: (np.dtype("<f2"), 2),
    Format.RG32_FLOAT: (np.dtype("<f4"), 2),
    Format.RGB32_FLOAT: (np.dtype("<f4"), 3),
    Format.RGBA8_UNORM: (np.uint8, 4),
    Format.RGBA8_UNORM_SRGB: (np.uint8, 4),
    Format.RGBA16_FLOAT: (np.dtype("<f2"), 4),
    Format.RGBA32_FLOAT: (np.dtype("<f4"), 4),
}

# Pixels of one subresource a view decodes at most (a 16k x 16k RGBA8 mip is 1 GiB); a larger one is refused by name.
MAX_DECODE_PIXELS = 64 * 1024 * 1024


def decodable(fmt: int) -> bool:
    """Whether oxcook can show pixels of this format."""
    return fmt in DECODED_CHANNELS or fmt in _PLAIN or fmt == Format.R11G11B10_FLOAT


def has_alpha(fmt: int) -> bool:
    """Whether the format stores an alpha channel."""
    return fmt in (Format.RGBA8_UNORM, Format.RGBA8_UNORM_SRGB, Format.RGBA16_FLOAT, Format.RGBA32_FLOAT) or (
        DECODED_CHANNELS.get(fmt) == 4 and fmt not in (Format.BC1_UNORM, Format.BC1_UNORM_SRGB)
    )


class PayloadReader:
    """One texture row's payload inside ``textures.data``: the layout read once, subresources decoded on demand.

    Args:
        files: read access to the root (``ContainerFiles``).
        relpath: the textures data file.
        row: the ``TextureResourceDesc`` record.
        where: how messages name the row (``row 7``).

    Raises:
        FormatError: the row names an unknown format or an empty shape, its payload lies
            outside the file, or the payload header or layout table is broken.
    """

    def __init__(self, files, relpath: str, row, *, where: str) -> None:
        self.row, self._files, self._relpath, self._where = row, files, relpath, where
        if not decodable(row.format):
            name = Format(row.format).name if row.format in Format.__members__.values() else str(row.format)
            raise FormatUnsupported(where, f"no decoder for format {name}")
        if min(row.width, row.height, row.mip_levels, row.array_layers) < 1:
            raise FormatCorrupt(where, f"shape {row.width}x{row.height}, {row.mip_levels} mips, {row.array_layers} layers has a zero")
        size = files.size(relpath)
        if size is None:
            raise FormatTruncated(where, offset=row.data_offset, needed=row.size_bytes, available=0)
        if row.data_offset + row.size_bytes > size:
            raise FormatTruncated(
                f"{where}: {relpath}", offset=row.data_offset, needed=row.data_offset + row.size_bytes, available=size
            )
        head = self._read(0, min(row.size_bytes, TEXTURE_PAYLOAD_HEADER.SIZE))
        table_end = TEXTURE_PAYLOAD_HEADER.SIZE
        if len(head) == TEXTURE_PAYLOAD_HEADER.SIZE:
            header = TEXTURE_PAYLOAD_HEADER.unpack(head, 0, where=where)
            table_end = header.layouts_offset_bytes + SUBRESOURCE_LAYOUT.SIZE * header.subresource_count
            head = self._read(0, min(row.size_bytes, max(table_end, TEXTURE_PAYLOAD_HEADER.SIZE)))
        parsed = parse_payload(head, where=f"{where} payload", available=row.size_bytes)
        expected = row.array_layers * row.mip_levels
        if parsed.header.subresource_count != expected:
            raise FormatCorrupt(where, f"payload has {parsed.header.subresource_count} subresources, the row {expected}")
        self._data_offset = parsed.header.data_offset_bytes
        self._layouts = parsed.layouts

    def _read(self, offset: int, length: int) -> bytes:
        try:
            return self._files.read(self._relpath, self.row.data_offset + offset, length)
        except OSError as exc:
            raise FormatCorrupt(self._where, f"{self._relpath} cannot be read: {exc.strerror or exc}") from exc

    def extent(self, mip: int) -> tuple[int, int]:
        """``(width, height)`` of a mip."""
        return mip_extent(self.row.width, mip), mip_extent(self.row.height, mip)

    def pixels(self, mip: int = 0, layer: int = 0) -> np.ndarray:
        """Mip ``mip`` of layer ``layer`` (its first depth slice) as ``(height, width, channels)``:
        uint8, uint16 or float32 as the format stores it.

        Raises:
            FormatError: no such subresource, or its bytes are short, misplaced or do not decode.
        """
        row = self.row
        if not (0 <= mip < row.mip_levels and 0 <= layer < row.array_layers):
            raise FormatCorrupt(self._where, f"no mip {mip} of layer {layer} ({row.mip_levels} mips, {row.array_layers} layers)")
        fmt = Format(row.format)
        info = FORMAT_INFO[fmt]
        w, h = self.extent(mip)
        if w * h > MAX_DECODE_PIXELS:
            raise FormatUnsupported(self._where, f"mip {mip} is {w}x{h}, more than the {MAX_DECODE_PIXELS:,} pixels a view decodes")
        where = f"{self._where} mip {mip} layer {layer}"
        sub = self._layouts[mip + layer * row.mip_levels]
        rows, tight = -(-h // info.block_size), row_bytes(fmt, w)
        if sub.row_pitch_bytes < tight or sub.size_bytes < sub.row_pitch_bytes * rows:
            raise FormatCorrupt(where, f"row pitch {sub.row_pitch_bytes} and size {sub.size_bytes} cannot hold {rows} rows of {tight} bytes")
        start, length = self._data_offset + sub.offset_bytes, sub.row_pitch_bytes * rows
        data = self._read(start, length)
        if len(data) < length:
            raise FormatTruncated(where, offset=row.data_offset + start, needed=length, available=len(data))
        packed = np.frombuffer(data, np.uint8).reshape(rows, sub.row_pitch_bytes)[:, :tight]
        if fmt in DECODED_CHANNELS:
            try:
                out = decode_blocks(fmt, packed.tobytes(), w, h)[:h, :w]
            except DecoderError as exc:
                raise FormatCorrupt(where, f"blocks do not decode: {exc}") from exc
            return out.astype(np.float32) if out.dtype.kind == "f" else np.ascontiguousarray(out)
        if fmt == Format.R11G11B10_FLOAT:
            return _unpack_r11g11b10(packed.reshape(-1).view("<u4").reshape(h, w))
        dtype, channels = _PLAIN[fmt]
        values = np.ascontiguousarray(packed).view(dtype).reshape(h, w, channels)
        return values.astype(np.float32) if values.dtype.kind == "f" else values


def _unpack_r11g11b10(words: np.ndarray) -> np.ndarray:
    """Unsigned 11/11/10-bit floats moved into half floats' bit layout (same 5-bit exponent and bias)."""
    r = ((words & 0x7FF) << 4).astype(np.uint16)
    g = (((words >> 11) & 0x7FF) << 4).astype(np.uint16)
    b = (((words >> 22) & 0x3FF) << 5).astype(np.uint16)
    return np.stack([r, g, b], axis=-1).view(np.float16).astype(np.float32)
