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
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.helpers import decode_payload, psnr
from oxcook.worker import Bc7Quality, MipPolicy, cook_texture, preset_desc

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
