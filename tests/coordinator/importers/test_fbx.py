"""FBX import (ufbx in a child process): every shared FBX cooks; geometry, textures and bad files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from oxcook.coordinator.importers._fbx_importer import fbx_description
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO
from tests.helpers import decode_payload, psnr, read_buffer, read_descriptor, read_report, read_texture, snapshot

FBX = sorted(p.relative_to(SHARED_ASSETS).as_posix() for p in (SHARED_ASSETS / "fbx").glob("*.fbx"))
BAD = ["bad/made_embedded_textures_truncated.fbx", "bad/ufbx_synthetic_truncated_quot_fail_7500_ascii.fbx", "bad/ufbx_synthetic_unsupported_cube_fail_8000_ascii.fbx"]


def cook(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "fast", *args], capture_output=True, text=True, timeout=240, cwd=REPO
    )


@pytest.mark.parametrize("rel", FBX)
def test_every_shared_fbx_cooks(tmp_path, rel):
    result = cook(str(SHARED_ASSETS / rel), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
    scene = fbx_description(SHARED_ASSETS / rel)
    report = read_report(tmp_path / "r.json")
    needs_default = any(p.material is None for m in scene.meshes for p in m.primitives)
    assert report["materials_written"] == len(scene.materials) + needs_default
    assert report["geometry_written"] == len(scene.meshes) == 1
    assert report["scenes_written"] == 1
    oscene = f.unpack_scene(read_descriptor(tmp_path / "root", ".oscene"))
    assert len(oscene.nodes) == 1 + len(scene.nodes) and len(oscene.renderables) == 1


def test_cube_geometry_reads_back(tmp_path):
    root = tmp_path / "root"
    assert cook(str(SHARED_ASSETS / "fbx/blender_293_textures_7400_binary.fbx"), "-o", str(root)).returncode == 0
    geometry = f.unpack_geometry(read_descriptor(root, ".ogeo"))
    mesh = geometry.lods[0]
    vertices = np.frombuffer(read_buffer(root, mesh.vertex_buffer), np.float32).reshape(-1, 18)
    indices = np.frombuffer(read_buffer(root, mesh.index_buffer), np.uint32)
    assert len(indices) == 36  # six quads, twelve triangles
    corners = {tuple(np.round(p, 4)) for p in vertices[:, :3]}
    assert corners == {(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)}
    assert geometry.bbox_min == (-1.0, -1.0, -1.0) and geometry.bbox_max == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("rel", ["fbx/blender_293_textures_7400_binary.fbx", "fbx/blender_293_embedded_textures_7400_binary.fbx"])
def test_base_color_texture_matches_its_image(tmp_path, rel):
    root = tmp_path / "root"
    assert cook(str(SHARED_ASSETS / rel), "-o", str(root)).returncode == 0
    material, _ = f.unpack_material(read_descriptor(root, ".omat"))
    assert material.base_color_texture > 0
    row, payload = read_texture(root, material.base_color_texture)
    mip0 = decode_payload(row.format, payload, row.width, row.height)[0]
    source = np.asarray(Image.open(SHARED_ASSETS / "fbx/textures/checkerboard_diffuse.png").convert("RGB"))
    assert psnr(mip0[..., :3], source) >= 30.0


@pytest.mark.parametrize("bad", BAD)
def test_bad_fbx_fails_cleanly_and_keeps_the_container(tmp_path, bad):
    root = tmp_path / "root"
    assert cook(str(SHARED_ASSETS / "fbx/maya_textured_cube_7500_ascii.fbx"), "-o", str(root)).returncode == 0
    before = snapshot(root)
    result = cook(str(SHARED_ASSETS / bad), "-o", str(root))
    assert result.returncode == 1
    assert "scene-invalid" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root) == before
