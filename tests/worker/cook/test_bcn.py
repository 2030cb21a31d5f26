"""The encoder door: every distinct 4x4 block is encoded once, and the bytes are the plain kernel's."""

from __future__ import annotations

import ispc_texcomp
import numpy as np
import pytest
from PIL import Image

from oxcook.formats import FORMAT_INFO, Format
from tests.conftest import SHARED_ASSETS as ASSETS
from tests.helpers import blocks_of, kernel_blocks
from oxcook.worker.cook._bcn import BC7_PROFILES, distinct_blocks, encode_blocks, supported_targets
from oxcook.worker.cook._desc import Bc7Quality


def _tiles(rng, distinct: int, grid: tuple[int, int], dtype=np.uint8) -> np.ndarray:
    """A surface of ``grid`` blocks, each one of ``distinct`` random blocks."""
    pool = rng.integers(0, 256, (distinct, 4, 4, 4)).astype(dtype) if dtype == np.uint8 else rng.random((distinct, 4, 4, 4)).astype(dtype)
    pick = rng.integers(0, distinct, grid)
    pick.flat[:distinct] = np.arange(distinct)  # every one of them used
    return np.ascontiguousarray(pool[pick].swapaxes(1, 2).reshape(grid[0] * 4, grid[1] * 4, 4))


def _photo(size: int = 256) -> np.ndarray:
    """A real texture crop with flat areas (many repeated blocks) and detail."""
    return np.asarray(Image.open(ASSETS / "gltf/WaterBottle/WaterBottle_baseColor.png").convert("RGBA").crop((0, 0, 1024, 1024)).resize((size, size)))


def _plain(fmt: Format, pixels: np.ndarray, quality: Bc7Quality) -> bytes:
    """The binding's own call on the whole surface: what a script around the encoder writes."""
    surface = ispc_texcomp.RGBASurface(memoryview(np.ascontiguousarray(pixels)).cast("B"), pixels.shape[1], pixels.shape[0])
    if fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB):
        profile = BC7_PROFILES[quality][bool((pixels[..., 3] < 255).any())]
        return bytes(ispc_texcomp.compress_blocks_bc7(surface, ispc_texcomp.BC7EncSettings.from_profile(profile)))
    return bytes(getattr(ispc_texcomp, f"compress_blocks_{FORMAT_INFO[fmt].name.split('_')[0].lower()}")(surface))


def test_a_tiled_surface_is_reduced_to_its_distinct_blocks() -> None:
    pixels = _tiles(np.random.default_rng(1), 3, (8, 16))
    reps, inverse = distinct_blocks(pixels)
    assert reps.shape == (4, 12, 4)  # three blocks in a 4-row strip
    assert np.array_equal(blocks_of(reps)[inverse], blocks_of(pixels))


def test_a_surface_without_repeats_is_left_as_it_is() -> None:
    pixels = np.random.default_rng(2).integers(0, 256, (16, 32, 4), dtype=np.uint8)
    reps, inverse = distinct_blocks(pixels)
    assert reps is pixels and inverse is None


def test_a_surface_with_few_repeats_is_not_worth_reducing():
    pixels = np.random.default_rng(6).integers(0, 256, (32, 64, 4), dtype=np.uint8)
    pixels[:4, 4:8] = pixels[:4, :4]  # one repeat in 128 blocks
    reps, inverse = distinct_blocks(pixels)
    assert reps.shape == (4, 127 * 4, 4) and inverse is not None
    reps, inverse = distinct_blocks(pixels, worth_below=0.97)
    assert reps is pixels and inverse is None
    assert encode_blocks(Format.BC7_UNORM, pixels) == _plain(Format.BC7_UNORM, pixels, Bc7Quality.DEFAULT)


def test_a_hash_collision_does_not_merge_different_blocks() -> None:
    """Blocks whose words differ by (+K1, -K0) have the same linear hash: they must still be told apart."""
    from oxcook.worker.cook._bcn import _HASH_WEIGHTS

    a = np.random.default_rng(3).integers(0, 256, (4, 4, 4), dtype=np.uint8)
    words = a.reshape(-1).view(np.uint64).copy()
    with np.errstate(over="ignore"):
        words[0] += _HASH_WEIGHTS[1]
        words[1] -= _HASH_WEIGHTS[0]
    b = words.view(np.uint8).reshape(4, 4, 4)
    assert not np.array_equal(a, b)
    pixels = np.concatenate([a, b, a, b], axis=1)
    reps, inverse = distinct_blocks(pixels)
    assert reps is pixels and inverse is None  # one hash, two blocks: not reduced
    assert encode_blocks(Format.BC7_UNORM, pixels) == _plain(Format.BC7_UNORM, pixels, Bc7Quality.DEFAULT)


@pytest.mark.skipif("avx2" not in supported_targets(), reason="the binding dispatches to the best target; oxcook pins avx2")
@pytest.mark.parametrize("quality", list(BC7_PROFILES))
@pytest.mark.parametrize("alpha", [False, True])
def test_bc7_bytes_are_the_plain_kernels_on_a_real_texture(quality, alpha) -> None:
    pixels = _photo().copy()
    if alpha:
        pixels[64:, :, 3] = np.linspace(0, 255, pixels.shape[1]).astype(np.uint8)
    assert len(distinct_blocks(pixels)[0]) < len(blocks_of(pixels))  # the crop does repeat blocks
    assert encode_blocks(Format.BC7_UNORM, pixels, quality) == _plain(Format.BC7_UNORM, pixels, quality)


@pytest.mark.skipif("avx2" not in supported_targets(), reason="the binding dispatches to the best target; oxcook pins avx2")
@pytest.mark.parametrize("fmt", [Format.BC1_UNORM, Format.BC3_UNORM, Format.BC4_UNORM, Format.BC5_UNORM])
def test_bcn_bytes_are_the_plain_kernels(fmt) -> None:
    pixels = np.concatenate([_photo(), _tiles(np.random.default_rng(4), 5, (64, 64))], axis=0)
    channels = {Format.BC4_UNORM: 1, Format.BC5_UNORM: 2}.get(fmt, 4)
    expected = encode_blocks(fmt, pixels)
    surface = np.ascontiguousarray(pixels[..., :channels])
    theirs = ispc_texcomp.RGBASurface(memoryview(surface).cast("B"), surface.shape[1], surface.shape[0], surface.shape[1] * channels)
    name = {Format.BC1_UNORM: "bc1", Format.BC3_UNORM: "bc3", Format.BC4_UNORM: "bc4", Format.BC5_UNORM: "bc5"}[fmt]
    # the binding's BC1 buffer is allocated at 16 bytes a block and only its first half written
    assert expected == bytes(getattr(ispc_texcomp, f"compress_blocks_{name}")(theirs))[: len(expected)]


def test_bc6h_and_odd_sizes_decode_as_the_unreduced_encode() -> None:
    """Float16 blocks are reduced too, and a surface padded to whole blocks keeps its edge replication."""
    rng = np.random.default_rng(5)
    hdr = _tiles(rng, 4, (6, 10), dtype=np.float16) * np.float16(8)
    reps, inverse = distinct_blocks(hdr)
    assert len(blocks_of(reps)) == 4
    whole = encode_blocks(Format.BC6H_UF16, hdr)
    one_by_one = b"".join(encode_blocks(Format.BC6H_UF16, np.ascontiguousarray(block)) for block in blocks_of(hdr))
    assert whole == one_by_one
    odd = _photo(130)[:, :, :]  # 130x130: padded to 132
    assert encode_blocks(Format.BC7_UNORM, odd) == b"".join(
        encode_blocks(Format.BC7_UNORM, np.ascontiguousarray(b)) for b in blocks_of(np.pad(odd, ((0, 2), (0, 2), (0, 0)), mode="edge"))
    )



@pytest.mark.parametrize("fmt", [Format.BC7_UNORM, Format.BC1_UNORM, Format.BC6H_UF16])
@pytest.mark.parametrize("quality", list(BC7_PROFILES))
def test_surfaces_encoded_together_are_each_encoded_alone(fmt, quality) -> None:
    """``encode_surfaces`` returns each surface's own bytes, whatever its company: opaque and translucent
    surfaces keep their own BC7 profile, odd sizes their edge replication."""
    from oxcook.worker.cook._bcn import encode_surfaces

    photo = _photo(256)
    translucent = photo.copy()
    translucent[:, :, 3] = np.linspace(0, 255, 256).astype(np.uint8)
    surfaces = [photo[:64], translucent[64:128], photo[128:192], photo[:64, :130], _tiles(np.random.default_rng(7), 3, (2, 5))]
    if fmt == Format.BC6H_UF16:
        surfaces = [(s.astype(np.float16) / np.float16(32)) for s in surfaces]
    assert encode_surfaces(fmt, surfaces, quality) == [encode_blocks(fmt, s, quality) for s in surfaces]


def test_a_block_repeated_across_surfaces_is_encoded_once(monkeypatch) -> None:
    """Bands of one level encoded together find the repeats a single band cannot see."""
    from oxcook.worker.cook._bcn import encode_surfaces

    rng = np.random.default_rng(8)
    band = _tiles(rng, 40, (8, 16))
    other = np.ascontiguousarray(band.reshape(8, 4, 64, 4)[::-1].reshape(band.shape))  # the same 40 blocks, other places
    alone = [encode_blocks(Format.BC7_UNORM, s) for s in (band, other)]
    seen = kernel_blocks(monkeypatch)
    assert encode_surfaces(Format.BC7_UNORM, [band, other], Bc7Quality.DEFAULT) == alone
    assert seen == [40]
