"""glTF 2.0 scene import: containers validate, counts match, buffers and textures read back, streaming."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from oxcook.coordinator.importers import MaterialReadinessTracker
from oxcook.coordinator.importers._gltf_importer import node_trs
from oxcook.coordinator.importers._gltf_reader import load_gltf, read_accessor
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO
from tests.helpers import decode_payload, psnr, read_buffer, read_descriptor, read_report, read_texture, snapshot
from oxcook.worker.cook import build_mesh_buffers

SCENES = sorted(p.relative_to(SHARED_ASSETS).as_posix() for p in (SHARED_ASSETS / "gltf").rglob("*") if p.suffix in (".gltf", ".glb"))


def cook(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "fast", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@pytest.mark.parametrize("rel", SCENES)
def test_every_shared_scene_cooks_into_a_valid_container(tmp_path, rel):
    result = cook(str(SHARED_ASSETS / rel), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    validation = f.validate_container(CookedRootFiles(tmp_path / "root"))
    assert validation.ok, [str(v) for v in validation.violations]
    doc = load_gltf(SHARED_ASSETS / rel).json
    report = read_report(tmp_path / "r.json")
    needs_default = any(p.get("material") is None for m in doc.get("meshes", []) for p in m["primitives"])
    assert report["materials_written"] == len(doc.get("materials", [])) + needs_default
    assert report["geometry_written"] == len(doc.get("meshes", []))
    assert report["scenes_written"] == 1
    assert report["emitted"][-1].endswith(".oscene")  # the scene comes last


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    root = tmp_path_factory.mktemp("box") / "root"
    assert cook(str(SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf"), "-o", str(root)).returncode == 0
    return root


def test_buffers_decode_back_to_the_source(box):
    doc = load_gltf(SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf")
    prim = doc.json["meshes"][0]["primitives"][0]
    geometry = f.unpack_geometry(read_descriptor(box, ".ogeo"))
    mesh = geometry.lods[0]
    vertices = np.frombuffer(read_buffer(box, mesh.vertex_buffer), np.float32).reshape(-1, 18)
    indices = np.frombuffer(read_buffer(box, mesh.index_buffer), np.uint32)
    assert np.array_equal(vertices[:, 0:3], read_accessor(doc, prim["attributes"]["POSITION"]))
    assert np.array_equal(vertices[:, 6:8], read_accessor(doc, prim["attributes"]["TEXCOORD_0"]))
    assert np.array_equal(indices, read_accessor(doc, prim["indices"]).reshape(-1).astype(np.uint32))
    view = mesh.submeshes[0].views[0]
    assert (view.index_count, view.vertex_count) == (len(indices), len(vertices))
    n, t, b = vertices[:, 3:6], vertices[:, 8:11], vertices[:, 11:14]
    assert np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5) and np.allclose(np.sum(n * t, axis=1), 0, atol=1e-5)
    assert np.allclose(np.abs(np.sum(np.cross(n, t) * b, axis=1)), 1, atol=1e-5)


def test_material_textures_match_their_source_images(box):
    material, _ = f.unpack_material(read_descriptor(box, ".omat"))
    assert material.base_color_texture > 0
    row, payload = read_texture(box, material.base_color_texture)
    assert row.format == f.Format.BC7_UNORM_SRGB
    mip0 = decode_payload(row.format, payload, row.width, row.height)[0]
    source = np.asarray(Image.open(SHARED_ASSETS / "gltf/BoxTextured/CesiumLogoFlat.png").convert("RGB"))
    assert psnr(mip0[..., :3], source) >= 30.0
    geometry = f.unpack_geometry(read_descriptor(box, ".ogeo"))
    index = f.parse_index((box / "container.index.bin").read_bytes())
    material_asset = next(a for a in index.assets if a.asset_type == f.AssetType.MATERIAL)
    assert geometry.lods[0].submeshes[0].material_asset_key == material_asset.asset_key


def test_scene_hierarchy_and_transforms(box):
    doc = load_gltf(SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf").json
    scene = f.unpack_scene(read_descriptor(box, ".oscene"))
    assert len(scene.nodes) == 1 + len(doc["nodes"])
    assert scene.nodes[0].parent_index == 0
    by_name = {n.name: (i, n) for i, n in enumerate(scene.nodes)}
    for gi, gnode in enumerate(doc["nodes"]):
        i, node = by_name[gnode.get("name", f"node{gi}")]
        t, r, s = node_trs(gnode)
        assert np.allclose(node.translation, t, atol=1e-6) and np.allclose(node.rotation, r, atol=1e-6)
        for child in gnode.get("children", []):
            assert scene.nodes[by_name[doc["nodes"][child].get("name", f"node{child}")][0]].parent_index == i
    assert len(scene.renderables) == sum("mesh" in n for n in doc["nodes"])


def test_matrix_nodes_decompose():
    m = np.eye(4)
    m[:3, :3] = np.array([[0, -2, 0], [2, 0, 0], [0, 0, 2]])  # 90° about Z, scale 2
    m[:3, 3] = (1, 2, 3)
    t, r, s = node_trs({"matrix": list(m.T.reshape(-1))})
    assert np.allclose(t, (1, 2, 3)) and np.allclose(s, (2, 2, 2))
    assert np.allclose(r, (0, 0, np.sqrt(0.5), np.sqrt(0.5)))


def test_readiness_tracker():
    tracker = MaterialReadinessTracker({0: {("a", "albedo")}, 1: set(), 2: {("a", "albedo"), ("b", "normal")}})
    assert tracker.ready_now() == [1]
    assert tracker.cooked(("a", "albedo")) == [0]
    assert tracker.cooked(("b", "normal")) == [2]


def test_generated_normals_and_tangents_are_orthonormal():
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float32)
    uvs = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
    packed = build_mesh_buffers(positions, np.array([0, 1, 2, 2, 1, 3]), uvs=uvs)
    v = np.frombuffer(packed.vertices, np.float32).reshape(-1, 18)
    assert np.allclose(v[:, 3:6], (0, 0, 1)) and np.allclose(v[:, 8:11], (1, 0, 0)) and np.allclose(v[:, 11:14], (0, 1, 0))
    assert packed.bbox_max == (1.0, 1.0, 0.0)


def _two_material_scene(tmp_path, big_texture) -> object:
    """Box geometry with two materials: one on a 2048² texture, one on a 32² texture."""
    src = tmp_path / "scene"
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src)
    shutil.copy(big_texture, src / "big.png")
    Image.new("RGB", (32, 32), (200, 10, 10)).save(src / "small.png")
    doc = json.loads((src / "BoxTextured.gltf").read_text())
    doc["images"] = [{"uri": "big.png"}, {"uri": "small.png"}]
    doc["textures"] = [{"source": 0}, {"source": 1}]
    doc["materials"] = [
        {"name": "Slow", "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}},
        {"name": "Fast", "pbrMetallicRoughness": {"baseColorTexture": {"index": 1}}},
        {"name": "Plain"},
    ]
    prim = doc["meshes"][0]["primitives"][0]
    doc["meshes"][0]["primitives"] = [dict(prim, material=0), dict(prim, material=1), dict(prim, material=2)]
    (src / "BoxTextured.gltf").write_text(json.dumps(doc))
    return src / "BoxTextured.gltf"


def test_materials_stream_out_before_slow_textures_finish(tmp_path):
    scene = _two_material_scene(tmp_path, SHARED_ASSETS / "gltf/WaterBottle/WaterBottle_baseColor.png")
    result = cook(str(scene), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    order = [p.rsplit("/", 1)[-1] for p in read_report(tmp_path / "r.json")["emitted"]]
    assert order.index("Plain.omat") < order.index("Fast.omat") < order.index("Slow.omat")
    geometry = next(i for i, name in enumerate(order) if name.endswith(".ogeo"))
    assert geometry < order.index("Slow.omat")  # meshes do not wait for textures
    assert order[-1] == "BoxTextured.oscene"


def test_uri_escaping_the_folder_is_refused(tmp_path):
    (tmp_path / "secret.png").write_bytes((SHARED_ASSETS / "images/png/hopper.png").read_bytes())
    src = tmp_path / "scene"
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src)
    doc = json.loads((src / "BoxTextured.gltf").read_text())
    doc["images"] = [{"uri": "../secret.png"}]
    (src / "BoxTextured.gltf").write_text(json.dumps(doc))
    result = cook(str(src / "BoxTextured.gltf"), "-o", str(tmp_path / "root"))
    assert result.returncode == 1
    assert "path-escapes-root" in result.stderr and "outside the scene's folder" in result.stderr
    material, _ = f.unpack_material(read_descriptor(tmp_path / "root", ".omat"))
    assert material.base_color_texture == 0
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok


@pytest.mark.parametrize("bad", ["bad/MissingBin/BoxTextured.gltf", "bad/made_BoxTextured_truncated.glb"])
def test_broken_scenes_fail_cleanly_and_keep_the_container(tmp_path, bad):
    root = tmp_path / "root"
    assert cook(str(SHARED_ASSETS / "gltf/BoxTextured-Binary/BoxTextured.glb"), "-o", str(root)).returncode == 0
    before = snapshot(root)
    result = cook(str(SHARED_ASSETS / bad), "-o", str(root))
    assert result.returncode == 1
    assert "scene-invalid" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root) == before


def test_every_material_slot_points_at_its_source_image(tmp_path):
    root = tmp_path / "root"
    scene = SHARED_ASSETS / "gltf/WaterBottle/WaterBottle.gltf"
    assert cook(str(scene), "-o", str(root)).returncode == 0
    material, _ = f.unpack_material(read_descriptor(root, ".omat"))
    doc = load_gltf(scene).json
    gltf_material = doc["materials"][0]
    slot_paths = {
        "base_color_texture": gltf_material["pbrMetallicRoughness"]["baseColorTexture"],
        "metallic_texture": gltf_material["pbrMetallicRoughness"]["metallicRoughnessTexture"],
        "roughness_texture": gltf_material["pbrMetallicRoughness"]["metallicRoughnessTexture"],
        "ambient_occlusion_texture": gltf_material["occlusionTexture"],
        "emissive_texture": gltf_material["emissiveTexture"],
        "normal_texture": gltf_material["normalTexture"],
    }
    for field, info in slot_paths.items():
        index = getattr(material, field)
        assert index > 0, field
        row, payload = read_texture(root, index)
        mip0 = decode_payload(row.format, payload, row.width, row.height)[0]
        image = doc["images"][doc["textures"][info["index"]]["source"]]["uri"]
        source = np.asarray(Image.open(scene.parent / image).convert("RGB"))
        floor = 28.0 if field == "normal_texture" else 35.0  # normals are renormalised (the source is not unit length)
        assert psnr(mip0[..., :3], source) >= floor, field
    assert material.flags & f.MaterialFlags.GLTF_ORM_PACKED
