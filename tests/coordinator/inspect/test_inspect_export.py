"""``oxcook inspect --export``: one texture decoded to a PNG, picked by index or name; bad names and mips exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from tests.helpers import decode_payload, psnr, read_texture, snapshot


@pytest.fixture(scope="module")
def cooked(tmp_path_factory, shared_assets):
    from oxcook.coordinator.cli import main

    base = tmp_path_factory.mktemp("export")
    src = base / "src"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    shutil.copy(shared_assets / "images/hdr/venice_sunset_1k.hdr", src / "sky.hdr")
    assert main(["cook", "--progress", "none", "--quality", "fast", str(src), "-o", str(base / "root")]) == 0
    return base / "root", src


def export(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oxcook", "inspect", str(root), "--export", *args], capture_output=True, text=True, timeout=120)


def hopper_index(root) -> int:
    return f.unpack_otex((root / f.otex_relpath("hopper_albedo.png")).read_bytes()).resource_index


def test_bc7_export_matches_the_source_and_an_independent_decoder(cooked, tmp_path):
    root, src = cooked
    before = snapshot(root)
    out = tmp_path / "hopper.png"
    proc = export(root, "hopper_albedo.png", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert snapshot(root) == before
    with Image.open(out) as im:
        exported = np.asarray(im.convert("RGBA"))
    with Image.open(src / "hopper_albedo.png") as im:
        source = np.asarray(im.convert("RGB"))
    assert psnr(exported[..., :3], source) >= 34.0  # BC7 at --quality fast
    row, payload = read_texture(root, hopper_index(root))
    assert row.format == f.Format.BC7_UNORM_SRGB
    reference = decode_payload(row.format, payload, row.width, row.height)[0]  # texture2ddecoder
    assert np.array_equal(exported, reference)


@pytest.mark.parametrize("name", ["{index}", "hopper_albedo.png", "hopper_albedo", "{sidecar}"])
def test_export_by_index_source_or_sidecar_name(cooked, tmp_path, name):
    root, _ = cooked
    index = hopper_index(root)
    sidecar = f.otex_relpath("hopper_albedo.png").rsplit("/", 1)[-1]
    proc = export(root, name.format(index=index, sidecar=sidecar), "-o", str(tmp_path / "x.png"), "--mip", "2")
    assert proc.returncode == 0, proc.stderr
    assert f"texture {index} (hopper_albedo)" in proc.stdout
    row, _ = read_texture(root, index)
    with Image.open(tmp_path / "x.png") as im:
        assert im.size == (f.mip_extent(row.width, 2), f.mip_extent(row.height, 2))


def test_hdr_export_is_tone_mapped(cooked, tmp_path):
    root, _ = cooked
    assert export(root, "sky.hdr", "-o", str(tmp_path / "sky.png")).returncode == 0
    with Image.open(tmp_path / "sky.png") as im:
        pixels = np.asarray(im)
    assert pixels.shape == (512, 1024, 4) and 40 < pixels[..., :3].mean() < 230 and pixels[..., 3].min() == 255


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope.png"], "no texture named 'nope.png'"),
        (["999"], "no texture row 999"),
        (["hopper_albedo.png", "--mip", "40"], "has mips 0-"),
        (["hopper_albedo.png", "--mip", "-1"], "not -1"),
    ],
)
def test_unknown_name_or_mip_exits_2(cooked, tmp_path, args, message):
    root, _ = cooked
    proc = export(root, *args, "-o", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_export_into_the_root_is_refused(cooked):
    root, _ = cooked
    before = snapshot(root)
    proc = export(root, "1", "-o", str(root / "Resources/x.png"))
    assert proc.returncode == 2 and "inside the cooked root" in proc.stderr
    assert snapshot(root) == before


def test_export_of_a_damaged_row_exits_1_naming_it(cooked, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(cooked[0], root)
    index = hopper_index(root)
    row, _ = read_texture(root, index)
    with open(root / "Resources/textures.data", "r+b") as fh:
        fh.seek(row.data_offset)
        fh.write(b"\0" * 16)
    proc = export(root, str(index), "-o", str(tmp_path / "x.png"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"row {index}" in proc.stderr and "OTX1" in proc.stderr


def test_usage_errors_exit_2(cooked, tmp_path):
    root, _ = cooked
    for args in (["--export", "1"], ["--mip", "1"], ["--report", "r.json"], ["--html", str(tmp_path / "p"), "--export", "1", "-o", "x.png"]):
        proc = subprocess.run([sys.executable, "-m", "oxcook", "inspect", str(root), *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (args, proc.stderr)
