"""The inspection page's pure parts: views of texels, the payload reader on hand-made payloads,
the cook report reader, picking a texture by name, and the worst-first order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from oxcook import formats as f
from oxcook.coordinator import ConfigError
from oxcook.coordinator.inspect._album import Card, worst_first
from oxcook.coordinator.inspect._catalog import TextureInfo, sidecar_stem
from oxcook.coordinator.inspect._cook_report import CookEntry, parse_cook_report
from oxcook.coordinator.inspect._decode import PayloadReader
from oxcook.coordinator.inspect._export import find_texture
from oxcook.coordinator.inspect._views import AMBIENT, LIGHT, display_rgba, error_heatmap, psnr_db, shaded_normals, tone_map

ROW = f.TEXTURE_RESOURCE_DESC[f.Epoch.B]


class Bytes:
    """A one-file root in memory (the ``ContainerFiles`` shape the reader takes)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def size(self, relpath: str) -> int | None:
        return len(self.data)

    def read(self, relpath: str, offset: int = 0, length: int | None = None) -> bytes:
        return self.data[offset : None if length is None else offset + length]


def one_texture(fmt: f.Format, subs: list[bytes], width: int, height: int) -> tuple[Bytes, object]:
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, fmt, width, height, mip_levels=len(subs))
    payload, digest = f.pack_payload(layout, subs)
    row = ROW.make(data_offset=0, size_bytes=len(payload), width=width, height=height, mip_levels=len(subs), format=int(fmt), content_hash=digest)
    return Bytes(payload), row


def test_tone_map_is_bounded_monotonic_and_keeps_black():
    values = np.array([0.0, 0.01, 0.5, 1.0, 4.0, 100.0, 65504.0, np.inf, np.nan], np.float32)
    mapped = tone_map(values)
    assert mapped[0] == 0.0 and np.all(np.diff(mapped[:7]) > 0) and mapped.max() <= 1.0 and np.isfinite(mapped).all()


def test_display_of_hdr_two_channel_and_sixteen_bit_texels():
    hdr = display_rgba(np.full((2, 2, 4), [8.0, 0.0, 0.5, 2.0], np.float32))
    assert hdr.shape == (2, 2, 4) and hdr[0, 0, 0] > 240 and hdr[0, 0, 1] == 0 and hdr[0, 0, 3] == 255
    rg = display_rgba(np.full((1, 1, 2), [10, 200], np.uint8))
    assert rg.tolist() == [[[10, 200, 0, 255]]]
    gray16 = display_rgba(np.full((1, 1, 1), 65535, np.uint16))
    assert gray16.tolist() == [[[255, 255, 255, 255]]]


def test_a_flat_normal_map_is_lit_by_the_light_z():
    flat = np.full((4, 4, 3), [128, 128, 255], np.uint8)
    expected = AMBIENT + (1 - AMBIENT) * LIGHT[2]
    assert np.abs(shaded_normals(flat).astype(float) / 255 - expected).max() < 0.01
    facing_away = np.full((1, 1, 2), [255, 0], np.uint8)  # x = 1, y = -1: against the light
    assert shaded_normals(facing_away)[0, 0] == round(AMBIENT * 255)


def test_heatmap_and_psnr_of_equal_and_different_pictures():
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 64
    assert not error_heatmap(a, a).any() and psnr_db(a, a) == float("inf")
    assert error_heatmap(a, b)[0, 0].tolist() == [255, 255, 255] and not error_heatmap(a, b)[1, 1].any()
    assert psnr_db(a, b) == pytest.approx(10 * np.log10(255**2 / (64**2 * 3 / 12)))


def test_reader_decodes_rgba8_mips_and_r11g11b10():
    files, row = one_texture(f.Format.RGBA8_UNORM, [bytes(range(64)), bytes([9, 8, 7, 6]) * 4, b"\1\2\3\4"], 4, 4)
    reader = PayloadReader(files, "d", row, where="row 1")
    assert reader.pixels(0).reshape(-1).tolist() == list(range(64))
    assert reader.pixels(2).tolist() == [[[1, 2, 3, 4]]]
    one = 0x3C0 | (0x3C0 << 11) | (0x1E0 << 22)  # 1.0 in each: exponent 15 (the bias), mantissa 0
    files, row = one_texture(f.Format.R11G11B10_FLOAT, [one.to_bytes(4, "little")], 1, 1)
    assert PayloadReader(files, "d", row, where="row 1").pixels(0).tolist() == [[[1.0, 1.0, 1.0]]]


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(format=int(f.Format.BC4_SNORM)), "no decoder for format BC4_SNORM"),
        (dict(mip_levels=2), "subresources"),
        (dict(size_bytes=10_000), "truncated"),
        (dict(width=0), "has a zero"),
    ],
)
def test_reader_refuses_rows_that_do_not_fit_their_payload(change, message):
    files, row = one_texture(f.Format.RGBA8_UNORM, [bytes(64)], 4, 4)
    with pytest.raises(f.FormatError, match=message):
        PayloadReader(files, "d", row._replace(**change), where="row 3").pixels(0)


def test_reader_refuses_a_mip_the_row_does_not_have():
    files, row = one_texture(f.Format.RGBA8_UNORM, [bytes(64)], 4, 4)
    with pytest.raises(f.FormatCorrupt, match="no mip 1"):
        PayloadReader(files, "d", row, where="row 3").pixels(1)


def _report(entry: dict) -> str:
    return json.dumps({"schema_version": 2, "jobs": [{"input": "scenes/a.gltf", "textures": [entry]}]})


def test_cook_report_keeps_quality_figures_it_does_not_know():
    entry = {"source": "a.png", "index": 3, "preset": "albedo", "cache": "hit", "diagnostics": [], "psnr_db": 41.5, "quality": {"psnr_db_alpha": 38.0, "ssim": 0.98}, "cook_ms": 3.0}
    report = parse_cook_report(_report(entry), Path("r.json"))
    (e,) = report.entries
    assert e.quality == (("psnr_db", 41.5), ("quality.psnr_db_alpha", 38.0), ("quality.ssim", 0.98))
    assert e.psnr == 38.0 and report.by_index() == {3: [e]} and report.inputs == ("scenes/a.gltf",)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[1]", "no 'jobs' list"),
        ('{"schema_version": 1, "jobs": []}', "schema_version 1"),
        (_report({"source": "a.png"}), "integer 'index'"),
        (_report({"source": "a.png", "index": 1, "diagnostics": "x"}), "'diagnostics' is not a list"),
        ("\x00not json", "not a JSON cook report"),
    ],
)
def test_cook_report_refuses_what_is_not_one(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_cook_report(text, Path("r.json"))


def _info(index: int, sidecars=(), cook=()) -> TextureInfo:
    return TextureInfo(index, ROW.make(width=1, height=1, format=int(f.Format.RGBA8_UNORM)), tuple(sidecars), cook=tuple(cook))


def test_find_texture_by_index_source_sidecar_and_stem():
    sidecar_a = f.otex_relpath("dir/a_albedo.png").rsplit("/", 1)[-1]
    sidecar_b = f.otex_relpath("other/a_albedo.png").rsplit("/", 1)[-1]
    textures = (_info(0), _info(1, [sidecar_a]), _info(2, [sidecar_b]))
    assert find_texture(textures, "2").index == 2
    assert find_texture(textures, "dir/a_albedo.png").index == 1
    assert find_texture(textures, sidecar_b).index == 2
    assert sidecar_stem(sidecar_a) == "a_albedo"
    with pytest.raises(ConfigError, match="ambiguous: rows 1 .*, 2 "):
        find_texture(textures, "a_albedo")
    with pytest.raises(ConfigError, match="no texture row 3"):
        find_texture(textures, "3")


def test_worst_first_puts_failures_then_warnings_then_lowest_psnr():
    def entry(diag: str = "", psnr: float | None = None) -> CookEntry:
        diagnostics = ({"severity": diag, "code": "c", "message": "m"},) if diag else ()
        return CookEntry("s", 0, diagnostics=diagnostics, quality=(("psnr_db", psnr),) if psnr is not None else ())

    cards = [
        Card(_info(1, cook=[entry(psnr=45.0)])),
        Card(_info(2, cook=[entry(psnr=30.0)])),
        Card(_info(3, cook=[entry("warning")])),
        Card(_info(4), error="row 4 does not read"),
        Card(_info(5, cook=[entry()]), measured_psnr=35.0),
        Card(_info(6, cook=[entry("error")])),
        Card(_info(7)),
    ]
    assert [c.info.index for c in worst_first(cards)] == [4, 6, 3, 2, 5, 1, 7]
