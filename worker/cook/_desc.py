"""``TextureImportDesc``: everything one texture cook needs besides its bytes (spec §5.2, §5.3).

The enums keep the engine's names and values. Fields the engine has keep its
names and defaults; oxcook's additions are marked. Where the engine ignores a
field (``mip_filter_space``), oxcook honours it: filtering happens in linear
light unless ``mip_filter_space`` is sRGB, which reproduces the engine's
gamma-space result (spec §5.5).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from oxcook.formats import FORMAT_INFO, Format, TextureType, full_mip_count

from .._errors import TextureImportError, TextureImportErrorCode


class TextureIntent(enum.IntEnum):
    ALBEDO = 0
    NORMAL_TS = 1
    ROUGHNESS = 2
    METALLIC = 3
    AO = 4
    EMISSIVE = 5
    OPACITY = 6
    ORM_PACKED = 7
    HDR_ENVIRONMENT = 8
    HDR_LIGHT_PROBE = 9
    DATA = 10
    HEIGHT_MAP = 11


class MipPolicy(enum.IntEnum):
    NONE = 0
    FULL_CHAIN = 1
    MAX_COUNT = 2


class MipFilter(enum.IntEnum):
    BOX = 0
    KAISER = 1
    LANCZOS = 2


class Bc7Quality(enum.IntEnum):
    """BC7 effort. oxcook maps these to the encoder's profiles (``worker.cook._bcn``)."""

    NONE = 0
    FAST = 1
    DEFAULT = 2  # "balanced"
    HIGH = 3  # "best"


class HdrHandling(enum.IntEnum):
    ERROR = 0
    TONEMAP_AUTO = 1
    KEEP_FLOAT = 2


class ColorSpace(enum.IntEnum):
    LINEAR = 0
    SRGB = 1


HDR_INTENTS = frozenset({TextureIntent.HDR_ENVIRONMENT, TextureIntent.HDR_LIGHT_PROBE})
FLOAT_FORMATS = frozenset(f for f, info in FORMAT_INFO.items() if info.is_float)
BC7_FORMATS = frozenset({Format.BC7_UNORM, Format.BC7_UNORM_SRGB})
DEFAULT_MAX_DIMENSION = 16384


@dataclass(frozen=True, kw_only=True, slots=True)  # slots: a cook holds one per texture
class TextureImportDesc:
    """How to cook one texture. Frozen; derive variants with ``dataclasses.replace``."""

    source_id: str = ""
    texture_type: TextureType = TextureType.TEXTURE_2D
    width: int = 0  # 0 = from the image; set both or neither
    height: int = 0
    depth: int = 1
    array_layers: int = 1
    intent: TextureIntent = TextureIntent.DATA
    flip_y_on_decode: bool = False
    source_color_space: ColorSpace = ColorSpace.LINEAR
    flip_normal_green: bool = False
    renormalize_normals_in_mips: bool = True
    mip_policy: MipPolicy = MipPolicy.FULL_CHAIN
    max_mip_levels: int = 1
    mip_filter: MipFilter = MipFilter.BOX
    mip_filter_space: ColorSpace = ColorSpace.LINEAR  # oxcook honours it; sRGB = the engine's result
    output_format: Format = Format.RGBA8_UNORM
    bc7_quality: Bc7Quality = Bc7Quality.NONE
    hdr_handling: HdrHandling = HdrHandling.TONEMAP_AUTO
    bake_hdr_to_ldr: bool = False
    exposure_ev: float = 0.0
    # oxcook additions
    preserve_alpha_coverage: bool = False
    alpha_cutoff: float = 0.5
    premultiply_alpha: bool = False
    max_dimension: int = DEFAULT_MAX_DIMENSION

    def to_dict(self) -> dict:
        """Plain data (enums as ints) for the wire."""
        return {name: (int(v) if isinstance(v, enum.IntEnum) else v) for name in _DESC_FIELDS for v in (getattr(self, name),)}

    @classmethod
    def from_dict(cls, data: dict) -> "TextureImportDesc":
        """The inverse of :meth:`to_dict`; unknown keys are refused."""
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        unknown = set(data) - set(kinds)
        if unknown:
            raise ValueError(f"unknown TextureImportDesc fields: {sorted(unknown)}")
        values = {}
        for name, value in data.items():
            enum_type = ENUM_FIELDS.get(name)
            values[name] = enum_type(value) if enum_type is not None else value
        return cls(**values)


_DESC_FIELDS = tuple(f.name for f in dataclasses.fields(TextureImportDesc))  # in declaration order: the wire's map keeps it

ENUM_FIELDS = {
    "texture_type": TextureType,
    "intent": TextureIntent,
    "source_color_space": ColorSpace,
    "mip_policy": MipPolicy,
    "mip_filter": MipFilter,
    "mip_filter_space": ColorSpace,
    "output_format": Format,
    "bc7_quality": Bc7Quality,
    "hdr_handling": HdrHandling,
}


def mip_levels_for(desc: TextureImportDesc, width: int, height: int) -> int:
    """The mip count a cook of a ``width`` x ``height`` image makes under ``desc`` (pure): the coordinator
    checks every result against it, and plans with it, so the rule lives once."""
    full = full_mip_count(width, height)
    return {MipPolicy.NONE: 1, MipPolicy.FULL_CHAIN: full}.get(desc.mip_policy, min(desc.max_mip_levels, full))


def _fail(desc: TextureImportDesc, code: TextureImportErrorCode, detail: str) -> TextureImportError:
    return TextureImportError(code, desc.source_id or "<texture>", detail)


def validate_pre_decode(desc: TextureImportDesc) -> None:
    """The engine's ``ValidatePreDecode`` rules (§5.1 step 0).

    Raises:
        TextureImportError: the descriptor contradicts itself.
    """
    if (desc.width == 0) != (desc.height == 0):
        raise _fail(desc, TextureImportErrorCode.INVALID_DIMENSIONS, "set both width and height, or neither")
    if desc.depth != 1 and desc.texture_type != TextureType.TEXTURE_3D:
        raise _fail(desc, TextureImportErrorCode.DEPTH_INVALID_FOR_2D, f"depth {desc.depth} is only valid for 3D textures")
    if desc.texture_type == TextureType.TEXTURE_3D:
        raise _fail(desc, TextureImportErrorCode.INVALID_SETTING, "3D textures are not rendered by the engine; oxcook does not emit them")
    if desc.mip_policy == MipPolicy.MAX_COUNT and desc.max_mip_levels < 1:
        raise _fail(desc, TextureImportErrorCode.INVALID_MIP_POLICY, "MaxCount needs max_mip_levels >= 1")
    if desc.output_format not in FORMAT_INFO:
        raise _fail(desc, TextureImportErrorCode.INVALID_OUTPUT_FORMAT, f"output format {desc.output_format!r} is not supported")
    is_bc7 = desc.output_format in BC7_FORMATS
    if (desc.bc7_quality != Bc7Quality.NONE) != is_bc7:
        raise _fail(
            desc,
            TextureImportErrorCode.INTENT_FORMAT_MISMATCH,
            f"bc7_quality {desc.bc7_quality.name} does not fit output format {desc.output_format.name}",
        )
    if desc.intent in HDR_INTENTS and not desc.bake_hdr_to_ldr and desc.output_format not in FLOAT_FORMATS:
        if desc.hdr_handling != HdrHandling.KEEP_FLOAT:
            raise _fail(desc, TextureImportErrorCode.INTENT_FORMAT_MISMATCH, "an HDR intent needs a float output format or bake_hdr_to_ldr")
    layers = desc.array_layers
    ttype = desc.texture_type
    if ttype == TextureType.TEXTURE_2D and layers != 1:
        raise _fail(desc, TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, "a 2D texture has exactly 1 layer")
    if ttype == TextureType.TEXTURE_CUBE and layers != 6:
        raise _fail(desc, TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, "a cube texture has exactly 6 layers")
    if ttype == TextureType.TEXTURE_CUBE_ARRAY and (layers == 0 or layers % 6):
        raise _fail(desc, TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, "a cube array needs a non-zero multiple of 6 layers")
    if layers < 1:
        raise _fail(desc, TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, "at least one layer is needed")
    if not 0.0 < desc.alpha_cutoff < 1.0:
        raise _fail(desc, TextureImportErrorCode.INVALID_SETTING, f"alpha_cutoff {desc.alpha_cutoff} must lie in (0, 1)")
