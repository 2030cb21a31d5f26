"""cook_texture end to end: stages, cancellation, arrays and cubes, HDR, other formats."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from tests.helpers import decode_payload, exr_bytes, payload_subresources, png_bytes, psnr
from oxcook.worker import TextureCancelled, TextureImportError, TextureImportErrorCode
from oxcook.worker.cook import Bc7Quality, MipPolicy, apply_content_processing, convert_to_output_format, convert_to_working_format, cook_texture, cook_texture_layers, decode_source, generate_mips, pack_subresources, plan_cook, preset_desc

NOISE = np.random.default_rng(7).integers(0, 256, (32, 48, 4), dtype=np.uint8)


def test_stages_compose_to_cook_texture():
    desc = preset_desc("albedo", "noise.png")
    decoded = decode_source(png_bytes(NOISE), desc)
    plan = plan_cook(desc, decoded)
    work = apply_content_processing(convert_to_working_format(decoded, plan), desc, plan)
    levels = generate_mips(work, desc, plan)
    cooked = pack_subresources([convert_to_output_format(levels, work, desc, plan)], f.TextureType.TEXTURE_2D, plan)
    assert cooked.payload == cook_texture(png_bytes(NOISE), desc).payload
    assert f.parse_payload(cooked.payload).header.content_hash == cooked.content_hash
    assert set(cook_texture(png_bytes(NOISE), desc).timings_ms) == {
        "decode_source",
        "convert_to_working_format",
        "apply_content_processing",
        "generate_mips",
        "convert_to_output_format",
        "quality",
        "pack_subresources",
    }


def test_cooked_row():
    cooked = cook_texture(png_bytes(NOISE), preset_desc("albedo", "noise.png"))
    row = cooked.row
    assert row.format == f.Format.BC7_UNORM_SRGB and row.compression_type == 7
    assert (row.width, row.height, row.mip_levels, row.data_offset) == (48, 32, 6, 0)
    assert row.size_bytes == len(cooked.payload) and cooked.row is row  # built once


@pytest.mark.parametrize("after_calls", [0, 1, 3, 5, 7])
def test_cancel_stops_at_the_next_stage_boundary(after_calls):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > after_calls

    with pytest.raises(TextureCancelled) as info:
        cook_texture(png_bytes(NOISE), preset_desc("albedo", "noise.png"), cancel=cancel)
    assert info.value.error == TextureImportErrorCode.CANCELLED and "noise.png" in str(info.value)


def test_cube_from_six_faces_is_layer_major():
    faces = [png_bytes(np.full((16, 16, 3), 40 * i, np.uint8)) for i in range(6)]
    desc = preset_desc("data", "sky", texture_type=f.TextureType.TEXTURE_CUBE, array_layers=6)
    cooked = cook_texture_layers(faces, desc)
    assert (cooked.texture_type, cooked.array_layers, cooked.mip_levels) == (f.TextureType.TEXTURE_CUBE, 6, 5)
    _, subs = payload_subresources(cooked.payload)
    assert len(subs) == 30
    for layer in range(6):
        first = subs[layer * 5][1]
        assert first[0] == 40 * layer, f"layer {layer} mip 0"


def test_layers_must_match():
    faces = [png_bytes(np.zeros((16, 16, 3), np.uint8))] * 5 + [png_bytes(np.zeros((8, 8, 3), np.uint8))]
    desc = preset_desc("data", "sky", texture_type=f.TextureType.TEXTURE_CUBE, array_layers=6)
    with pytest.raises(TextureImportError) as info:
        cook_texture_layers(faces, desc)
    assert info.value.error == TextureImportErrorCode.DIMENSION_MISMATCH and "layer 5" in str(info.value)


def test_cube_needs_six_images():
    with pytest.raises(TextureImportError):
        cook_texture(png_bytes(NOISE), preset_desc("data", texture_type=f.TextureType.TEXTURE_CUBE, array_layers=6))


def test_hdr_float_mips_and_nonfinite_clamped(tmp_path):
    pixels = np.full((16, 16, 4), 2.5, np.float16)
    pixels[0, 0, 0] = np.nan
    pixels[1, 1, 1] = np.inf
    cooked = cook_texture(exr_bytes(pixels, tmp_path), preset_desc("hdr-env", "sky.exr"))
    assert cooked.format == f.Format.RGBA16_FLOAT and cooked.mip_levels == 5
    assert [d.code for d in cooked.diagnostics] == ["texture-nonfinite-clamped"]
    levels = decode_payload(cooked.format, cooked.payload, 16, 16)
    assert all(np.isfinite(lv.astype(np.float32)).all() for lv in levels)
    assert float(levels[0][5, 5, 0]) == 2.5


def test_hdr_32f_option(shared_assets):
    data = (shared_assets / "images/hdr/venice_sunset_1k.hdr").read_bytes()
    cooked = cook_texture(data, preset_desc("hdr-env-32f", "venice.hdr", mip_policy=MipPolicy.NONE))
    level = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    assert cooked.format == f.Format.RGBA32_FLOAT and level.max() > 100.0


def test_hdr_to_bc7_is_tonemapped(tmp_path):
    pixels = np.full((8, 8, 4), 4.0, np.float16)
    cooked = cook_texture(exr_bytes(pixels, tmp_path), preset_desc("albedo-linear", "bright.exr"))
    level = decode_payload(cooked.format, cooked.payload, 8, 8)[0]
    assert cooked.format == f.Format.BC7_UNORM and 220 < level[0, 0, 0] < 255


def test_hdr_error_handling_refuses_ldr_output(tmp_path):
    with pytest.raises(TextureImportError) as info:
        cook_texture(exr_bytes(np.ones((4, 4, 4), np.float16), tmp_path), preset_desc("data", "x.exr", hdr_handling=0))
    assert info.value.error == TextureImportErrorCode.HDR_REQUIRES_FLOAT_FORMAT


def test_premultiplied_alpha_sets_the_payload_flag():
    img = np.zeros((4, 4, 4), np.uint8)
    img[..., 0], img[..., 3] = 255, 128
    cooked = cook_texture(png_bytes(img), preset_desc("data", premultiply_alpha=True, mip_policy=MipPolicy.NONE))
    assert f.parse_payload(cooked.payload).header.flags == f.PayloadFlags.PREMULTIPLIED_ALPHA
    assert decode_payload(cooked.format, cooked.payload, 4, 4)[0][0, 0, 0] == 128


@pytest.mark.parametrize("fmt", [f.Format.BC1_UNORM, f.Format.BC3_UNORM])
def test_other_bcn_formats_decode(shared_assets, fmt):
    data = (shared_assets / "images/png/hopper.png").read_bytes()
    cooked = cook_texture(data, preset_desc("data", output_format=fmt, mip_policy=MipPolicy.NONE))
    level = decode_payload(cooked.format, cooked.payload, 128, 128)[0]
    with Image.open(shared_assets / "images/png/hopper.png") as im:
        assert psnr(level[..., :3], np.asarray(im.convert("RGB"))) > 28.0


def test_r8_and_rg8_outputs(shared_assets):
    data = (shared_assets / "images/jpeg/hopper_gray.jpg").read_bytes()
    r8 = cook_texture(data, preset_desc("data", output_format=f.Format.R8_UNORM))
    rg8 = cook_texture(data, preset_desc("data", output_format=f.Format.RG8_UNORM))
    assert decode_payload(r8.format, r8.payload, 128, 128)[0].shape == (128, 128, 1)
    assert decode_payload(rg8.format, rg8.payload, 128, 128)[3].shape == (16, 16, 2)


def test_same_input_same_bytes():
    desc = preset_desc("albedo", "noise.png", bc7_quality=Bc7Quality.FAST)
    assert cook_texture(png_bytes(NOISE), desc).payload == cook_texture(png_bytes(NOISE), desc).payload


def test_a_cooked_texture_is_built_by_field_name_only():
    from oxcook.worker.cook import CookedTexture

    with pytest.raises(TypeError):
        CookedTexture(b"OTX1", 3, 4, 4, 1, 1, 3, 62, 0, 0)
    cooked = CookedTexture(payload=b"OTX1", texture_type=3, width=4, height=4, depth=1, array_layers=1, mip_levels=3, format=62, content_hash=0)
    assert (cooked.width, cooked.flags, cooked.diagnostics) == (4, 0, ())


def test_a_cooked_texture_names_no_source(tmp_path):
    """The same bytes cooked under two names are one cooked texture: what it says about its source (here a clamped
    NaN) names none, so a cache entry of it serves any texture with these bytes as it is."""
    pixels = np.full((8, 8, 4), 1.5, np.float16)
    pixels[2, 3, 0] = np.nan
    data = exr_bytes(pixels, tmp_path)
    a = cook_texture(data, preset_desc("hdr-env", "a/sky.exr"), "a/sky.exr", quality=False)
    b = cook_texture(data, preset_desc("hdr-env", "a/sky.exr"), "b/other.exr", quality=False)
    assert a == b
    assert [(d.code, d.source_id) for d in a.diagnostics] == [("texture-nonfinite-clamped", "")]
    assert "sky" not in a.diagnostics[0].message and a.diagnostics[0].about("b/other.exr").message.startswith("b/other.exr: ")
