"""What a decoder writes to stderr while a texture cooks is that texture's warning, bounded (a local pool process runs it so)."""

from __future__ import annotations

import struct

import numpy as np

from oxcook.worker import run_in_pool_process
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import TextureWork, decode, encode
from tests.helpers import png_bytes, png_with_chunk

ICCP_TOO_SHORT = b"bogus\x00\x00" + b"x\x9c\x03\x00\x00\x00\x00\x01"


def cook_in_this_process(tmp_path, name: str, data: bytes):
    work = TextureWork("k", name, preset_desc("albedo", name), sources=(data,))
    return decode(run_in_pool_process(encode(work), str(tmp_path / "no-cancel-flag")))


def test_decoder_output_is_the_textures_warning(tmp_path, capfd):
    pixels = np.full((16, 16, 3), 90, np.uint8)
    result = cook_in_this_process(tmp_path, "iccp_albedo.png", png_with_chunk(pixels, b"iCCP", ICCP_TOO_SHORT))
    assert result.ok
    (said,) = [d for d in result.cooked.diagnostics if d.code == "texture-decoder-warning"]
    assert said.severity.value == "warning" and said.source_id == ""  # the placement names it (ImportDiagnostic.about)
    assert said.about("iccp_albedo.png").message == "iccp_albedo.png: the decoder warned: PNG warning: iCCP: too short"
    assert capfd.readouterr().err == ""  # nothing reached the process's own stderr

    clean = cook_in_this_process(tmp_path, "clean_albedo.png", png_bytes(pixels))
    assert clean.ok and not clean.cooked.diagnostics  # the next item starts with nothing captured


def test_decoder_output_is_bounded(tmp_path, capfd):
    png = png_bytes(np.full((16, 16, 3), 90, np.uint8))
    bad_crc = b"".join(struct.pack(">I", 3) + b"pr" + bytes([65 + i // 26, 65 + i % 26]) + b"abc" + bytes(4) for i in range(400))
    result = cook_in_this_process(tmp_path, "noisy_albedo.png", png[:33] + bad_crc + png[33:])  # 400 distinct lines, ~12 KB
    said = [d for d in result.cooked.diagnostics if d.code == "texture-decoder-warning"]
    assert len(said) == 9, [d.message for d in said]
    assert said[0].message == "the decoder warned: PNG warning: prAA: CRC error"
    assert said[-1].message.startswith("the decoder warned more (") and "bytes not kept" in said[-1].message
    assert capfd.readouterr().err == ""
