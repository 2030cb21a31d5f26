"""Scene primitives that read the same accessors are packed once and stored once: every mesh view of them
points at the same rows of the same vertex and index buffers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oxcook import formats as f
from oxcook.coordinator.importers._gltf_reader import load_gltf, read_accessor
from bench.memory import write_scene
from tests.farm_fixtures import run_oxcook
from tests.helpers import read_buffer, read_report

ROW = f.BUFFER_RESOURCE_DESC[f.Epoch.B]


def cook(*args: str):
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", *args)


def geometries(root) -> list:
    index = f.parse_index((root / "container.index.bin").read_bytes())
    return [f.unpack_geometry((root / a.descriptor_relpath).read_bytes()) for a in index.assets if a.asset_type == f.AssetType.GEOMETRY]


def buffer_rows(root) -> int:
    return (root / "Resources/buffers.table").stat().st_size // ROW.SIZE


@pytest.mark.parametrize("meshes, primitives", [(1, 300), (3, 100)])
def test_primitives_reading_one_accessor_set_are_stored_once(tmp_path, meshes, primitives):
    scene = write_scene(tmp_path / "src", "shared", vertices=1000, meshes=meshes, primitives=primitives)
    root = tmp_path / "root"
    result = cook(str(scene), "-o", str(root), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert run_oxcook("inspect", str(root)).returncode == 0

    index_count = 3 * (1000 - 2)
    assert buffer_rows(root) == 3  # the sentinel, one vertex buffer, one index buffer
    assert (root / "Resources/buffers.data").stat().st_size == 1000 * f.VERTEX_STRIDE + index_count * 4
    found = geometries(root)
    assert len(found) == meshes
    for geometry in found:
        (mesh,) = geometry.lods
        assert (mesh.vertex_buffer, mesh.index_buffer) == (1, 2)
        assert len(mesh.submeshes) == primitives
        assert {view for submesh in mesh.submeshes for view in submesh.views} == {f.MeshView(0, index_count, 0, 1000)}
    assert read_report(tmp_path / "r.json")["meshes"]["built"] == 1

    doc = load_gltf(scene)
    prim = doc.json["meshes"][0]["primitives"][0]
    vertices = np.frombuffer(read_buffer(root, 1), np.float32).reshape(-1, 18)
    assert np.array_equal(vertices[:, 0:3], read_accessor(doc, prim["attributes"]["POSITION"]))
    assert np.array_equal(vertices[:, 6:8], read_accessor(doc, prim["attributes"]["TEXCOORD_0"]))
    assert np.array_equal(np.frombuffer(read_buffer(root, 2), np.uint32), read_accessor(doc, prim["indices"]).reshape(-1))


def test_primitives_that_differ_in_one_accessor_or_attribute_keep_their_own_rows(tmp_path):
    """Same positions, but one primitive has no normals (computed) and one other indices: three packings."""
    scene = write_scene(tmp_path / "src", "mixed", vertices=100, primitives=4)
    doc = json.loads(scene.read_text())
    prims = doc["meshes"][0]["primitives"]
    del prims[1]["attributes"]["NORMAL"]
    doc["accessors"].append({**doc["accessors"][prims[0]["indices"]], "count": 3 * 50})
    prims[2]["indices"] = len(doc["accessors"]) - 1
    scene.write_text(json.dumps(doc))
    root = tmp_path / "root"
    assert cook(str(scene), "-o", str(root)).returncode == 0
    (geometry,) = geometries(root)
    views = [submesh.views[0] for submesh in geometry.lods[0].submeshes]
    assert views[0] == views[3] == f.MeshView(0, 3 * 98, 0, 100)
    assert views[1] == f.MeshView(3 * 98, 3 * 98, 100, 100)
    assert views[2] == f.MeshView(2 * 3 * 98, 3 * 50, 200, 100)
    vertices = np.frombuffer(read_buffer(root, geometry.lods[0].vertex_buffer), np.float32).reshape(-1, 18)
    assert len(vertices) == 300
    assert np.array_equal(vertices[0:100, 0:3], vertices[100:200, 0:3]) and not np.array_equal(vertices[0:100, 3:6], vertices[100:200, 3:6])
