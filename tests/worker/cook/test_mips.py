"""Mip correctness: sRGB-correct filtering, normal renormalisation, alpha coverage, NPOT chains."""

from __future__ import annotations

import numpy as np
import pytest

from oxcook import formats as f
from oxcook.formats import Format
from tests.helpers import decode_payload, payload_subresources, png_bytes
from oxcook.worker.cook import Bc7Quality, ColorSpace, MipFilter, MipPolicy, cook_texture, preset_desc
from oxcook.worker.cook._color import float_to_unorm8, samples_to_float, srgb_to_linear
from oxcook.worker.cook._types import CookPlan
from oxcook.worker.cook._mips import alpha_coverage, mip_chain
from oxcook.worker.cook._rows import halved_rows, rgba8, to_rgba, working_rows


def checkerboard(size: int = 16) -> np.ndarray:
    y, x = np.mgrid[:size, :size]
    grey = np.where((x + y) % 2 == 0, 255, 0).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


@pytest.mark.parametrize("fmt", [Format.RGBA8_UNORM_SRGB, Format.BC7_UNORM_SRGB])
def test_srgb_checkerboard_mip1_is_linear_half(fmt):
    bc7 = Bc7Quality.DEFAULT if fmt == Format.BC7_UNORM_SRGB else Bc7Quality.NONE
    desc = preset_desc("albedo", output_format=fmt, bc7_quality=bc7)
    cooked = cook_texture(png_bytes(checkerboard()), desc)
    mip1 = decode_payload(cooked.format, cooked.payload, 16, 16)[1]
    assert np.all(np.abs(mip1[..., :3].astype(int) - 188) <= 1)


def test_engine_gamma_space_filtering_on_request():
    desc = preset_desc("albedo", output_format=Format.RGBA8_UNORM_SRGB, bc7_quality=Bc7Quality.NONE, mip_filter_space=ColorSpace.SRGB)
    cooked = cook_texture(png_bytes(checkerboard()), desc)
    mip1 = decode_payload(cooked.format, cooked.payload, 16, 16)[1]
    assert np.all(np.abs(mip1[..., :3].astype(int) - 128) <= 1)


def test_srgb_round_trip_of_mip0_is_exact():
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    img = np.stack([values, values.T, 255 - values], axis=2)
    cooked = cook_texture(png_bytes(img), preset_desc("albedo", output_format=Format.RGBA8_UNORM_SRGB, bc7_quality=Bc7Quality.NONE))
    assert np.array_equal(decode_payload(cooked.format, cooked.payload, 16, 16)[0][..., :3], img)


@pytest.mark.parametrize(
    "rel, fmt, tolerance",
    [
        ("fbx/textures/checkerboard_normal.png", Format.RGBA8_UNORM, 0.01),  # not unit length as authored
        ("gltf/WaterBottle/WaterBottle_normal.png", Format.RGBA8_UNORM, 0.01),
        # BC7 block error: a few outlier texels reach ~10 %, so the bound is on the 99.9th percentile
        ("gltf/WaterBottle/WaterBottle_normal.png", Format.BC7_UNORM, 0.03),
    ],
)
def test_normal_map_mips_have_unit_length(shared_assets, rel, fmt, tolerance):
    data = (shared_assets / rel).read_bytes()
    bc7 = Bc7Quality.FAST if fmt == Format.BC7_UNORM else Bc7Quality.NONE
    cooked = cook_texture(data, preset_desc("normal", output_format=fmt, bc7_quality=bc7))
    for level in decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height):
        n = level[..., :3].astype(np.float64) / 255.0 * 2.0 - 1.0
        error = np.abs(np.linalg.norm(n, axis=-1) - 1.0)
        worst = float(np.percentile(error, 99.9)) if fmt == Format.BC7_UNORM else float(error.max())
        assert worst <= tolerance, f"unit-length error {worst:.4f}"


def test_flip_green_inverts_g():
    img = np.zeros((4, 4, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 128, 40, 255
    cooked = cook_texture(
        png_bytes(img),
        preset_desc(
            "normal",
            output_format=Format.RGBA8_UNORM,
            bc7_quality=Bc7Quality.NONE,
            flip_normal_green=True,
            renormalize_normals_in_mips=False,
            mip_policy=MipPolicy.NONE,
        ),
    )
    assert decode_payload(cooked.format, cooked.payload, 4, 4)[0][0, 0, 1] == 215


@pytest.mark.parametrize("fmt", [Format.RGBA8_UNORM_SRGB, Format.BC7_UNORM_SRGB])
def test_alpha_coverage_kept_within_one_percent(shared_assets, fmt):
    data = (shared_assets / "images/png/transparent.png").read_bytes()
    bc7 = Bc7Quality.DEFAULT if fmt == Format.BC7_UNORM_SRGB else Bc7Quality.NONE
    cooked = cook_texture(data, preset_desc("albedo-alpha-test", output_format=fmt, bc7_quality=bc7))
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    target = alpha_coverage(levels[0][..., 3] / 255.0, 0.5)
    assert 0.05 < target < 0.95
    for mip, level in enumerate(levels):
        if level.size >= 64 * 4:  # coverage of a handful of texels moves in steps larger than 1 %
            assert abs(alpha_coverage(level[..., 3] / 255.0, 0.5) - target) <= 0.01, f"mip {mip}"


def test_without_coverage_preservation_coverage_drifts(shared_assets):
    data = (shared_assets / "images/png/transparent.png").read_bytes()
    cooked = cook_texture(data, preset_desc("albedo", output_format=Format.RGBA8_UNORM_SRGB, bc7_quality=Bc7Quality.NONE))
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    target = alpha_coverage(levels[0][..., 3] / 255.0, 0.5)
    assert any(abs(alpha_coverage(lv[..., 3] / 255.0, 0.5) - target) > 0.01 for lv in levels[1:5])


def test_npot_100x60_chain_matches_spec_layout():
    img = np.random.default_rng(1).integers(0, 256, (60, 100, 4), dtype=np.uint8)
    cooked = cook_texture(png_bytes(img), preset_desc("data"))
    assert (cooked.width, cooked.height, cooked.mip_levels, cooked.size_bytes) == (100, 60, 7, 46848)
    header, subs = payload_subresources(cooked.payload)
    expected = [(0, 512, 30720), (30720, 256, 7680), (38400, 256, 3840), (42496, 256, 1792), (44544, 256, 768), (45568, 256, 256), (46080, 256, 256)]
    assert [(s.offset_bytes, s.row_pitch_bytes, s.size_bytes) for s, _ in subs] == expected
    assert header.data_offset_bytes == 512
    dims = [lv.shape[:2] for lv in decode_payload(cooked.format, cooked.payload, 100, 60)]
    assert dims == [(60, 100), (30, 50), (15, 25), (7, 12), (3, 6), (1, 3), (1, 1)]


def test_npot_bc7_edges_are_replicated_not_truncated():
    img = np.zeros((6, 6, 3), np.uint8)
    img[:, 4:] = 200  # the last two columns live only in padded blocks
    cooked = cook_texture(png_bytes(img), preset_desc("albedo-linear", mip_policy=MipPolicy.NONE))
    decoded = decode_payload(cooked.format, cooked.payload, 6, 6)[0]
    assert np.all(np.abs(decoded[:, 4:, :3].astype(int) - 200) <= 2)


@pytest.mark.parametrize("kind", [MipFilter.BOX, MipFilter.KAISER, MipFilter.LANCZOS])
def test_filters_keep_constant_images_constant(kind):
    img = np.full((37, 53, 3), 99, np.uint8)
    cooked = cook_texture(png_bytes(img), preset_desc("data", mip_filter=kind))
    for level in decode_payload(cooked.format, cooked.payload, 53, 37):
        assert np.all(level[..., :3] == 99) and np.all(level[..., 3] == 255)


def test_mip_policies():
    img = png_bytes(np.zeros((64, 32, 3), np.uint8))
    assert cook_texture(img, preset_desc("data", mip_policy=MipPolicy.NONE)).mip_levels == 1
    assert cook_texture(img, preset_desc("data", mip_policy=MipPolicy.MAX_COUNT, max_mip_levels=3)).mip_levels == 3
    assert cook_texture(img, preset_desc("data", mip_policy=MipPolicy.MAX_COUNT, max_mip_levels=30)).mip_levels == 7
    assert cook_texture(img, preset_desc("data")).mip_levels == f.full_mip_count(32, 64) == 7


@pytest.mark.parametrize("shape", [(2, 2), (64, 2048), (4100, 16), (6, 70)])
def test_box_halving_is_the_mean_of_four_in_one_order(shape):
    """The 2x2 box sums top-left, bottom-left, top-right, bottom-right in that order (the bytes depend on the order of float sums)."""
    base = np.random.default_rng(5).random((*shape, 4), dtype=np.float32)
    want = base[0::2, 0::2] + base[1::2, 0::2]
    want += base[0::2, 1::2]
    want += base[1::2, 1::2]
    want *= np.float32(0.25)
    assert np.array_equal(mip_chain(base, 2, MipFilter.BOX)[1], want)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_rows_change_layout_not_values(channels):
    """Working rows, RGBA expansion and RGBA8 output copy whole pixels at a time; each sample is the one its own conversion gives."""
    samples = np.random.default_rng(6).integers(0, 256, (37, 29, channels), dtype=np.uint8)
    rgba = to_rgba(samples)
    grey = np.repeat(samples[..., :1], 3, axis=2)
    assert np.array_equal(rgba[..., :3], samples[..., :3] if channels >= 3 else grey)
    assert np.array_equal(rgba[..., 3], samples[..., -1] if channels in (2, 4) else np.full(samples.shape[:2], 255))
    for srgb in (False, True):
        plan = CookPlan("rows", Format.BC7_UNORM_SRGB if srgb else Format.BC7_UNORM, samples.shape[1], samples.shape[0], 1,
                        linear_work=srgb, encode_srgb=srgb, bake_hdr=False, premultiply=False, flags=f.PayloadFlags(0))
        work = working_rows(samples, plan)
        assert np.array_equal(work[..., :3], samples_to_float(rgba[..., :3], srgb=srgb))
        assert np.array_equal(work[..., 3], samples_to_float(rgba[..., 3], srgb=False))
        out = rgba8(work, plan)
        assert np.array_equal(out[..., :3], float_to_unorm8(work[..., :3], srgb=srgb)) and np.array_equal(out[..., 3], float_to_unorm8(work[..., 3], srgb=False))
        assert np.array_equal(out, rgba)  # the round trip through linear light is exact for 8-bit samples


@pytest.mark.parametrize("shape", [(2, 2, 1), (64, 2048, 3), (6, 70, 2), (40, 22, 4), (64, 30, 3)])
def test_level_1_straight_from_8bit_rows_is_the_box_of_their_working_rows(shape):
    """Halving 8-bit level-0 rows without making their float rows gives every value the box of those rows gives."""
    samples = np.random.default_rng(7).integers(0, 256, shape, dtype=np.uint8)
    for srgb in (False, True):
        plan = CookPlan("rows", Format.BC7_UNORM_SRGB if srgb else Format.BC7_UNORM, shape[1], shape[0], 2,
                        linear_work=srgb, encode_srgb=srgb, bake_hdr=False, premultiply=False, flags=f.PayloadFlags(0))
        want = mip_chain(working_rows(samples, plan), 2, MipFilter.BOX)[1]
        got = halved_rows(samples, plan)
        assert got.dtype == np.float32 and np.array_equal(got, want)


@pytest.mark.parametrize("srgb", [False, True])
def test_8bit_samples_are_looked_up_two_at_a_time_to_the_same_values(srgb):
    """Every byte value, in even and odd counts, contiguous, a strided view or an odd byte offset: the value its own conversion gives."""
    every = np.arange(256, dtype=np.uint8)
    want = srgb_to_linear(every / np.float32(255)) if srgb else every.astype(np.float32) * np.float32(1 / 255)
    samples = np.random.default_rng(8).integers(0, 256, (33, 19, 4), dtype=np.uint8)
    for x in (every, every[:255], every[1:255], every[::-1].reshape(16, 16, 1), samples, samples[..., :3], samples[:, 1::2, 3], samples[:1, :1, :1]):
        got = samples_to_float(x, srgb=srgb)
        assert got.dtype == np.float32 and got.shape == x.shape and np.array_equal(got, want[x])
