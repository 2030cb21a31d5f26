"""Descriptors and presets: validation rules, preset tables, naming conventions, wire form."""

from __future__ import annotations

import dataclasses

import pytest

from oxcook.formats import Format, TextureType
from oxcook.worker import TextureImportError, TextureImportErrorCode
from oxcook.worker.cook import Bc7Quality, ColorSpace, TextureImportDesc, TextureIntent, TexturePreset, apply_preset, detect_preset_from_filename, parse_preset, preset_desc, validate_pre_decode


@pytest.mark.parametrize(
    "changes, code",
    [
        (dict(width=4), TextureImportErrorCode.INVALID_DIMENSIONS),
        (dict(depth=2), TextureImportErrorCode.DEPTH_INVALID_FOR_2D),
        (dict(output_format=Format.BC7_UNORM), TextureImportErrorCode.INTENT_FORMAT_MISMATCH),
        (dict(bc7_quality=Bc7Quality.FAST), TextureImportErrorCode.INTENT_FORMAT_MISMATCH),
        (dict(mip_policy=2, max_mip_levels=0), TextureImportErrorCode.INVALID_MIP_POLICY),
        (dict(texture_type=TextureType.TEXTURE_CUBE), TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID),
        (dict(texture_type=TextureType.TEXTURE_CUBE_ARRAY, array_layers=7), TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID),
        (dict(intent=TextureIntent.HDR_ENVIRONMENT), TextureImportErrorCode.INTENT_FORMAT_MISMATCH),
        (dict(alpha_cutoff=1.5), TextureImportErrorCode.INVALID_SETTING),
        (dict(texture_type=TextureType.TEXTURE_3D), TextureImportErrorCode.INVALID_SETTING),
    ],
)
def test_validation_rules(changes, code):
    desc = dataclasses.replace(TextureImportDesc(source_id="t.png"), **changes)
    with pytest.raises(TextureImportError) as info:
        validate_pre_decode(desc)
    assert info.value.error == code and "t.png" in str(info.value)


def test_every_preset_validates():
    refused = {}
    for preset in TexturePreset:
        try:
            validate_pre_decode(preset_desc(preset, "x.png"))
        except TextureImportError as exc:
            refused[preset] = exc.code
    assert len(TexturePreset) > 10 and refused == {}


def test_presets_match_the_engine_where_it_is_right():
    albedo = preset_desc("albedo")
    assert (albedo.output_format, albedo.bc7_quality, albedo.source_color_space) == (Format.BC7_UNORM_SRGB, Bc7Quality.DEFAULT, ColorSpace.SRGB)
    normal = preset_desc("normal")
    assert normal.output_format == Format.BC7_UNORM and normal.renormalize_normals_in_mips
    assert preset_desc("orm").source_color_space == ColorSpace.LINEAR
    assert preset_desc("hdr-env").output_format == Format.RGBA16_FLOAT
    assert preset_desc("hdr-env-32f").output_format == Format.RGBA32_FLOAT
    assert preset_desc("ui").mip_policy == 0 and preset_desc("ui").output_format == Format.RGBA8_UNORM_SRGB
    assert preset_desc("height").output_format == Format.R16_UNORM
    assert preset_desc("albedo-alpha-test").preserve_alpha_coverage


def test_apply_preset_resets_everything_but_identity_and_shape():
    desc = TextureImportDesc(source_id="a.png", width=8, height=8, flip_normal_green=True, exposure_ev=3.0)
    out = apply_preset(desc, TexturePreset.DATA)
    assert (out.source_id, out.width, out.height) == ("a.png", 8, 8)
    assert not out.flip_normal_green and out.exposure_ev == 0.0


@pytest.mark.parametrize(
    "name, preset",
    [
        ("Brick_albedo.png", TexturePreset.ALBEDO),
        ("brick_BaseColor.jpg", TexturePreset.ALBEDO),
        ("rock_n.png", TexturePreset.NORMAL),
        ("rock_Normal.tga", TexturePreset.NORMAL),
        ("rock_orm.png", TexturePreset.ORM),
        ("WaterBottle_occlusionRoughnessMetallic.png", TexturePreset.ORM),
        ("rock_rough.png", TexturePreset.ROUGHNESS),
        ("rock_metal.png", TexturePreset.METALLIC),
        ("rock_ao.png", TexturePreset.AO),
        ("lamp_emissive.png", TexturePreset.EMISSIVE),
        ("sky.hdr", TexturePreset.HDR_ENV),
        ("sky.EXR", TexturePreset.HDR_ENV),
        ("cliff_height.png", TexturePreset.HEIGHT),
        ("leaves_mask.png", TexturePreset.ALBEDO_ALPHA_TEST),
        ("hopper.png", TexturePreset.DATA),
        ("dir\\sub\\thing_normal.png", TexturePreset.NORMAL),
    ],
)
def test_detect_preset_from_filename(name, preset):
    assert detect_preset_from_filename(name) == preset


def test_parse_preset_aliases_and_errors():
    assert parse_preset("albedo-srgb") == TexturePreset.ALBEDO
    assert parse_preset(" Normal-BC7 ") == TexturePreset.NORMAL
    with pytest.raises(ValueError, match="known presets"):
        parse_preset("shiny")


def test_desc_wire_round_trip():
    desc = preset_desc("albedo-alpha-test", "x/y.png", width=4, height=4)
    data = desc.to_dict()
    assert all(isinstance(v, (int, float, str, bool)) for v in data.values())
    assert TextureImportDesc.from_dict(data) == desc
    with pytest.raises(ValueError):
        TextureImportDesc.from_dict({**data, "evil": 1})
