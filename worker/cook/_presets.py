"""Texture presets (spec §5.4): named bundles of settings, and picking one from a file name.

``apply_preset`` resets every field but the source id and shape, then applies
the preset, as the engine's ``ApplyPreset`` does. Where the engine's preset is
wrong oxcook differs, each time on purpose:

* sRGB presets filter in linear light (``mip_filter_space`` linear); the
  engine filters gamma-encoded values (§5.5).
* ``albedo-alpha-test`` keeps alpha coverage in every mip (the engine has no such preset).
* ``hdr-env`` stays 2D: a lat-long image is kept as it is (the engine's preset
  asks for a cube it cannot build from one image).
* ``height`` writes R16_UNORM from the source's full precision; the engine's
  height preset always fails because its cooker cannot produce R16 (§5.7).
* ``ui`` has no mips and writes RGBA8 sRGB (the engine's UI preset is BC7 with mips).
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import PurePosixPath

from oxcook.formats import Format

from ._desc import Bc7Quality, ColorSpace, HdrHandling, MipPolicy, TextureImportDesc, TextureIntent


class TexturePreset(str, enum.Enum):
    ALBEDO = "albedo"
    ALBEDO_ALPHA_TEST = "albedo-alpha-test"
    ALBEDO_LINEAR = "albedo-linear"
    NORMAL = "normal"
    ROUGHNESS = "roughness"
    METALLIC = "metallic"
    AO = "ao"
    ORM = "orm"
    EMISSIVE = "emissive"
    UI = "ui"
    HDR_ENV = "hdr-env"
    HDR_ENV_32F = "hdr-env-32f"
    HDR_PROBE = "hdr-probe"
    DATA = "data"
    HEIGHT = "height"


PRESET_ALIASES = {
    "albedo-srgb": TexturePreset.ALBEDO,
    "basecolor": TexturePreset.ALBEDO,
    "normal-bc7": TexturePreset.NORMAL,
    "orm-bc7": TexturePreset.ORM,
    "hdr-env-16f": TexturePreset.HDR_ENV,
    "alpha-test": TexturePreset.ALBEDO_ALPHA_TEST,
}

_BC7 = dict(bc7_quality=Bc7Quality.DEFAULT)
_SRGB = dict(source_color_space=ColorSpace.SRGB)

_OVERRIDES: dict[TexturePreset, dict] = {
    TexturePreset.ALBEDO: dict(intent=TextureIntent.ALBEDO, output_format=Format.BC7_UNORM_SRGB, **_SRGB, **_BC7),
    TexturePreset.ALBEDO_ALPHA_TEST: dict(
        intent=TextureIntent.ALBEDO, output_format=Format.BC7_UNORM_SRGB, preserve_alpha_coverage=True, **_SRGB, **_BC7
    ),
    TexturePreset.ALBEDO_LINEAR: dict(intent=TextureIntent.ALBEDO, output_format=Format.BC7_UNORM, **_BC7),
    TexturePreset.NORMAL: dict(intent=TextureIntent.NORMAL_TS, output_format=Format.BC7_UNORM, renormalize_normals_in_mips=True, **_BC7),
    TexturePreset.ROUGHNESS: dict(intent=TextureIntent.ROUGHNESS, output_format=Format.BC7_UNORM, **_BC7),
    TexturePreset.METALLIC: dict(intent=TextureIntent.METALLIC, output_format=Format.BC7_UNORM, **_BC7),
    TexturePreset.AO: dict(intent=TextureIntent.AO, output_format=Format.BC7_UNORM, **_BC7),
    TexturePreset.ORM: dict(intent=TextureIntent.ORM_PACKED, output_format=Format.BC7_UNORM, **_BC7),
    TexturePreset.EMISSIVE: dict(intent=TextureIntent.EMISSIVE, output_format=Format.BC7_UNORM_SRGB, **_SRGB, **_BC7),
    TexturePreset.UI: dict(intent=TextureIntent.DATA, output_format=Format.RGBA8_UNORM_SRGB, mip_policy=MipPolicy.NONE, **_SRGB),
    TexturePreset.HDR_ENV: dict(intent=TextureIntent.HDR_ENVIRONMENT, output_format=Format.RGBA16_FLOAT, hdr_handling=HdrHandling.KEEP_FLOAT),
    TexturePreset.HDR_ENV_32F: dict(intent=TextureIntent.HDR_ENVIRONMENT, output_format=Format.RGBA32_FLOAT, hdr_handling=HdrHandling.KEEP_FLOAT),
    TexturePreset.HDR_PROBE: dict(intent=TextureIntent.HDR_LIGHT_PROBE, output_format=Format.RGBA16_FLOAT, hdr_handling=HdrHandling.KEEP_FLOAT),
    TexturePreset.DATA: dict(intent=TextureIntent.DATA, output_format=Format.RGBA8_UNORM),
    TexturePreset.HEIGHT: dict(intent=TextureIntent.HEIGHT_MAP, output_format=Format.R16_UNORM),
}

_KEEP = ("source_id", "texture_type", "width", "height", "depth", "array_layers", "max_dimension")


def parse_preset(name: str) -> TexturePreset:
    """A preset from its tooling string (``albedo``, ``normal-bc7``, …).

    Raises:
        ValueError: unknown name; the message lists the known ones.
    """
    key = name.strip().lower()
    if key in PRESET_ALIASES:
        return PRESET_ALIASES[key]
    try:
        return TexturePreset(key)
    except ValueError:
        known = ", ".join(sorted([p.value for p in TexturePreset] + list(PRESET_ALIASES)))
        raise ValueError(f"unknown preset {name!r}; known presets: {known}") from None


def apply_preset(desc: TextureImportDesc, preset: TexturePreset) -> TextureImportDesc:
    """``desc`` reset to defaults except identity and shape, then ``preset`` applied."""
    kept = {name: getattr(desc, name) for name in _KEEP}
    return dataclasses.replace(TextureImportDesc(**kept), **_OVERRIDES[preset])


def preset_desc(preset: TexturePreset | str, source_id: str = "", **overrides) -> TextureImportDesc:
    """A descriptor for ``preset`` with ``overrides`` applied on top."""
    preset = parse_preset(preset) if isinstance(preset, str) else preset
    return dataclasses.replace(apply_preset(TextureImportDesc(source_id=source_id), preset), **overrides)


_SUFFIXES = (
    (("_albedo", "_basecolor", "_base_color", "_diffuse", "_color", "_col", "_d"), TexturePreset.ALBEDO),
    (("_normal", "_nrm", "_norm", "_n"), TexturePreset.NORMAL),
    (("_roughness", "_rough"), TexturePreset.ROUGHNESS),
    (("_metallic", "_metalness", "_metal"), TexturePreset.METALLIC),
    (("_ao", "_occlusion"), TexturePreset.AO),
    (("_orm", "_occlusionroughnessmetallic", "_arm"), TexturePreset.ORM),
    (("_emissive", "_emission"), TexturePreset.EMISSIVE),
    (("_height", "_displacement", "_disp", "_bump"), TexturePreset.HEIGHT),
    (("_env", "_hdri"), TexturePreset.HDR_ENV),
    (("_ui", "_icon"), TexturePreset.UI),
    (("_mask", "_cutout", "_alphatest"), TexturePreset.ALBEDO_ALPHA_TEST),
)


def detect_preset_from_filename(name: str) -> TexturePreset:
    """The preset a file name implies (extension first, then stem suffix), as the
    engine's ``DetectPresetFromFilename`` does, with common extra spellings
    (``_n``, ``_basecolor``, ``_arm``, ``_mask``). Unknown names give ``DATA``.
    """
    base = name.replace("\\", "/").rpartition("/")[2]
    if base in ("", "."):  # a name ending in a separator or "." part: its path's own last part
        base = PurePosixPath(name.replace("\\", "/")).name
    dot = base.rfind(".")  # suffix and stem as PurePosixPath splits them (".png" is a stem, "a." has no suffix)
    suffix, stem = (base[dot:], base[:dot]) if 0 < dot < len(base) - 1 else ("", base)
    if suffix.lower() in (".hdr", ".exr"):
        return TexturePreset.HDR_ENV
    stem = stem.lower()
    for suffixes, preset in _SUFFIXES:
        if stem.endswith(suffixes):
            return preset
    return TexturePreset.DATA

