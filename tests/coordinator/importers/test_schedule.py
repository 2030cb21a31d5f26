"""Largest textures first: the order is read from image headers before any worker decodes, and placement follows it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from oxcook.coordinator import TextureSource
from oxcook.coordinator.emit import stamp_of
from oxcook.coordinator.importers._measure import Extent, measure
from oxcook.coordinator.importers._texture_importer import schedule
from tests.farm_fixtures import run_oxcook
from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import preset_desc


def _source(name: str, **kw) -> TextureSource:
    return TextureSource(name, kw.pop("paths", ()), preset_desc("albedo", name), **kw)


def test_schedule_puts_tiny_textures_first_then_the_longest_cooks_and_keeps_input_order_among_equals():
    a, b, c, d, e, g, h = (_source(n) for n in "abcdegh")
    extents = [Extent((65, 64), 9), Extent((512, 256), 5), Extent(None), Extent((256, 512), 5), Extent((64, 64), 1), Extent((1, 1), 9), Extent((256, 512), 7)]
    order = schedule([a, b, c, d, e, g, h], extents)
    # tiny ones as given; then most pixels, the larger file first among equal sizes, then as given; unknown sizes last
    assert [s.source_id for s, _ in order] == ["e", "g", "h", "b", "d", "a", "c"]
    assert dict((s.source_id, size) for s, size in order)["b"] == (512, 256)
    layers = _source("cube", paths=tuple(Path(f"f{i}") for i in range(6)))
    assert schedule([a, layers], [Extent((65, 64)), Extent((40, 40))])[0][0] is layers  # six 40x40 layers outweigh one 65x64 image


def test_measure_reads_the_header_of_files_and_of_embedded_bytes(tmp_path: Path):
    Image.fromarray(np.zeros((30, 70, 3), np.uint8)).save(tmp_path / "wide.png")
    embedded = tmp_path / "e.jpg"
    Image.fromarray(np.zeros((12, 8, 3), np.uint8)).save(embedded)
    sources = [
        _source("wide.png", paths=(tmp_path / "wide.png",)),
        _source("scene#0", data=(embedded.read_bytes(),)),
        _source("gone.png", paths=(tmp_path / "gone.png",)),
        _source("junk.png", data=(b"not an image",)),
    ]
    assert measure(sources) == [
        Extent((70, 30), (tmp_path / "wide.png").stat().st_size, (stamp_of(tmp_path / "wide.png"),)),  # its stamp, for the build record
        Extent((8, 12), embedded.stat().st_size),
        Extent(None, problem="cannot be read: No such file or directory"),
        Extent(None, len(b"not an image"), problem="not an image format oxcook reads"),
    ]


def test_measure_reads_past_a_long_exif_block(tmp_path: Path):
    """A JPEG whose frame header comes after a large EXIF block (a camera's thumbnail) is still measured."""
    exif = Image.Exif()
    exif[0x010E] = "x" * 40_000  # ImageDescription: pushes SOF0 ~40 KB into the file
    Image.fromarray(np.zeros((20, 36, 3), np.uint8)).save(tmp_path / "exif.jpg", exif=exif)
    assert measure([_source("exif.jpg", paths=(tmp_path / "exif.jpg",))])[0].size == (36, 20)


def test_measure_never_opens_a_refused_source_and_never_blocks_on_a_fifo(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe.png")  # opening it for reading would wait for a writer forever
    refused = ImportDiagnostic(ImportSeverity.ERROR, "texture-file-refused", "pipe.png: not a regular file", "pipe.png")
    sources = [_source("pipe.png", paths=(tmp_path / "pipe.png",), notes=(refused,)), _source("swapped.png", paths=(tmp_path / "pipe.png",))]
    assert measure(sources) == [Extent(None, problem="pipe.png: not a regular file"), Extent(None, problem="not a regular file")]


def test_a_cook_places_and_starts_the_largest_texture_first(tmp_path: Path):
    """A large detailed image (a large file) against a smaller one and a tiny one: the tiny one first
    (it cannot make a tail), then the large one is submitted, cooked and placed before the medium one."""
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(np.full((16, 16, 3), 77, np.uint8)).save(src / "a_tiny_albedo.png")
    Image.fromarray(np.full((128, 128, 3), 40, np.uint8)).save(src / "b_medium_albedo.png")  # a smaller file than the large one
    Image.fromarray(rng.integers(0, 255, (384, 384, 3), dtype=np.uint8)).save(src / "c_large_albedo.png")
    result = run_oxcook("cook", str(src), "-o", str(tmp_path / "root"), "--progress", "none", "--quality", "fast", "--workers", "1", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    textures = json.loads((tmp_path / "r.json").read_text())["jobs"][0]["textures"]
    assert [t["source"] for t in textures] == ["a_tiny_albedo.png", "c_large_albedo.png", "b_medium_albedo.png"]
    assert [t["index"] for t in textures] == [1, 2, 3]
