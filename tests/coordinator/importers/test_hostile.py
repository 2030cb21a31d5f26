"""Hostile input and resource bounds — tiny files cannot take gigabytes, malformed scenes are
named, one bad file never sinks a batch. The hostile files are made here, small."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO, run_oxcook
from tests.helpers import read_jobs

BOX = SHARED_ASSETS / "gltf/BoxTextured"


def cook(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", *args, env=env, timeout=timeout)
    assert "RuntimeWarning" not in result.stderr, result.stderr
    return result


def valid(root: Path) -> f.ValidationReport:
    report = f.validate_container(CookedRootFiles(root))
    assert report.ok, [str(v) for v in report.violations]
    return report


def good_texture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "good_albedo.png"
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(path)
    return path


def box_gltf(folder: Path, edit) -> Path:
    """A copy of BoxTextured with its JSON changed by ``edit(doc)``."""
    shutil.copytree(BOX, folder)
    path = folder / "BoxTextured.gltf"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc) if isinstance(doc, dict) else doc)
    return path


class PeakRss:
    """Peak resident memory of a process tree, sampled from /proc while it runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def watch(self, pid: int) -> None:
        def sample() -> None:
            while not self._stop.is_set():
                total = 0
                for proc in [pid] + _descendants(pid):
                    try:
                        total += int(next(l for l in open(f"/proc/{proc}/status") if l.startswith("VmRSS:")).split()[1]) * 1024
                    except (OSError, StopIteration):
                        pass
                self.peak = max(self.peak, total)
                time.sleep(0.02)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [d for c in map(int, out) for d in [c, *_descendants(c)]]


def cook_measured(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, int, float]:
    cmd = [sys.executable, "-m", "oxcook", "cook", "--progress", "none", *args]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    meter = PeakRss()
    meter.watch(proc.pid)
    out, err = proc.communicate(timeout=timeout)
    peak = meter.stop()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak, time.monotonic() - start


# --- amplification and decompression bombs -----------------------------------------------------------


def test_an_accessor_without_a_buffer_view_cannot_amplify(tmp_path):
    def amplify(doc):
        doc["accessors"].append({"componentType": 5126, "count": 21_000_000, "type": "VEC3"})
        doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"] = len(doc["accessors"]) - 1

    scene = box_gltf(tmp_path / "amp", amplify)
    assert scene.stat().st_size < 4096
    result, peak, seconds = cook_measured(str(scene), "-o", str(tmp_path / "root"))
    assert result.returncode == 1, result.stderr
    assert "/accessors/" in result.stderr and "/count" in result.stderr and "BoxTextured.gltf" in result.stderr
    assert peak < 1.5 * 2**30 and seconds < 60
    assert not (tmp_path / "root/Resources/buffers.data").exists() or (tmp_path / "root/Resources/buffers.data").stat().st_size < 2**20
    valid(tmp_path / "root")


def test_a_huge_count_is_named_not_an_internal_error(tmp_path):
    scene = box_gltf(tmp_path / "huge", lambda doc: doc["accessors"][0].update(count=2**62))
    result = cook(str(scene), "-o", str(tmp_path / "root"))
    assert result.returncode == 1 and "scene-invalid" in result.stderr and "/accessors/0/count" in result.stderr


def test_a_16k_one_bit_png_over_the_budget_is_refused_by_name_in_seconds(tmp_path):
    bomb = tmp_path / "bomb_albedo.png"
    Image.new("1", (16384, 16384)).save(bomb, optimize=True)
    assert bomb.stat().st_size < 64 * 1024
    good = good_texture(tmp_path / "ok")
    args = (str(bomb), str(good), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"), "--memory-budget", "1G")
    result, peak, seconds = cook_measured(*args)
    assert result.returncode == 1, result.stderr
    assert "texture-image-too-large" in result.stderr and "GiB" in result.stderr and "bomb_albedo.png" in result.stderr
    assert peak < 1.5 * 2**30 and seconds < 60
    assert [t["index"] > 0 for j in read_jobs(tmp_path / "r.json") for t in j["textures"] if "good" in t["source"]] == [True]


def test_an_8k_texture_cooks_in_a_few_hundred_megabytes(tmp_path):
    """Rows stream through the cook: the decoded source, the payload and a few bands, never a float copy of the image."""
    big = tmp_path / "huge_albedo.png"
    Image.new("1", (8192, 8192)).save(big, optimize=True)
    result, peak, seconds = cook_measured(str(big), "-o", str(tmp_path / "root"), "--quality", "fast", "--workers", "1", timeout=300)
    assert result.returncode == 0, result.stderr
    assert peak < 800 * 2**20, f"peak RSS of the process tree {peak / 2**20:.0f} MB"
    valid(tmp_path / "root")


def test_the_memory_budget_is_configurable(tmp_path):
    src = tmp_path / "big_albedo.png"
    Image.new("RGB", (2048, 2048)).save(src)
    refused = cook(str(src), "-o", str(tmp_path / "a"), "--memory-budget", "32M")
    assert refused.returncode == 1 and "memory budget of 32 MiB" in refused.stderr
    assert cook(str(src), "-o", str(tmp_path / "b"), env={"OXCOOK_MEMORY_BUDGET": "2G"}).returncode == 0
    bad = cook(str(src), "-o", str(tmp_path / "c"), "--memory-budget", "lots")
    assert bad.returncode == 2


# --- malformed scenes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, pointer",
    [
        (lambda doc: doc.update(scene="hello"), "/scene"),
        (lambda doc: doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"].update(index="0"), "baseColorTexture/index"),
        (lambda doc: doc.update(nodes="abc"), "/nodes"),
        (lambda doc: doc["accessors"][0].update(count="many"), "/accessors/0/count"),
        (lambda doc: doc["bufferViews"][0].update(byteOffset=-8), "/bufferViews/0/byteOffset"),
        (lambda doc: doc["meshes"][0].update(primitives={"a": 1}), "/meshes/0/primitives"),
        (lambda doc: doc["scenes"][0].update(name=42), "/scenes/0/name: expected a string, found an integer"),
        (lambda doc: doc["images"][0].update(name=["CesiumLogoFlat"]), "/images/0/name: expected a string, found an array"),
        (lambda doc: doc["textures"][0].update(name={"en": "logo"}), "/textures/0/name: expected a string, found an object"),
        (lambda doc: doc["accessors"][1].update(name=None), "/accessors/1/name: expected a string, found null"),
    ],
    ids=["scene-string", "texture-index-string", "nodes-string", "count-string", "negative-offset", "primitives-object", "scene-name-number", "image-name-array", "texture-name-object", "accessor-name-null"],
)
def test_wrong_json_types_are_named_with_their_pointer_and_the_batch_goes_on(tmp_path, edit, pointer):
    scene = box_gltf(tmp_path / "scene", edit)
    good = good_texture(tmp_path / "tex")
    result = cook(str(scene), str(good), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stderr
    assert "scene-invalid" in result.stderr and "BoxTextured.gltf" in result.stderr and pointer in result.stderr
    jobs = read_jobs(tmp_path / "r.json")
    assert [t["index"] > 0 for j in jobs for t in j["textures"]] == [True]  # the loose texture cooked
    valid(tmp_path / "root")


def test_deeply_nested_extras_are_named(tmp_path):
    scene = box_gltf(tmp_path / "deep", lambda doc: None)
    text = scene.read_text()
    scene.write_text(text[:-1] + ',"extras":' + "[" * 100_000 + "]" * 100_000 + "}")
    result = cook(str(scene), "-o", str(tmp_path / "root"))
    assert result.returncode == 1 and "nested too deeply" in result.stderr
    valid(tmp_path / "root")  # exit 1 on a fresh root still leaves a loadable container


def test_empty_and_corrupt_scenes_among_good_inputs(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in/empty.glb").write_bytes(b"")
    (tmp_path / "in/junk.fbx").write_bytes(b"not an fbx at all")
    good_texture(tmp_path / "in")
    result = cook(str(tmp_path / "in/empty.glb"), str(tmp_path / "in/junk.fbx"), str(tmp_path / "in/good_albedo.png"), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stderr
    assert "empty.glb" in result.stderr and "junk.fbx" in result.stderr
    jobs = read_jobs(tmp_path / "r.json")
    assert sorted(j["failure_code"] for j in jobs) == ["", "scene-invalid", "scene-invalid"]
    valid(tmp_path / "root")


def test_cycles_non_finite_transforms_and_vertices_are_warnings_not_failures(tmp_path):
    def hostile(doc):
        doc["nodes"][0]["children"] = [1]
        doc["nodes"][1]["children"] = [0]  # a cycle
        doc["nodes"][1]["translation"] = [1e400, 0, 0]  # JSON for Infinity (Python reads it as inf)

    scene = box_gltf(tmp_path / "cyc", hostile)
    scene.write_text(scene.read_text().replace("Infinity", "1e400"))
    result = cook(str(scene), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    codes = {d["code"] for d in read_jobs(tmp_path / "r.json")[0]["diagnostics"]}
    assert {"scene-node-cycle", "scene-transform-reset"} <= codes
    valid(tmp_path / "root")


def test_inf_positions_skip_the_primitive_with_a_warning(tmp_path):
    folder = tmp_path / "inf"
    shutil.copytree(BOX, folder)
    doc = json.loads((folder / "BoxTextured.gltf").read_text())
    position = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    view = doc["bufferViews"][position["bufferView"]]
    buffer = folder / doc["buffers"][view["buffer"]]["uri"]
    data = bytearray(buffer.read_bytes())
    offset = view.get("byteOffset", 0) + position.get("byteOffset", 0)
    data[offset : offset + 4] = np.float32(np.inf).tobytes()
    buffer.write_bytes(bytes(data))
    result = cook(str(folder / "BoxTextured.gltf"), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    job = read_jobs(tmp_path / "r.json")[0]
    assert "scene-primitive-skipped" in {d["code"] for d in job["diagnostics"]}
    assert job["scenes_written"] == 1
    valid(tmp_path / "root")


def test_an_fbx_mesh_without_positions_is_skipped_not_the_scene(tmp_path):
    """The Maya cube with its ``Vertices`` array taken out: ufbx reads it, the mesh has no positions."""
    text = (SHARED_ASSETS / "fbx/maya_textured_cube_7500_ascii.fbx").read_text()
    start = text.index("\t\tVertices: *24 {")
    end = text.index("}", start) + 1
    scene = tmp_path / "nopos.fbx"
    scene.write_text(text[:start] + text[end:])
    result = cook(str(scene), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert "has no positions" in result.stderr and "nopos.fbx" in result.stderr
    job = read_jobs(tmp_path / "r.json")[0]
    assert "scene-primitive-skipped" in {d["code"] for d in job["diagnostics"]}
    assert job["scenes_written"] == 1
    valid(tmp_path / "root")


# --- names -----------------------------------------------------------------------------------------------


def test_names_never_fail_a_job(tmp_path):
    folder = tmp_path / "names"
    long = folder / ("x" * 235 + "_albedo.png")
    good_texture(folder)
    shutil.copy(folder / "good_albedo.png", long)
    raw = os.fsencode(folder) + b"/caf\xe9_albedo.png"  # Latin-1, not UTF-8
    shutil.copy(folder / "good_albedo.png", os.fsdecode(raw))
    scene = box_gltf(tmp_path / "scene", lambda doc: doc["materials"][0].update(name="M" * 600))
    result = cook(str(folder), str(scene), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    sources = {t["source"] for j in read_jobs(tmp_path / "r.json") for t in j["textures"]}
    assert "caf\\xe9_albedo.png" in sources  # bytes that are not UTF-8, escaped
    assert all(len(p.name) <= 200 for p in (tmp_path / "root").rglob("*"))
    valid(tmp_path / "root")


# --- special files ----------------------------------------------------------------------------------------


def test_fifos_devices_and_escaping_symlinks_are_refused_by_name(tmp_path):
    folder = tmp_path / "special"
    good_texture(folder)
    os.mkfifo(folder / "pipe.png")
    (folder / "zero.png").symlink_to("/dev/zero")
    outside = good_texture(tmp_path / "outside")
    (folder / "escape_albedo.png").symlink_to(outside)
    result = cook(str(folder), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"), timeout=60)
    assert result.returncode == 1, result.stderr
    entries = {t["source"]: t for t in read_jobs(tmp_path / "r.json")[0]["textures"]}
    for name in ("pipe.png", "zero.png", "escape_albedo.png"):
        assert [d["code"] for d in entries[name]["diagnostics"]] == ["texture-file-refused"], name
        assert entries[name]["index"] == 0
    assert entries["good_albedo.png"]["index"] > 0
    direct = cook(str(folder / "pipe.png"), "-o", str(tmp_path / "direct"), timeout=60)
    assert direct.returncode == 1 and "not a regular file" in direct.stderr
