"""Banded cooking: the streamed chain and encode give the whole-image stages' bytes, and split parts join to them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oxcook import formats as f
from tests.helpers import blocks_of, exr_bytes, kernel_blocks, payload_subresources, png_bytes
from oxcook.worker.cook import BAND_ROWS, Bc7Quality, MipFilter, MipPolicy, apply_content_processing, convert_to_output_format, convert_to_working_format, cook_texture, decode_source, encode_blocks, generate_mips, join_texture_parts, pack_subresources, plan_cook, preset_desc, split_bands, split_worth
from oxcook.worker.cook._bands import chain_weight
from oxcook.worker.cook._mips import MipStream, mip_chain


def smooth(height: int, width: int, channels: int = 4, seed: int = 3) -> np.ndarray:
    """A photo-like image; its alpha is opaque in the first band and translucent below (per-band encoder profiles)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(seed)
    img = np.stack([np.sin(x / 17) * 90 + 128, np.cos(y / 23) * 90 + 128, (x + y) % 256, np.full_like(x, 255)], axis=2)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    img[BAND_ROWS:, :, 3] = np.clip(128 + (x[BAND_ROWS:] % 100), 0, 255).astype(np.uint8)
    return img[..., :channels]


def reference(source: bytes, desc) -> bytes:
    """The whole-image stages, composed."""
    decoded = decode_source(source, desc)
    plan = plan_cook(desc, decoded)
    work = apply_content_processing(convert_to_working_format(decoded, plan), desc, plan)
    levels = generate_mips(work, desc, plan)
    return pack_subresources([convert_to_output_format(levels, work, desc, plan)], f.TextureType.TEXTURE_2D, plan).payload


@pytest.mark.parametrize("kind", list(MipFilter))
@pytest.mark.parametrize("shape", [(300, 77), (257, 1), (1, 130), (640, 480)])
@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_the_streamed_chain_is_the_whole_image_chain(kind, shape, chunk):
    base = np.random.default_rng(1).random((*shape, 4), dtype=np.float32)
    levels = int(max(shape)).bit_length()
    want = mip_chain(base, levels, kind)
    got = [[] for _ in range(levels)]
    stream = MipStream(shape[1], shape[0], levels, kind, (0.0, 1.0), lambda mip, first, rows: got[mip].append((first, rows.copy())))
    for a in range(0, shape[0], chunk):
        stream.push(base[a : a + chunk])
    for mip in range(levels):
        assert [first for first, _ in got[mip]] == sorted(first for first, _ in got[mip])
        assert np.array_equal(np.concatenate([rows for _, rows in got[mip]]), want[mip]), f"level {mip}"



CASES = {
    "albedo-npot": (lambda: png_bytes(smooth(600, 333)), dict(preset="albedo")),
    "albedo-kaiser": (lambda: png_bytes(smooth(600, 334)), dict(preset="albedo", mip_filter=MipFilter.KAISER)),
    "albedo-lanczos": (lambda: png_bytes(smooth(600, 333)), dict(preset="albedo", mip_filter=MipFilter.LANCZOS)),
    # even sizes with a box filter: level 1 is made straight from the source's 8-bit rows
    "albedo-box": (lambda: png_bytes(smooth(520, 520, 3)), dict(preset="albedo", mip_filter=MipFilter.BOX)),
    "albedo-box-alpha": (lambda: png_bytes(smooth(520, 264)), dict(preset="albedo")),
    "orm-box": (lambda: png_bytes(smooth(300, 512, 3)), dict(preset="orm")),
    "grey-box": (lambda: png_bytes(smooth(272, 96, 1)[..., 0]), dict(preset="albedo")),
    "grey-alpha-box": (lambda: png_bytes(smooth(272, 96, 2)), dict(preset="albedo")),
    "alpha-test": (lambda: png_bytes(smooth(600, 333)), dict(preset="albedo-alpha-test")),
    "premultiplied": (lambda: png_bytes(smooth(600, 333)), dict(preset="albedo", premultiply_alpha=True)),
    "normal": (lambda: png_bytes(smooth(600, 300, 3)), dict(preset="normal")),
    "ui-rgba8": (lambda: png_bytes(smooth(600, 333)), dict(preset="ui")),
    "height-16bit": (lambda: png_bytes((smooth(600, 333, 1)[..., 0].astype(np.uint16) * 257)), dict(preset="height")),
    # an 8-bit source into a float or 16-bit format with one level: level 0 is made from working rows, not the source's bytes
    "hdr-env-8bit-one-level": (lambda: png_bytes(smooth(300, 200)), dict(preset="hdr-env", mip_policy=MipPolicy.NONE)),
    "height-8bit-one-level": (lambda: png_bytes(smooth(300, 200, 1)[..., 0]), dict(preset="height", mip_policy=MipPolicy.NONE)),
    "hdr-env-1x1-grey": (lambda: png_bytes(np.full((1, 1), 77, np.uint8)), dict(preset="hdr-env")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_banded_cook_is_the_whole_image_stages_byte_for_byte(case):
    make, options = CASES[case]
    options = dict(options)
    desc = preset_desc(options.pop("preset"), f"{case}.png", **options)
    if desc.bc7_quality != Bc7Quality.NONE:
        desc = dataclasses.replace(desc, bc7_quality=Bc7Quality.FAST)
    source = make()
    assert cook_texture(source, desc).payload == reference(source, desc)


def test_a_float_source_with_nonfinite_samples_is_banded_exactly(tmp_path):
    pixels = (np.random.default_rng(2).random((530, 70, 4)) * 70000).astype(np.float32)
    pixels[3, 3, 0], pixels[400, 5, 1] = np.nan, np.inf
    source = exr_bytes(pixels, tmp_path)
    desc = preset_desc("hdr-env", "sky.exr")
    cooked = cook_texture(source, desc)
    assert cooked.payload == reference(source, desc)
    assert [d.code for d in cooked.diagnostics] == ["texture-nonfinite-clamped", "texture-hdr-clamped"]


def test_a_split_for_idle_processes_is_worth_it_only_where_the_encode_dwarfs_the_decode():
    """Every part decodes the whole source: a part must encode several times that, and not for milliseconds."""
    albedo = preset_desc("albedo", "a.png")  # BC7 default: ~485 ns a pixel with the chain, against ~12 to decode
    at = lambda quality: dataclasses.replace(albedo, bc7_quality=quality)  # noqa: E731
    assert split_worth(albedo, 2048, 2048) == 10  # bounded by the decode each part repeats
    assert split_worth(at(Bc7Quality.HIGH), 2048, 2048) == 35
    assert split_worth(albedo, 512, 512) == 2  # bounded by the part's length: ~0.13 s of encoding
    assert split_worth(albedo, 256, 256) == 1
    assert split_worth(at(Bc7Quality.FAST), 8192, 8192) == 1  # fast BC7 encodes in about the time it decodes
    assert split_worth(preset_desc("data", "d.png"), 8192, 8192) == 1  # RGBA8: nothing to encode
    assert split_worth(dataclasses.replace(albedo, mip_policy=MipPolicy.NONE), 2048, 2048) == 7


def test_split_bands_give_every_row_of_every_level_to_one_part_in_order():
    for parts in (1, 2, 3, 40):
        owners = split_bands(1100, 700, 11, parts)
        flat = [share for run in owners for share in run]
        assert flat == sorted(flat)
        for mip in range(11):
            height = max(1, 700 >> mip)
            rows = [(s.band * BAND_ROWS + s.first, s.band * BAND_ROWS + s.end) for s in flat if s.mip == mip]
            assert [a for a, _ in rows[1:]] == [b for _, b in rows[:-1]] and rows[0][0] == 0 and rows[-1][1] == height  # each row once
            assert all(a % 4 == 0 and (b % 4 == 0 or b == height) for a, b in rows)  # cut at block rows
            assert all(a // BAND_ROWS == (b - 1) // BAND_ROWS for a, b in rows)  # within one band
    halves = split_bands(8192, 8192, 14, 2)
    assert {s.mip for s in halves[0]} == {0}  # only the last part makes the chain
    cost = [sum((s.end - s.first) * (8192 >> s.mip) for s in run) for run in halves]
    assert abs(cost[0] - cost[1]) <= 4 * 8192  # balanced to a block row, not to a band
    weighted = split_bands(8192, 8192, 14, 2, chain_weight=0.1)
    assert sum(s.end - s.first for s in weighted[0]) > sum(s.end - s.first for s in halves[0])  # the chain's part encodes less of level 0


def test_a_band_cut_between_parts_keeps_the_profile_of_the_whole_band():
    """The parts' cut falls inside a band whose only translucent rows are the last part's: the first part
    encodes its rows of that band with the alpha profile too, as the unsplit encode does."""
    desc = dataclasses.replace(preset_desc("albedo", "cut.png"), bc7_quality=Bc7Quality.FAST)
    cut = split_bands(1100, 700, 11, 2, chain_weight=chain_weight(desc))[0][-1]
    assert 0 < cut.end < min(BAND_ROWS, 700 - cut.band * BAND_ROWS)  # the test needs a band shared by both parts
    image = smooth(700, 1100)
    image[..., 3] = 255
    image[cut.band * BAND_ROWS + cut.end :, :, 3][:8] = 200  # just below the cut
    source = png_bytes(image)
    joined = join_texture_parts([cook_texture(source, desc, part=(k, 2)) for k in range(2)], desc)
    assert joined.payload == cook_texture(source, desc).payload


@pytest.mark.parametrize("parts", [2, 3, 7])
@pytest.mark.parametrize("preset", ["albedo", "normal", "albedo-alpha-test", "height", "hdr-env"])
def test_parts_join_to_the_unsplit_payload(parts, preset):
    source = png_bytes(smooth(1100, 700))
    desc = preset_desc(preset, "big.png")
    if desc.bc7_quality != Bc7Quality.NONE:
        desc = dataclasses.replace(desc, bc7_quality=Bc7Quality.FAST)
    whole = cook_texture(source, desc)
    pieces = [cook_texture(source, desc, part=(k, parts)) for k in range(parts)]
    assert all(p.content_hash == 0 and p.payload[:4] != b"OTX1" for p in pieces)
    assert sum(len(p.payload) for p in pieces) < len(whole.payload)  # tight bytes, no header or pitch
    joined = join_texture_parts(pieces, desc)
    assert joined.payload == whole.payload and joined.content_hash == whole.content_hash


def test_parts_that_do_not_fit_are_refused():
    source = png_bytes(smooth(600, 200))
    desc = dataclasses.replace(preset_desc("albedo", "big.png"), bc7_quality=Bc7Quality.FAST)
    a, b = (cook_texture(source, desc, part=(k, 2)) for k in range(2))
    with pytest.raises(ValueError, match="holds"):
        join_texture_parts([a, dataclasses.replace(b, payload=b.payload[:-16])], desc)
    with pytest.raises(ValueError, match="different texture"):
        join_texture_parts([a, dataclasses.replace(b, width=b.width + 4)], desc)


def test_the_bands_of_a_level_share_their_repeats(monkeypatch):
    """A block met in two bands of a level is encoded once (as a whole-level encode would), and every
    band keeps the bytes it has encoded alone."""
    rng = np.random.default_rng(9)
    pool = rng.integers(0, 256, (300, 4, 4, 3), dtype=np.uint8)
    top = pool[rng.integers(0, 300, (BAND_ROWS // 4, 128))].swapaxes(1, 2).reshape(BAND_ROWS, 512, 3)
    image = np.concatenate([top, top.reshape(-1, 4, 512, 3)[::-1].reshape(top.shape)])  # the second band: the first's blocks, other places
    rgba = np.concatenate([image, np.full((2 * BAND_ROWS, 512, 1), 255, np.uint8)], axis=2)
    desc = dataclasses.replace(preset_desc("albedo", "tiles.png"), mip_policy=MipPolicy.NONE)
    alone = b"".join(encode_blocks(f.Format.BC7_UNORM_SRGB, np.ascontiguousarray(rgba[b : b + BAND_ROWS]), desc.bc7_quality) for b in (0, BAND_ROWS))
    seen = kernel_blocks(monkeypatch)
    cooked = cook_texture(png_bytes(image), desc)
    assert payload_subresources(cooked.payload)[1][0][1] == alone
    assert seen == [len(np.unique(blocks_of(image).reshape(-1, 16 * 3), axis=0))]  # both bands in one call, each distinct block once
