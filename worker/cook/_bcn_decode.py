"""The one door to a block decoder: ``imagecodecs``' BCn codec (bcdec), for the quality figures of cooked
blocks and for every picture ``oxcook inspect`` draws of them.

The figures must come from a decoder that is not oxcook's own and not the
encoder's (``worker.cook._bcn``): bcdec, the single-header C decoder imagecodecs
wraps, decodes BC1-BC7 as a GPU samples them. (``_imaging`` uses other codecs of
the same package, for source files; this module is the only user of its BCn
codec.) Facts respected here:

* it decodes whole 4x4 blocks only: the caller gives the padded extent
  (``decode_blocks`` returns it; cropping is the caller's);
* BC1, BC2, BC3 and BC7 come back as RGBA8, BC4 as one channel, BC5 as two,
  BC6H (unsigned, or signed: the codec's format number negated) as RGB float16;
* a short or malformed input is its ``BcnError`` (or ``ValueError``), mapped
  to :class:`DecoderError` with the format named.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import imagecodecs
import numpy as np

from oxcook.formats import FORMAT_INFO, Format

if not imagecodecs.BCN.available:
    raise ImportError("oxcook needs imagecodecs built with its BCn codec (imagecodecs.BCN.available is false)")

# Format -> (the codec's format number, channels it returns)
_CODEC = {
    Format.BC1_UNORM: (1, 4),
    Format.BC1_UNORM_SRGB: (1, 4),
    Format.BC2_UNORM: (2, 4),
    Format.BC2_UNORM_SRGB: (2, 4),
    Format.BC3_UNORM: (3, 4),
    Format.BC3_UNORM_SRGB: (3, 4),
    Format.BC4_UNORM: (4, 1),
    Format.BC5_UNORM: (5, 2),
    Format.BC6H_UF16: (6, 3),
    Format.BC6H_SF16: (-6, 3),
    Format.BC7_UNORM: (7, 4),
    Format.BC7_UNORM_SRGB: (7, 4),
}
DECODED_CHANNELS: Mapping[Format, int] = MappingProxyType({fmt: channels for fmt, (_, channels) in _CODEC.items()})
"""The block formats :func:`decode_blocks` decodes, and the channels it returns for each."""
DECODABLE = frozenset(_CODEC)


class DecoderError(Exception):
    """The block decoder refused the bytes it was given."""


def decode_blocks(fmt: Format, data: bytes, width: int, height: int) -> np.ndarray:
    """The texels of ``data``, tightly packed blocks of a ``width`` x ``height`` surface (any size: its
    blocks cover it), as ``(rows, columns, channels)`` padded up to whole blocks: uint8, float16 for BC6H.

    Raises:
        DecoderError: ``fmt`` is not a block format the decoder knows, or ``data`` is not that many blocks of it.
    """
    if fmt not in _CODEC:
        raise DecoderError(f"no block decoder for {Format(fmt).name}")
    codec, channels = _CODEC[fmt]
    rows, columns = -(-height // 4) * 4, -(-width // 4) * 4
    expected = (rows // 4) * (columns // 4) * FORMAT_INFO[fmt].bytes_per_block
    if len(data) != expected:
        raise DecoderError(f"{Format(fmt).name}: {len(data)} bytes for {width}x{height} texels, expected {expected}")
    shape = (rows, columns) if channels == 1 else (rows, columns, channels)
    try:
        out = imagecodecs.bcn_decode(data, codec, shape=shape)
    except (imagecodecs.BcnError, ValueError) as exc:
        raise DecoderError(f"{Format(fmt).name}: {exc}") from exc
    return out.reshape(rows, columns, channels)
