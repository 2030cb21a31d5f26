"""BC7 quality per preset and quality level, checked with an independent decoder.

Floors are what ispc_texcomp 1.0.1 measurably reaches on these files (RGB PSNR
of mip 0 against the source, decoded by texture2ddecoder), minus 0.5 dB:

| file | preset | fast | default | high |
|---|---|---|---|---|
| hopper.png | albedo | 36.05 | 39.78 | 40.63 |
| testorig.jpg | albedo | 40.01 | 44.10 | 44.67 |
| transparent.png (RGBA) | albedo | 36.56 | 39.84 | 41.12 |
| monkey16.png (16-bit) | albedo | 43.62 | 44.24 | 44.39 |
| rgb32rle.tga | albedo | 41.55 | 47.81 | 50.63 |
| WaterBottle_baseColor 2048² | albedo | 54.40 | 57.55 | — |
| WaterBottle_normal 2048² | normal | 45.70 | 48.80 | — |
| WaterBottle_occlusionRoughnessMetallic 2048² | orm | 50.57 | 52.88 | — |
| WaterBottle_emissive 2048² | emissive | 77.68 | 79.39 | — |

The 2048² files run at ``fast`` only here, to keep the suite short.

The quality figures a cook measures (``worker.cook._quality``, decoded with
imagecodecs' BCn codec) are checked against an independent computation: the
container decoded with texture2ddecoder (``tests.helpers``), the source read by
Pillow or imagecodecs, the figures computed here in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import dataclasses
import math

import imagecodecs

from tests.helpers import decode_payload, kernel_blocks, png_bytes, psnr
from oxcook import formats as f
from oxcook.worker.cook import Bc7Quality, MipPolicy, QualitySums, apply_content_processing, convert_to_working_format, cook_texture, decode_source, encoder_input, generate_mips, join_texture_parts, plan_cook, preset_desc, quality_figures

FLOORS = [
    ("images/png/hopper.png", "albedo", {Bc7Quality.FAST: 36.05, Bc7Quality.DEFAULT: 39.78, Bc7Quality.HIGH: 40.63}),
    ("images/jpeg/testorig.jpg", "albedo", {Bc7Quality.FAST: 40.01, Bc7Quality.DEFAULT: 44.10, Bc7Quality.HIGH: 44.67}),
    ("images/png/transparent.png", "albedo", {Bc7Quality.FAST: 36.56, Bc7Quality.DEFAULT: 39.84, Bc7Quality.HIGH: 41.12}),
    ("images/png/monkey16.png", "albedo", {Bc7Quality.FAST: 43.62, Bc7Quality.DEFAULT: 44.24, Bc7Quality.HIGH: 44.39}),
    ("images/tga/rgb32rle.tga", "albedo", {Bc7Quality.FAST: 41.55, Bc7Quality.DEFAULT: 47.81, Bc7Quality.HIGH: 50.63}),
    ("gltf/WaterBottle/WaterBottle_baseColor.png", "albedo", {Bc7Quality.FAST: 54.40}),
    ("gltf/WaterBottle/WaterBottle_normal.png", "normal", {Bc7Quality.FAST: 45.70}),
    ("gltf/WaterBottle/WaterBottle_occlusionRoughnessMetallic.png", "orm", {Bc7Quality.FAST: 50.57}),
    ("gltf/WaterBottle/WaterBottle_emissive.png", "emissive", {Bc7Quality.FAST: 77.68}),
]
MARGIN_DB = 0.5
CASES = [(rel, preset, q, floor) for rel, preset, floors in FLOORS for q, floor in floors.items()]


def _reference(path) -> np.ndarray:
    with Image.open(path) as im:
        if im.mode in ("I;16", "I"):
            return np.repeat((np.asarray(im, dtype=np.uint32) >> 8).astype(np.uint8)[..., None], 3, axis=2)
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize("rel, preset, quality, floor", CASES, ids=[f"{c[0].split('/')[-1]}-{c[2].name}" for c in CASES])
def test_bc7_psnr_floor(shared_assets, rel, preset, quality, floor):
    path = shared_assets / rel
    cooked = cook_texture(path.read_bytes(), preset_desc(preset, source_id=rel, bc7_quality=quality, mip_policy=MipPolicy.NONE))
    decoded = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    reference = _reference(path)
    if reference.shape[:2] != decoded.shape[:2]:
        pytest.fail(f"decoded {decoded.shape} vs source {reference.shape}")
    assert psnr(decoded[..., :3], reference) >= floor - MARGIN_DB


def test_mips_stay_close_to_a_reference_downsample(shared_assets):
    path = shared_assets / "images/jpeg/testorig.jpg"
    cooked = cook_texture(path.read_bytes(), preset_desc("albedo", bc7_quality=Bc7Quality.DEFAULT))
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    assert len(levels) == cooked.mip_levels == 8
    with Image.open(path) as im:
        ref = np.asarray(im.convert("RGB").resize((levels[1].shape[1], levels[1].shape[0]), Image.Resampling.BOX))
    assert psnr(levels[1][..., :3], ref) > 30.0


# --- quality figures ---------------------------------------------------------------------------

PHOTOS = ["images/jpeg/testorig.jpg", "images/png/hopper.png", "images/tga/rgb32rle.tga", "gltf/AlphaBlendModeTest/MatBed_baseColor.jpg"]
TOLERANCE_DB = 0.05


def _rgba(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


@pytest.mark.parametrize("rel", PHOTOS, ids=lambda r: r.split("/")[-1])
def test_psnr_of_photos_matches_an_independent_decode(shared_assets, rel):
    path = shared_assets / rel
    cooked = cook_texture(path.read_bytes(), preset_desc("albedo", source_id=rel, bc7_quality=Bc7Quality.FAST))
    figures = quality_figures(cooked.quality)
    level0 = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    assert abs(figures.psnr_db - psnr(level0[..., :3], _rgba(path)[..., :3])) <= TOLERANCE_DB
    assert figures.psnr_alpha_db is None  # opaque: alpha does not matter
    assert 25.0 < figures.psnr_db < 70.0


def test_mip_psnr_is_the_lowest_over_the_chain_oxcook_filtered(shared_assets):
    rel = "images/jpeg/testorig.jpg"
    source = (shared_assets / rel).read_bytes()
    desc = preset_desc("albedo", source_id=rel, bc7_quality=Bc7Quality.FAST)
    cooked = cook_texture(source, desc)
    chain = _encoder_chain(source, desc)  # compared with the container decoded by the other library
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    expected = [psnr(got[..., :3], want[..., :3]) for got, want in zip(levels, chain)]
    figures = quality_figures(cooked.quality)
    assert len(expected) == cooked.mip_levels == 8
    for measured, independent in zip(figures.mip_psnrs_db, expected):
        assert measured == independent or abs(measured - independent) <= TOLERANCE_DB
    assert abs(figures.mip_psnr_db - min(expected[1:])) <= TOLERANCE_DB


def test_alpha_psnr_where_alpha_matters(shared_assets):
    path = shared_assets / "images/png/transparent.png"
    cooked = cook_texture(path.read_bytes(), preset_desc("albedo", source_id="transparent.png", bc7_quality=Bc7Quality.FAST, mip_policy=MipPolicy.NONE))
    figures = quality_figures(cooked.quality)
    level0 = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    source = _rgba(path)
    assert abs(figures.psnr_db - psnr(level0[..., :3], source[..., :3])) <= TOLERANCE_DB
    assert abs(figures.psnr_alpha_db - psnr(level0[..., 3], source[..., 3])) <= TOLERANCE_DB
    assert figures.mip_psnr_db is None and figures.alpha_coverage is None and figures.normal_error_deg is None


def _unit(samples: np.ndarray) -> np.ndarray:
    v = samples[..., :3].astype(np.float64) / 255.0 * 2.0 - 1.0
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6)


def _encoder_chain(source: bytes, desc) -> list[np.ndarray]:
    """Every level as the encoder receives it, through the whole-image stages (not the banded cook)."""
    decoded = decode_source(source, desc)
    plan = plan_cook(desc, decoded)
    work = apply_content_processing(convert_to_working_format(decoded, plan), desc, plan)
    return [encoder_input(level, mip, work, plan) for mip, level in enumerate(generate_mips(work, desc, plan))]


def test_normal_error_of_a_normal_map_matches_an_independent_decode(shared_assets):
    path = shared_assets / "gltf/WaterBottle/WaterBottle_normal.png"
    desc = preset_desc("normal", source_id="n.png", bc7_quality=Bc7Quality.FAST, mip_policy=MipPolicy.NONE)
    cooked = cook_texture(path.read_bytes(), desc)
    figures = quality_figures(cooked.quality)
    level0 = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    source = _encoder_chain(path.read_bytes(), desc)[0]  # this map is off unit length: level 0 is renormalised before encoding
    angles = np.degrees(np.arccos(np.clip(np.sum(_unit(level0) * _unit(source), axis=-1), -1.0, 1.0)))
    mean, p99 = figures.normal_error_deg
    assert abs(mean - float(angles.mean())) < 0.01
    assert 0.0 <= p99 - float(np.percentile(angles, 99, method="inverted_cdf")) <= 0.011  # the upper edge of its 0.01° bin
    assert abs(figures.psnr_db - psnr(level0[..., :3], source[..., :3])) <= TOLERANCE_DB


def test_alpha_coverage_of_an_alpha_test_texture_per_mip(shared_assets):
    path = shared_assets / "gltf/AlphaBlendModeTest/AlphaBlendLabels.png"
    desc = preset_desc("albedo-alpha-test", source_id="labels.png", bc7_quality=Bc7Quality.FAST)
    cooked = cook_texture(path.read_bytes(), desc)
    figures = quality_figures(cooked.quality)
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    cutoff, source, per_mip = figures.alpha_coverage
    assert cutoff == desc.alpha_cutoff
    assert source == pytest.approx(np.mean(_rgba(path)[..., 3] / 255.0 >= cutoff), abs=1e-12)
    assert per_mip == pytest.approx([float(np.mean(level[..., 3].astype(np.float32) / np.float32(255.0) >= np.float32(cutoff))) for level in levels], abs=1e-12)
    assert abs(figures.psnr_db - psnr(levels[0][..., :3], _rgba(path)[..., :3])) <= TOLERANCE_DB
    assert abs(figures.psnr_alpha_db - psnr(levels[0][..., 3], _rgba(path)[..., 3])) <= TOLERANCE_DB


def test_an_hdr_texture_kept_as_float_is_exact(shared_assets):
    path = shared_assets / "images/hdr/venice_sunset_1k.hdr"
    cooked = cook_texture(path.read_bytes(), preset_desc("hdr-env", source_id="sky.hdr"))
    figures = quality_figures(cooked.quality)
    level0 = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)[0]
    source = np.asarray(imagecodecs.rgbe_decode(path.read_bytes()), np.float32).astype(np.float16)
    assert psnr(level0[..., :3], source[..., :3], peak=float(source.max())) == math.inf  # independently: no error at all
    assert figures.psnr_db == math.inf and figures.mip_psnr_db == math.inf
    assert figures.to_dict()["psnr_db"] == "inf"


def test_bc6h_figures_compare_float_samples(shared_assets):
    """No second BC6H decoder gives floats (texture2ddecoder's is 8-bit): the figure is checked against its definition's bounds."""
    path = shared_assets / "images/hdr/venice_sunset_1k.hdr"
    cooked = cook_texture(path.read_bytes(), preset_desc("hdr-env", source_id="sky.hdr", output_format=f.Format.BC6H_UF16, mip_policy=MipPolicy.NONE))
    figures = quality_figures(cooked.quality)
    assert 30.0 < figures.psnr_db < math.inf
    assert cooked.quality.levels[0].peak > 1.0  # the sun is brighter than white: the peak is the level's own


def test_parts_of_a_split_texture_add_up_to_the_whole(shared_assets):
    source = (shared_assets / "gltf/AlphaBlendModeTest/AlphaBlendLabels.png").read_bytes()
    desc = preset_desc("albedo-alpha-test", source_id="labels.png", bc7_quality=Bc7Quality.FAST)
    whole = cook_texture(source, desc)
    joined = join_texture_parts([cook_texture(source, desc, part=(k, 3)) for k in range(3)], desc)
    assert joined.payload == whole.payload
    assert joined.quality == whole.quality  # 8-bit squared errors are whole numbers: they add up exactly


def test_the_figures_change_no_byte(shared_assets):
    for rel, preset in [("images/png/transparent.png", "albedo-alpha-test"), ("gltf/WaterBottle/WaterBottle_normal.png", "normal")]:
        source = (shared_assets / rel).read_bytes()
        desc = preset_desc(preset, source_id=rel, bc7_quality=Bc7Quality.FAST)
        with_figures, without = cook_texture(source, desc), cook_texture(source, desc, quality=False)
        assert with_figures.quality is not None and without.quality is None
        assert with_figures.payload == without.payload and with_figures.content_hash == without.content_hash


def test_quality_sums_round_trip_and_refuse_garbage(shared_assets):
    cooked = cook_texture((shared_assets / "images/png/transparent.png").read_bytes(), preset_desc("albedo-alpha-test", bc7_quality=Bc7Quality.FAST))
    assert QualitySums.from_plain(cooked.quality.to_plain()) == cooked.quality
    for bad in ({}, {**cooked.quality.to_plain(), "levels": [[1, 2]]}, {**cooked.quality.to_plain(), "source_passing": -1}, {**cooked.quality.to_plain(), "extra": 1}):
        with pytest.raises(ValueError):
            QualitySums.from_plain(bad)
    assert dataclasses.replace(cooked.quality, translucent=False) != cooked.quality


# --- blocks the encoder shares are measured once -------------------------------------------------


def _crop_png(path, width: int, height: int, translucent: bool = False) -> bytes:
    """An odd-sized crop of a real texture (edge blocks padded, three bands), optionally with a translucent corner."""
    with Image.open(path) as im:
        rgba = np.array(im.convert("RGBA"))[:height, :width]
    if translucent:
        rgba[: height // 3, : width // 3, 3] = 128
    return png_bytes(rgba)


def _decoded_blocks(monkeypatch) -> list[int]:
    """Spy on the quality figures' block decoder: the number of blocks of every call."""
    import oxcook.worker.cook._quality as quality

    seen: list[int] = []
    real = quality.decode_blocks

    def counting(fmt, data, width, height):
        seen.append(len(data) // f.FORMAT_INFO[fmt].bytes_per_block)
        return real(fmt, data, width, height)

    monkeypatch.setattr(quality, "decode_blocks", counting)
    return seen


SHARED = [
    ("gltf/WaterBottle/WaterBottle_baseColor.png", "albedo", True),
    ("gltf/WaterBottle/WaterBottle_baseColor.png", "albedo-alpha-test", True),
    ("gltf/WaterBottle/WaterBottle_normal.png", "normal", False),
]


@pytest.mark.parametrize("rel, preset, translucent", SHARED, ids=[p for _, p, _ in SHARED])
def test_figures_of_shared_blocks_match_an_independent_decode(shared_assets, monkeypatch, rel, preset, translucent):
    """At default quality the encoder encodes each distinct block once; the figures decode each of those
    once too, and still count every texel of the odd-sized surface exactly once."""
    source = _crop_png(shared_assets / rel, 1022, 598, translucent)
    desc = preset_desc(preset, source_id="crop.png", bc7_quality=Bc7Quality.DEFAULT)
    encoded, decoded = kernel_blocks(monkeypatch), _decoded_blocks(monkeypatch)
    cooked = cook_texture(source, desc)
    assert sum(decoded) == sum(encoded) < sum((-(-max(1, 1022 >> m) // 4)) * (-(-max(1, 598 >> m) // 4)) for m in range(cooked.mip_levels))
    figures = quality_figures(cooked.quality)
    levels = decode_payload(cooked.format, cooked.payload, cooked.width, cooked.height)
    chain = _encoder_chain(source, desc)
    expected = [psnr(got[..., :3], want[..., :3]) for got, want in zip(levels, chain)]
    assert len(figures.mip_psnrs_db) == len(expected) == cooked.mip_levels
    for measured, independent in zip(figures.mip_psnrs_db, expected):
        assert measured == independent or abs(measured - independent) <= TOLERANCE_DB
    assert cooked.quality.levels[0].texels == 1022 * 598
    if translucent:
        assert abs(figures.psnr_alpha_db - psnr(levels[0][..., 3], chain[0][..., 3])) <= TOLERANCE_DB
    if preset == "albedo-alpha-test":
        cutoff, at_source, per_mip = figures.alpha_coverage
        assert at_source == pytest.approx(float(np.mean(chain[0][..., 3].astype(np.float32) / np.float32(255.0) >= np.float32(cutoff))), abs=1e-12)
        assert per_mip == pytest.approx([float(np.mean(level[..., 3].astype(np.float32) / np.float32(255.0) >= np.float32(cutoff))) for level in levels], abs=1e-12)
    if preset == "normal":
        angles = np.degrees(np.arccos(np.clip(np.sum(_unit(levels[0]) * _unit(chain[0]), axis=-1), -1.0, 1.0)))
        mean, p99 = figures.normal_error_deg
        assert abs(mean - float(angles.mean())) < 0.01
        assert 0.0 <= p99 - float(np.percentile(angles, 99, method="inverted_cdf")) <= 0.011
    import oxcook.worker.cook._bcn as bcn

    monkeypatch.setattr(bcn, "_REDUCE_BELOW", {})  # every block encoded, and decoded, where it stands
    plain = cook_texture(source, desc)
    assert plain.payload == cooked.payload and plain.quality == cooked.quality  # the same sums, to the last bit


def test_normal_sums_of_split_parts_add_up_to_the_whole(shared_assets):
    """Angles are summed in fixed steps (2**-16 degree), so the parts of a split normal map add up exactly, in any order."""
    source = _crop_png(shared_assets / "gltf/WaterBottle/WaterBottle_normal.png", 1024, 600)
    desc = preset_desc("normal", source_id="n.png", bc7_quality=Bc7Quality.FAST)
    whole = cook_texture(source, desc)
    parts = [cook_texture(source, desc, part=(k, 3)) for k in range(3)]
    joined = join_texture_parts(parts, desc)
    assert joined.payload == whole.payload
    assert joined.quality == whole.quality
    assert QualitySums.combine([parts[2].quality, parts[0].quality, parts[1].quality]).normals == whole.quality.normals
