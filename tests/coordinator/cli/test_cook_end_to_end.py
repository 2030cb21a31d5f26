"""``oxcook cook`` end to end on the local backend: validity, fidelity, fallbacks, exit codes, re-import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from oxcook.coordinator.cli import main
from oxcook.coordinator.importers._importer import TEXTURE_EXTENSIONS
from tests.helpers import decode_payload, psnr, read_jobs, read_report, read_texture

LDR_DIRS = ("png", "jpeg", "tga", "bmp", "dds")


def cook(*args: str) -> int:
    return main(["cook", "--progress", "none", *args])


def _source_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        if im.mode in ("I;16", "I"):
            return np.repeat((np.asarray(im, dtype=np.uint32) >> 8).astype(np.uint8)[..., None], 3, axis=2)
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def cooked_images(tmp_path_factory, shared_assets):
    root = tmp_path_factory.mktemp("cook") / "root"
    report = root.parent / "report.json"
    code = cook(str(shared_assets / "images"), str(shared_assets / "bad"), "-o", str(root), "--report", str(report))
    jobs = read_jobs(report)
    scenes = {Path(j["input"]).name for j in jobs[:-1]}
    assert scenes == {p.name for p in (shared_assets / "bad").rglob("*") if p.suffix in (".gltf", ".glb", ".fbx")}  # folders hold scenes too
    assert all(j["failure_code"] == "scene-invalid" for j in jobs[:-1])
    return root, code, jobs[-1]


def test_cooked_images_validate(cooked_images):
    root, _, _ = cooked_images
    validation = f.validate_container(CookedRootFiles(root))
    assert validation.ok, [str(v) for v in validation.violations]


def test_bad_inputs_give_diagnostics_fallback_and_exit_1(cooked_images, shared_assets):
    _, code, report = cooked_images
    assert code == 1
    bad = {p.name for p in (shared_assets / "bad").iterdir() if p.is_file() and p.suffix.lower() in TEXTURE_EXTENSIONS}
    assert len(bad) >= 10
    entries = {t["source"]: t for t in report["textures"]}  # ids are relative to the inputs' common folder
    for name in bad:
        entry = entries[f"bad/{name}"]
        assert entry["index"] == 0, name
        assert any(d["severity"] == "error" for d in entry["diagnostics"])
        assert any(name in d["message"] for d in report["diagnostics"])
    assert report["totals"]["failed"] == len(bad)


def test_every_texture_reads_back_through_the_table(cooked_images, shared_assets):
    root, _, report = cooked_images
    checked = 0
    for entry in report["textures"]:
        rel = entry["source"].removeprefix("images/")
        if entry["index"] == 0 or not any(rel.startswith(d + "/") for d in LDR_DIRS):
            continue
        checked += 1
        row, payload = read_texture(root, entry["index"])
        mip0 = decode_payload(row.format, payload, row.width, row.height)[0]
        source = _source_rgb(shared_assets / "images" / rel)
        # "data" preset: RGBA8 of the source (16-bit sources rounded, Pillow truncates: 1 step)
        assert np.abs(mip0[..., :3].astype(int) - source.astype(int)).max() <= 1, entry["source"]
    assert checked >= 10


def test_hdr_textures_keep_their_values(cooked_images, shared_assets):
    import imagecodecs

    root, _, report = cooked_images
    entry = next(t for t in report["textures"] if t["source"] == "images/hdr/venice_sunset_1k.hdr")
    row, payload = read_texture(root, entry["index"])
    assert row.format == f.Format.RGBA16_FLOAT
    mip0 = decode_payload(row.format, payload, row.width, row.height)[0].astype(np.float32)
    source = imagecodecs.rgbe_decode((shared_assets / "images/hdr/venice_sunset_1k.hdr").read_bytes())
    assert np.allclose(mip0[..., :3], source, rtol=2e-3, atol=1e-4)


def test_bc7_albedo_cook_matches_sources_above_floor(tmp_path, shared_assets):
    root = tmp_path / "root"
    sources = tmp_path / "src"
    for name in ("png/hopper.png", "jpeg/testorig.jpg", "tga/rgb32rle.tga", "bmp/hopper.bmp", "png/transparent.png"):
        (sources / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_assets / "images" / name, sources / name)
    report_path = tmp_path / "r.json"
    assert cook(str(sources), "-o", str(root), "--preset", "albedo", "--report", str(report_path)) == 0
    for entry in read_report(report_path)["textures"]:
        row, payload = read_texture(root, entry["index"])
        assert row.format == f.Format.BC7_UNORM_SRGB and row.mip_levels == f.full_mip_count(row.width, row.height)
        mip0 = decode_payload(row.format, payload, row.width, row.height)[0]
        assert psnr(mip0[..., :3], _source_rgb(sources / entry["source"])) >= 38.0, entry["source"]


def test_identical_textures_are_stored_once(tmp_path, shared_assets):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a_albedo.png", "b_albedo.png"):
        shutil.copy(shared_assets / "images/png/hopper.png", src / name)
    report_path = tmp_path / "r.json"
    assert cook(str(src), "-o", str(tmp_path / "root"), "--report", str(report_path)) == 0
    entries = read_report(report_path)["textures"]
    assert entries[0]["index"] == entries[1]["index"] == 1
    assert sum(e["deduplicated"] for e in entries) == 1
    assert (tmp_path / "root/Resources/textures.table").stat().st_size == 2 * 39


def test_reimport_appends_and_keeps_old_rows_byte_identical(tmp_path, shared_assets):
    src, root = tmp_path / "src", tmp_path / "root"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    assert cook(str(src), "-o", str(root)) == 0
    table_before = (root / "Resources/textures.table").read_bytes()
    data_before = (root / "Resources/textures.data").read_bytes()
    key_before = f.parse_index((root / "container.index.bin").read_bytes()).source_identity
    shutil.copy(shared_assets / "images/jpeg/testorig.jpg", src / "photo_albedo.jpg")
    img = np.asarray(Image.open(src / "hopper_albedo.png").convert("RGB")).copy()
    img[:8] = 0
    Image.fromarray(img).save(src / "hopper_albedo.png")  # changed: a new row, the old one stays
    report_path = tmp_path / "r.json"
    assert cook(str(src), "-o", str(root), "--report", str(report_path)) == 0
    table_after = (root / "Resources/textures.table").read_bytes()
    assert table_after[: len(table_before)] == table_before
    assert (root / "Resources/textures.data").read_bytes()[: len(data_before)] == data_before
    indices = sorted(e["index"] for e in read_report(report_path)["textures"])
    assert indices == [2, 3]
    index = f.parse_index((root / "container.index.bin").read_bytes())
    assert index.source_identity == key_before
    assert f.validate_container(CookedRootFiles(root)).ok


def test_sidecars_name_their_rows(tmp_path, shared_assets):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    assert cook(str(src), "-o", str(tmp_path / "root")) == 0
    sidecar = (tmp_path / "root" / f.otex_relpath("hopper_albedo.png")).read_bytes()
    parsed = f.unpack_otex(sidecar)
    row, _ = read_texture(tmp_path / "root", parsed.resource_index)
    assert parsed.resource_index == 1 and parsed.row == row


def test_manifest_options_apply_per_glob(tmp_path, shared_assets):
    src = tmp_path / "src"
    (src / "ui").mkdir(parents=True)
    shutil.copy(shared_assets / "images/png/hopper.png", src / "ui/icon.png")
    shutil.copy(shared_assets / "images/png/hopper.png", src / "photo.png")
    (src / "cook.toml").write_text(
        '[defaults]\npreset = "albedo"\nquality = "fast"\n\n[[textures]]\nglob = "ui/*.png"\npreset = "ui"\n\n[[textures]]\nglob = "photo.png"\nmips = "3"\n'
    )
    report_path = tmp_path / "r.json"
    assert cook(str(src / "cook.toml"), "-o", str(tmp_path / "root"), "--report", str(report_path)) == 0
    entries = {e["source"]: e for e in read_report(report_path)["textures"]}
    assert entries["ui/icon.png"]["format"] == "RGBA8_UNORM_SRGB" and entries["ui/icon.png"]["mips"] == 1
    assert entries["photo.png"]["format"] == "BC7_UNORM_SRGB" and entries["photo.png"]["mips"] == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "shiny"], "unknown preset"),
        (["--format", "astc"], "unknown format"),
        (["--mips", "lots"], "mips must be"),
    ],
)
def test_usage_errors_exit_2(tmp_path, shared_assets, capsys, args, message):
    assert cook(str(shared_assets / "images/png/hopper.png"), "-o", str(tmp_path / "root"), *args) == 2
    assert message in capsys.readouterr().err


def test_manifest_glob_cannot_escape(tmp_path, capsys):
    (tmp_path / "m.toml").write_text('[[textures]]\nglob = "../*.png"\n')
    assert cook(str(tmp_path / "m.toml"), "-o", str(tmp_path / "root")) == 2
    assert "inside the manifest" in capsys.readouterr().err


def test_cli_entry_point_runs(tmp_path, shared_assets):
    proc = subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", str(shared_assets / "images/png/hopper.png"), "-o", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1/1 textures cooked" in proc.stderr
