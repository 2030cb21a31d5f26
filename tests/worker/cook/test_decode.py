"""Decoding: every shared image decodes or fails with its typed error; sniffing; bombs; precision."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import run_oxcook
from oxcook.worker import TextureImportError, TextureImportErrorCode
from oxcook.worker.cook import cook_texture, decode_source, preset_desc, sniff_format

DATA = Path(__file__).parent / "data"
IMAGES = sorted(p.relative_to(SHARED_ASSETS).as_posix() for p in (SHARED_ASSETS / "images").rglob("*") if p.is_file())
BAD = sorted(p.relative_to(SHARED_ASSETS).as_posix() for p in (SHARED_ASSETS / "bad").iterdir() if p.is_file())

EXPECTED_BAD = {
    "bad/made_BoxTextured_truncated.glb": TextureImportErrorCode.UNSUPPORTED_FORMAT,
    "bad/made_bc7_truncated.dds": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/made_embedded_textures_truncated.fbx": TextureImportErrorCode.UNSUPPORTED_FORMAT,
    "bad/made_empty.png": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/made_venice_sunset_1k_truncated.hdr": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/openexr_damaged_asan_heap-oob_78e73b.exr": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pillow_broken.png": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pillow_cross_scan_line_truncated.tga": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pillow_truncated_jpeg.jpg": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pngsuite_xcsn0g01_bad_idat_crc.png": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pngsuite_xdtn0g01_missing_idat.png": TextureImportErrorCode.CORRUPTED_DATA,
    "bad/pngsuite_xs1n0g01_bad_signature.png": TextureImportErrorCode.UNSUPPORTED_FORMAT,
    "bad/ufbx_synthetic_truncated_quot_fail_7500_ascii.fbx": TextureImportErrorCode.UNSUPPORTED_FORMAT,
    "bad/ufbx_synthetic_unsupported_cube_fail_8000_ascii.fbx": TextureImportErrorCode.UNSUPPORTED_FORMAT,
}


@pytest.mark.parametrize("rel", IMAGES)
def test_every_shared_image_decodes(rel):
    decoded = decode_source((SHARED_ASSETS / rel).read_bytes(), preset_desc("data"), rel)
    assert decoded.width > 0 and decoded.height > 0 and 1 <= decoded.channels <= 4


@pytest.mark.parametrize("rel", BAD)
def test_every_bad_file_gives_its_typed_error(rel):
    with pytest.raises(TextureImportError) as info:
        cook_texture((SHARED_ASSETS / rel).read_bytes(), preset_desc("albedo"), rel)
    assert info.value.error == EXPECTED_BAD[rel]
    assert rel in str(info.value)
    assert info.value.code == EXPECTED_BAD[rel].slug


def test_expected_table_covers_the_corpus():
    assert set(EXPECTED_BAD) == set(BAD)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def _with_ihdr_byte(png: bytes, offset: int, value: int) -> bytes:
    """``png`` with IHDR data byte ``offset`` set to ``value`` and the chunk's CRC made right again (only the value is wrong)."""
    data = bytearray(png)
    data[16 + offset] = value
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_unknown_compression_method_in_an_iccp_chunk_is_refused_as_corrupt():
    data = (DATA / "pillow_unknown_compression_method.png").read_bytes()
    with pytest.raises(TextureImportError) as info:
        decode_source(data, preset_desc("albedo"), "pillow_unknown_compression_method.png")
    assert info.value.error == TextureImportErrorCode.CORRUPTED_DATA
    assert str(info.value) == "pillow_unknown_compression_method.png: iCCP chunk at byte 33: compression method 1; PNG defines only 0 (zlib)"


@pytest.mark.parametrize(
    "offset, value, named",
    [(10, 1, "compression method 1; PNG defines only 0 (zlib)"), (11, 4, "filter method 4; PNG defines only 0 (adaptive)"), (12, 2, "interlace method 2; PNG defines only 0 (none) and 1 (Adam7)")],
    ids=["compression", "filter", "interlace"],
)
def test_forbidden_ihdr_methods_are_refused_by_name(shared_assets, offset, value, named):
    data = _with_ihdr_byte((shared_assets / "images/png/pngsuite_basn0g08.png").read_bytes(), offset, value)
    with pytest.raises(TextureImportError) as info:
        decode_source(data, preset_desc("data"), "basn0g08.png")
    assert info.value.error == TextureImportErrorCode.CORRUPTED_DATA
    assert str(info.value) == f"basn0g08.png: IHDR: {named}"


def test_a_png_with_an_unknown_compression_method_fails_its_cook_by_name(tmp_path):
    source = tmp_path / "in" / "logo_albedo.png"
    source.parent.mkdir()
    source.write_bytes((DATA / "pillow_unknown_compression_method.png").read_bytes())
    result = run_oxcook("cook", str(source), "-o", str(tmp_path / "root"), "--progress", "none", "--quality", "fast")
    assert result.returncode == 1, result.stderr
    assert "texture-corrupted-data" in result.stderr and "logo_albedo.png: iCCP chunk at byte 33: compression method 1" in result.stderr
    assert "PNG warning" not in result.stderr


def test_decompression_bomb_refused_before_decoding():
    bomb = _png_header_only(100_000, 100_000)
    with pytest.raises(TextureImportError) as info:
        decode_source(bomb, preset_desc("data"), "bomb.png")
    assert info.value.error == TextureImportErrorCode.IMAGE_TOO_LARGE and "bomb.png" in str(info.value)


def test_pixel_limit_is_configurable():
    img = io.BytesIO()
    Image.new("RGB", (64, 32)).save(img, format="PNG")
    with pytest.raises(TextureImportError, match="exceeds the 32x32 limit"):
        decode_source(img.getvalue(), preset_desc("data", max_dimension=32), "wide.png")


def test_format_is_sniffed_not_taken_from_the_extension():
    img = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(img, format="PNG")
    decoded = decode_source(img.getvalue(), preset_desc("data"), "actually_a_png.jpg")
    assert decoded.source_format == "png" and tuple(decoded.pixels[0, 0]) == (10, 20, 30)
    assert sniff_format(b"\xff\xd8\xff\xe0", "x.png") == "jpeg"
    assert sniff_format(b"\0\0\2\0", "x.tga") == "tga" and sniff_format(b"\0\0\2\0", "x.bin") is None


def test_sixteen_bit_precision_is_kept():
    ramp = (np.arange(64 * 64, dtype=np.uint32) * 16 + 3).reshape(64, 64).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, format="PNG")
    decoded = decode_source(buf.getvalue(), preset_desc("height"), "ramp16.png")
    assert decoded.pixels.dtype == np.uint16
    cooked = cook_texture(buf.getvalue(), preset_desc("height", mip_policy=0), "ramp16.png")
    from tests.helpers import decode_payload

    out = decode_payload(cooked.format, cooked.payload, 64, 64)[0][..., 0]
    assert np.array_equal(out, ramp), "R16 output keeps every 16-bit value"


def test_sixteen_bit_rgb_png_decodes_sixteen_bits(shared_assets):
    decoded = decode_source((shared_assets / "images/png/monkey16.png").read_bytes(), preset_desc("data"), "monkey16.png")
    assert decoded.pixels.dtype == np.uint16 and len(np.unique(decoded.pixels[..., 0] & 0xFF)) > 1


def test_cmyk_jpeg_decodes_to_rgb(shared_assets):
    decoded = decode_source((shared_assets / "images/jpeg/pil_sample_cmyk.jpg").read_bytes(), preset_desc("data"), "cmyk.jpg")
    assert decoded.channels == 3


def test_palette_with_trns_keeps_alpha(shared_assets):
    decoded = decode_source((shared_assets / "images/png/pngsuite_tbbn3p08.png").read_bytes(), preset_desc("data"), "t.png")
    assert decoded.channels == 4 and decoded.pixels[..., 3].min() == 0


def test_dimension_mismatch():
    buf = io.BytesIO()
    Image.new("RGB", (8, 4)).save(buf, format="PNG")
    with pytest.raises(TextureImportError) as info:
        decode_source(buf.getvalue(), preset_desc("data", width=8, height=8), "x.png")
    assert info.value.error == TextureImportErrorCode.DIMENSION_MISMATCH
