"""Every mistake is refused (exit 2) or named in a diagnostic — never an exit 0 with wrong output, never a traceback.

Each test drives one defect seen when the product was tried as a new user
would. Cooks run as real subprocesses (the CLI a build pipeline runs), on real
image files, and every container is checked with the validator.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles, ImportSession, LooseCookedLayout
from oxcook.coordinator._errors import CommitRefusedError
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO, run_oxcook
from tests.helpers import decode_payload, read_jobs, read_report, read_texture, snapshot

oxcook = run_oxcook


def cook(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return oxcook("cook", "--progress", "none", "--quality", "fast", *args, **kwargs)


def png(path: Path, seed: int = 0, size: int = 32) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def valid(root: Path) -> f.ValidationReport:
    report = f.validate_container(CookedRootFiles(root))
    assert report.ok, [str(v) for v in report.violations]
    return report


# --- identity -------------------------------------------------------------------------------------


def test_same_named_files_in_two_folders_are_two_textures(tmp_path):
    png(tmp_path / "colA/wall_albedo.png", 1)
    png(tmp_path / "colB/wall_albedo.png", 2)
    result = cook(str(tmp_path / "colA"), str(tmp_path / "colB"), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert sorted(t["source"] for t in read_report(tmp_path / "r.json")["textures"]) == ["colA/wall_albedo.png", "colB/wall_albedo.png"]
    assert len(valid(tmp_path / "root").texture_rows) == 3  # fallback + both


# --- manifests ------------------------------------------------------------------------------------


def _manifest(folder: Path, text: str) -> Path:
    path = folder / "cook.toml"
    path.write_text(text)
    return path


def test_manifest_globstar_matches_top_level_and_unmatched_files_are_cooked_with_a_warning(tmp_path):
    png(tmp_path / "top_n.png", 1)
    png(tmp_path / "deep/er/rock_n.png", 2)
    png(tmp_path / "ui/icon.png", 3)
    manifest = _manifest(tmp_path, '[defaults]\npreset = "albedo"\n\n[[textures]]\nglob = "**/*_n.png"\npreset = "normal"\n')
    result = cook(str(manifest), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    entries = {t["source"]: t for t in read_report(tmp_path / "r.json")["textures"]}
    assert set(entries) == {"top_n.png", "deep/er/rock_n.png", "ui/icon.png"}  # nothing dropped
    assert entries["top_n.png"]["preset"] == entries["deep/er/rock_n.png"]["preset"] == "normal"
    assert entries["ui/icon.png"]["preset"] == "albedo"
    assert [d["code"] for d in entries["ui/icon.png"]["diagnostics"]] == ["manifest-unmatched"]
    assert "ui/icon.png" in result.stderr
    strict = cook(str(manifest), "-o", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 2 and "ui/icon.png" in strict.stderr and "cook.toml" in strict.stderr
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize(
    "text, named",
    [
        ("textures = 5\n", "'textures' must be an array"),
        ('[[textures]]\nglob = "*.png"\nquality = ["high"]\n', "rule 1: key 'quality' must be a string"),
        ('[[textures]]\nglob = "*.png"\n\n[[textures]]\nglob = "*.png"\nmips = true\n', "rule 2: key 'mips'"),
        ('[defaults]\nquality = "fastest"\n', "[defaults]: unknown quality 'fastest'"),
        ('[[textures]]\nglob = "../*.png"\n', "must stay inside"),
        ("defaults = 3\n", "[defaults]: must be a table"),
        ('[[textures]]\nglob = "[unclosed*.png"\n', "rule 1: glob '[unclosed*.png' has a '[' that is never closed"),
        ('[[textures]]\nglob = "ui/[]*.png"\n', "rule 1: glob 'ui/[]*.png' has a '[' that is never closed"),
    ],
)
def test_bad_manifest_values_are_refused_naming_file_rule_and_key(tmp_path, text, named):
    png(tmp_path / "a_albedo.png")
    result = cook(str(_manifest(tmp_path, text)), "-o", str(tmp_path / "root"))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "cook.toml" in result.stderr


# --- options ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [["--quality=fastest"], ["--workers", "-1"], ["--workers", "0"], ["--mips", "lots"], ["--preset", "shiny"], ["--format", "bc9"], ["--filter", "cubic"], ["--lock-timeout", "-3"]],
)
def test_bad_options_are_refused_before_any_work(tmp_path, option):
    src = png(tmp_path / "a_albedo.png")
    result = cook(str(src), "-o", str(tmp_path / "root"), *option)
    assert result.returncode == 2, result.stderr
    assert not (tmp_path / "root").exists()


def test_texture_options_apply_to_scene_textures(tmp_path):
    scene = SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf"
    result = cook(str(scene), "-o", str(tmp_path / "root"), "--format", "rgba8", "--mips", "none")
    assert result.returncode == 0, result.stderr
    rows = valid(tmp_path / "root").texture_rows[1:]
    assert rows and all(r.format == f.Format.RGBA8_UNORM and r.mip_levels == 1 for r in rows)


def test_a_name_without_a_hint_is_named_in_a_warning(tmp_path):
    src = png(tmp_path / "IMG_0042.png")
    result = cook(str(src), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0
    entry = read_report(tmp_path / "r.json")["textures"][0]
    assert entry["preset"] == "data" and [d["code"] for d in entry["diagnostics"]] == ["texture-preset-guessed"]
    assert "IMG_0042.png" in result.stderr and "--preset" in result.stderr


# --- where output goes ------------------------------------------------------------------------------


def test_output_must_be_a_cooked_root_or_a_new_folder(tmp_path):
    src = png(tmp_path / "src/a_albedo.png")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/thesis.txt").write_text("precious")
    refused = cook(str(src), "-o", str(tmp_path / "docs"))
    assert refused.returncode == 2 and "not a cooked root" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["thesis.txt"]
    assert cook(str(src), "-o", str(tmp_path / "docs"), "--force").returncode == 0
    assert cook(str(src), "-o", str(tmp_path / "root")).returncode == 0
    inside = cook(str(src), "-o", str(tmp_path / "root/Resources/sub"))
    assert inside.returncode == 2 and "inside the cooked root" in inside.stderr
    (tmp_path / "file.bin").write_bytes(b"x")
    as_file = cook(str(src), "-o", str(tmp_path / "file.bin"))
    assert as_file.returncode == 2 and "is a file" in as_file.stderr


def test_report_path_and_broker_url_are_checked_first(tmp_path):
    src = png(tmp_path / "a_albedo.png")
    no_dir = cook(str(src), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "nodir/r.json"))
    assert no_dir.returncode == 2 and "does not exist" in no_dir.stderr and not (tmp_path / "root").exists()
    bad_url = cook(str(src), "-o", str(tmp_path / "root"), "--broker", "redis:/127.0.0.1:6410")
    assert bad_url.returncode == 2 and "names no host" in bad_url.stderr
    secret = cook(str(src), "-o", str(tmp_path / "root"), "--broker", "redis://:hunter2@127.0.0.1:99999/0")
    assert secret.returncode == 2 and "hunter2" not in secret.stderr


def test_inspect_into_a_closed_pipe_is_quiet(tmp_path):
    src = png(tmp_path / "a_albedo.png")
    assert cook(str(src), "-o", str(tmp_path / "root")).returncode == 0
    proc = subprocess.run(
        f"{sys.executable} -m coordinator inspect --json {tmp_path / 'root'} | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_version():
    result = oxcook("--version")
    assert result.returncode == 0 and result.stdout.startswith("oxcook ") and "ispc_texcomp" in result.stdout


# --- scenes -----------------------------------------------------------------------------------------


def test_a_folder_holding_only_a_scene_cooks_the_scene(tmp_path):
    folder = tmp_path / "box"
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured-Binary", folder)
    result = cook(str(folder), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert [j["scenes_written"] for j in read_jobs(tmp_path / "r.json")] == [1]


def test_two_images_naming_one_file_write_every_material(tmp_path):
    """A legal glTF whose two images point at one file: one texture, two references, every material written."""
    src = tmp_path / "scene"
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src)
    doc = json.loads((src / "BoxTextured.gltf").read_text())
    image = doc["images"][0]
    doc["images"] = [image, dict(image)]
    doc["textures"] = [{"source": 0}, {"source": 1}]
    second = json.loads(json.dumps(doc["materials"][0]))
    second["name"] = "Second"
    second["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 1}
    doc["materials"].append(second)
    doc["meshes"][0]["primitives"].append(dict(doc["meshes"][0]["primitives"][0], material=1))
    (src / "BoxTextured.gltf").write_text(json.dumps(doc))
    result = cook(str(src / "BoxTextured.gltf"), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    report = read_report(tmp_path / "r.json")
    assert report["materials_written"] == 2 and len(report["textures"]) == 1
    valid(tmp_path / "root")


# --- HDR --------------------------------------------------------------------------------------------


def _exr(path: Path, pixels: np.ndarray) -> Path:
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, {"RGB": pixels}).write(str(path))
    return path


def test_hdr_beyond_half_range_and_non_finite_samples_never_reach_the_payload(tmp_path):
    big = np.random.default_rng(3).standard_normal((32, 32, 3)).astype(np.float32) * 3e5
    big[0, 0, 0], big[1, 1, 1] = 1e6, -1e6
    odd = np.ones((32, 32, 3), np.float32)
    odd[0, 0, 0], odd[1, 1, 1], odd[2, 2, 2] = np.nan, np.inf, -np.inf
    srcs = [_exr(tmp_path / "big.exr", big), _exr(tmp_path / "odd.exr", odd)]
    result = cook(*map(str, srcs), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr
    entries = {t["source"]: t for t in read_report(tmp_path / "r.json")["textures"]}
    assert "texture-hdr-clamped" in {d["code"] for d in entries["big.exr"]["diagnostics"]}
    assert "texture-nonfinite-clamped" in {d["code"] for d in entries["odd.exr"]["diagnostics"]}
    for entry in entries.values():
        row, payload = read_texture(tmp_path / "root", entry["index"])
        assert row.format == f.Format.RGBA16_FLOAT
        for level in decode_payload(row.format, payload, row.width, row.height):
            assert np.isfinite(level).all() and np.abs(level).max() <= 65504


# --- the report -------------------------------------------------------------------------------------


def test_report_times_each_texture_not_the_job(tmp_path):
    srcs = [png(tmp_path / f"t{i}_albedo.png", i, 256) for i in range(6)]
    result = cook(*map(str, srcs), "-o", str(tmp_path / "root"), "--workers", "1", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0
    report = json.loads((tmp_path / "r.json").read_text())
    job = report["jobs"][0]
    cook_ms = [t["cook_ms"] for t in job["textures"]]
    assert all(ms > 0 for ms in cook_ms)
    # one worker cooks one texture at a time: their cook times add up to less than the job took
    assert sum(cook_ms) <= job["totals"]["seconds"] * 1000
    assert max(t["queue_ms"] for t in job["textures"]) > 0
    assert report["exit_code"] == 0 and report["totals"]["cooked"] == 6


# --- roots that do not validate ----------------------------------------------------------------------


def test_an_invalid_root_is_refused_and_force_rebuilds_it(tmp_path):
    src = png(tmp_path / "a_albedo.png")
    root = tmp_path / "root"
    assert cook(str(src), "-o", str(root)).returncode == 0
    data = bytearray((root / "Resources/textures.data").read_bytes())
    row, _ = read_texture(root, 1)
    data[row.data_offset : row.data_offset + 4] = b"JUNK"  # payload magic
    (root / "Resources/textures.data").write_bytes(bytes(data))
    before = snapshot(root)
    # the build record vouches for the unchanged input (a root edited by hand is inspect --verify's to find) ...
    assert "1 unchanged" in cook(str(src), "-o", str(root)).stderr
    # ... and a cook that does not take its word checks the root first
    refused = cook(str(src), "-o", str(root), "--rebuild")
    assert refused.returncode == 2 and "texture-payload" in refused.stderr and "--force" in refused.stderr
    assert snapshot(root) == before
    rebuilt = cook(str(src), "-o", str(root), "--force")
    assert rebuilt.returncode == 0, rebuilt.stderr
    valid(root)


def test_the_writer_never_commits_what_inspect_would_reject(tmp_path):
    import asyncio

    async def scenario() -> None:
        session = ImportSession(tmp_path, LooseCookedLayout(), lock_timeout=5)
        await session.open()
        record = f.MATERIAL_ASSET_DESC[f.Epoch.B].make(header=f.material_header("Bad"), base_color_texture=99)
        session.asset_emitter.emit(f.AssetType.MATERIAL, "Materials/Bad.omat", f.pack_material(record, f.default_shader_refs(False)))
        await session.finalize()

    with pytest.raises(CommitRefusedError, match="material-texture-index"):
        asyncio.run(scenario())
    assert not (tmp_path / f.INDEX_FILE_NAME).exists()


def test_a_rolled_back_job_never_claims_its_textures(tmp_path):
    import fcntl

    src = png(tmp_path / "a_albedo.png")
    root = tmp_path / "root"
    assert cook(str(src), "-o", str(root)).returncode == 0
    with open(root / ".oxcook/lock", "r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = cook(str(src), "-o", str(root), "--lock-timeout", "0.2")
    assert result.returncode == 3
    assert "textures cooked" not in result.stderr and "nothing was committed" in result.stderr


# --- signals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signals", [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM,)], ids=["two Ctrl-C", "SIGTERM"])
def test_signals_cancel_cleanly(tmp_path, signals):
    srcs = [png(tmp_path / f"src/t{i}_albedo.png", i, 1024) for i in range(8)]
    root = tmp_path / "root"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "lines", "--quality", "high", "--workers", "1", str(srcs[0].parent), "-o", str(root)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while not (root / ".oxcook/journal").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.3)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "cancelling" in err
    assert not (root / f.INDEX_FILE_NAME).exists()


# --- the broken files ---------------------------------------------------------------------------------


def test_every_broken_shared_asset_is_named_and_nothing_else_is_lost(tmp_path):
    bad = SHARED_ASSETS / "bad"
    good = png(tmp_path / "good/keep_albedo.png")
    result = cook(str(bad), str(good.parent), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1
    files = [p for p in bad.rglob("*") if p.is_file() and p.suffix.lower() in (".png", ".jpg", ".tga", ".dds", ".hdr", ".exr", ".glb", ".gltf", ".fbx")]
    for path in files:
        assert path.name in result.stderr, f"{path.name} is not named"
    jobs = read_jobs(tmp_path / "r.json")
    kept = [t for j in jobs for t in j["textures"] if t["source"].endswith("good/keep_albedo.png")]
    assert len(kept) == 1 and kept[0]["index"] > 0
    valid(tmp_path / "root")

