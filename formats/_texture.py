"""``textures.table`` rows and the texture enums (spec §2.1–§2.3).

``textures.table`` is a headerless array of ``TextureResourceDesc`` rows; the row
index is the texture resource index materials use. Rows are 39 bytes in Epoch B
and 40 in Epoch A (one trailing reserved byte).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._index import Epoch
from ._layout import Layout

TEXTURE_ALIGNMENT = 256  # the only value the runtime accepts in TextureResourceDesc.alignment
BC7_COMPRESSION_TYPE = 7  # what the engine cooker writes for BC7; 0 for everything else


class Format(enum.IntEnum):
    """The engine's ``Format`` (u8), the values oxcook writes or reads (§2.2)."""

    UNKNOWN = 0
    R8_UNORM = 3
    R16_UNORM = 7
    R16_FLOAT = 9
    R32_UINT = 10  # index buffers (§3.1); never a texture format
    R32_FLOAT = 12
    RG8_UNORM = 15
    RG16_FLOAT = 21
    RG32_FLOAT = 24
    RGB32_FLOAT = 27
    RGBA8_UNORM = 30
    RGBA8_UNORM_SRGB = 31
    RGBA16_FLOAT = 39
    RGBA32_FLOAT = 42
    R11G11B10_FLOAT = 46
    BC1_UNORM = 50
    BC1_UNORM_SRGB = 51
    BC2_UNORM = 52
    BC2_UNORM_SRGB = 53
    BC3_UNORM = 54
    BC3_UNORM_SRGB = 55
    BC4_UNORM = 56
    BC4_SNORM = 57
    BC5_UNORM = 58
    BC5_SNORM = 59
    BC6H_UF16 = 60
    BC6H_SF16 = 61
    BC7_UNORM = 62
    BC7_UNORM_SRGB = 63


MAX_FORMAT = 67


@dataclass(frozen=True)
class FormatInfo:
    """Bytes per block and block edge (1 for uncompressed, 4 for BCn)."""

    bytes_per_block: int
    block_size: int
    renderable: bool  # the engine renderer uploads it (uncompressed and BC7 only)
    is_float: bool = False
    is_srgb: bool = False

    @property
    def compressed(self) -> bool:
        return self.block_size > 1


FORMAT_INFO: dict[Format, FormatInfo] = {
    Format.R8_UNORM: FormatInfo(1, 1, True),
    Format.R16_UNORM: FormatInfo(2, 1, True),
    Format.R16_FLOAT: FormatInfo(2, 1, True, is_float=True),
    Format.R32_FLOAT: FormatInfo(4, 1, True, is_float=True),
    Format.RG8_UNORM: FormatInfo(2, 1, True),
    Format.RG16_FLOAT: FormatInfo(4, 1, True, is_float=True),
    Format.RG32_FLOAT: FormatInfo(8, 1, True, is_float=True),
    Format.RGB32_FLOAT: FormatInfo(12, 1, True, is_float=True),
    Format.RGBA8_UNORM: FormatInfo(4, 1, True),
    Format.RGBA8_UNORM_SRGB: FormatInfo(4, 1, True, is_srgb=True),
    Format.RGBA16_FLOAT: FormatInfo(8, 1, True, is_float=True),
    Format.RGBA32_FLOAT: FormatInfo(16, 1, True, is_float=True),
    Format.R11G11B10_FLOAT: FormatInfo(4, 1, True, is_float=True),
    Format.BC1_UNORM: FormatInfo(8, 4, False),
    Format.BC1_UNORM_SRGB: FormatInfo(8, 4, False, is_srgb=True),
    Format.BC2_UNORM: FormatInfo(16, 4, False),
    Format.BC2_UNORM_SRGB: FormatInfo(16, 4, False, is_srgb=True),
    Format.BC3_UNORM: FormatInfo(16, 4, False),
    Format.BC3_UNORM_SRGB: FormatInfo(16, 4, False, is_srgb=True),
    Format.BC4_UNORM: FormatInfo(8, 4, False),
    Format.BC4_SNORM: FormatInfo(8, 4, False),
    Format.BC5_UNORM: FormatInfo(16, 4, False),
    Format.BC5_SNORM: FormatInfo(16, 4, False),
    Format.BC6H_UF16: FormatInfo(16, 4, False, is_float=True),
    Format.BC6H_SF16: FormatInfo(16, 4, False, is_float=True),
    Format.BC7_UNORM: FormatInfo(16, 4, True),
    Format.BC7_UNORM_SRGB: FormatInfo(16, 4, True, is_srgb=True),
}


def compression_type_for(fmt: int) -> int:
    """``TextureResourceDesc.compression_type`` as the engine writes it (§2.1)."""
    return BC7_COMPRESSION_TYPE if fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB) else 0


class TextureType(enum.IntEnum):
    """The engine's ``TextureType`` (u8, §2.3)."""

    UNKNOWN = 0
    TEXTURE_1D = 1
    TEXTURE_1D_ARRAY = 2
    TEXTURE_2D = 3
    TEXTURE_2D_ARRAY = 4
    TEXTURE_CUBE = 5
    TEXTURE_CUBE_ARRAY = 6
    TEXTURE_2D_MULTISAMPLE = 7
    TEXTURE_2D_MULTISAMPLE_ARRAY = 8
    TEXTURE_3D = 9



_TEXTURE_ROW_FIELDS = [
    ("data_offset", "u64"),
    ("size_bytes", "u32"),
    ("texture_type", "u8", int(TextureType.TEXTURE_2D)),
    ("compression_type", "u8"),
    ("width", "u32"),
    ("height", "u32"),
    ("depth", "u16", 1),
    ("array_layers", "u16", 1),
    ("mip_levels", "u16", 1),
    ("format", "u8"),
    ("alignment", "u16", TEXTURE_ALIGNMENT),
    ("content_hash", "u64"),
]

TEXTURE_RESOURCE_DESC = {
    Epoch.A: Layout("TextureResourceDesc", _TEXTURE_ROW_FIELDS + [("_reserved", "bytes[1]")], size=40),
    Epoch.B: Layout("TextureResourceDesc", _TEXTURE_ROW_FIELDS, size=39),
}
