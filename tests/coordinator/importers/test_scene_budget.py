"""A scene's memory in the coordinator: estimated before its vertex data is read, an upper bound of the
measured peak, and a scene whose estimate is over the budget refused by name while the batch cooks on."""

from __future__ import annotations

import shutil

import pytest

from bench.memory import SCENE_COORDINATOR, write_scene
from oxcook.coordinator import Config
from oxcook.coordinator._errors import EXIT_FOR_CODE, EXIT_INPUT_FAILED, SceneError, SceneTooLarge
from oxcook.coordinator._memory import human_size
from oxcook.coordinator.importers._gltf_shape import gltf_shape
from oxcook.coordinator.importers._gltf_reader import load_gltf
from oxcook.coordinator.importers._scene_budget import PackShape, SceneShape, scene_estimate
from tests.conftest import SHARED_ASSETS
from tests.helpers import read_jobs
from tests.worker.cook.test_budget import measured

from .test_hostile import cook, good_texture, valid

WINDOW = Config().texture_queue_capacity


def estimate_of(path) -> int:
    return scene_estimate(gltf_shape(load_gltf(path), 0), WINDOW)


def test_scene_too_large_is_a_scene_failure_with_its_own_code():
    assert issubclass(SceneTooLarge, SceneError) and SceneTooLarge.code == "scene-too-large"
    assert EXIT_FOR_CODE[SceneTooLarge.code] == EXIT_INPUT_FAILED
    error = SceneTooLarge("big.gltf", 3 * 2**30, 2**30)
    assert (error.file, error.estimate, error.budget) == ("big.gltf", 3 * 2**30, 2**30)
    assert "big.gltf" in error.message and "3.0 GiB" in error.message and "1.0 GiB" in error.message


def test_shared_accessors_are_counted_once(tmp_path):
    shared = gltf_shape(load_gltf(write_scene(tmp_path / "a", "shared", vertices=1000, primitives=300)), 0)
    one = gltf_shape(load_gltf(write_scene(tmp_path / "b", "one", vertices=1000, primitives=1)), 0)
    assert len(shared.packs) == len(one.packs) == 1 and shared.array_bytes == one.array_bytes
    assert shared.packs[0] == PackShape(vertices=1000, indices=3 * 998, array_bytes=1000 * 32 + 3 * 998 * 4)


def test_the_estimate_grows_with_what_is_held():
    small = SceneShape(input_bytes=2**20, array_bytes=2**20, largest_array=2**20, packs=(PackShape(1000, 3000, 44000),), meshes=((0,),))
    more = SceneShape(input_bytes=2**20, array_bytes=2**20, largest_array=2**20, packs=(PackShape(1000, 3000, 44000),) * 2, meshes=((0, 1),))
    assert scene_estimate(more, WINDOW) > scene_estimate(small, WINDOW) > small.input_bytes + small.array_bytes


@pytest.mark.parametrize(
    "shape",
    [dict(vertices=20_000, primitives=300), dict(vertices=20_000, meshes=8, primitives=4, shared=False)],
    ids=["300-primitives-sharing-one-accessor-set", "32-primitives-sharing-nothing"],
)
def test_the_coordinators_peak_for_a_scene_is_under_its_estimate(tmp_path, shape):
    scene = write_scene(tmp_path / "src", "scene", **shape)
    result = measured(SCENE_COORDINATOR, str(scene), str(tmp_path / "root"), str(tmp_path / "cache"))
    assert result["code"] == 0
    estimate = estimate_of(scene)
    assert result["peak"] <= estimate, f"peak {result['peak'] / 2**20:.0f} MB over the estimate {estimate / 2**20:.0f} MB"


def test_a_scene_over_the_budget_is_refused_by_name_and_the_batch_cooks_on(tmp_path):
    scene = write_scene(tmp_path / "in", "crowd", vertices=100_000, primitives=300)
    assert scene.stat().st_size + (tmp_path / "in/crowd.bin").stat().st_size < 5 * 2**20
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", tmp_path / "in/box")
    texture = good_texture(tmp_path / "in")
    estimate = estimate_of(scene)
    budget = estimate - 1
    args = (str(scene), str(tmp_path / "in/box/BoxTextured.gltf"), str(texture), "-o", str(tmp_path / "root"), "--report", str(tmp_path / "r.json"))
    result = cook(*args, "--memory-budget", str(budget))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "scene-too-large" in result.stderr and "crowd.gltf" in result.stderr
    assert f"about {human_size(estimate)}" in result.stderr and f"budget of {human_size(budget)}" in result.stderr
    crowd, box, textures = read_jobs(tmp_path / "r.json")
    assert crowd["input"].endswith("crowd.gltf") and crowd["failure_code"] == "scene-too-large" and crowd["geometry_written"] == 0
    assert box["input"].endswith("BoxTextured.gltf") and box["failure_code"] == "" and box["scenes_written"] == 1
    assert textures["failure_code"] == "" and [t["source"] for t in textures["textures"]] == ["good_albedo.png"]
    assert textures["totals"]["cooked"] == 1
    assert not (tmp_path / "root/Scenes/crowd.oscene").exists()
    valid(tmp_path / "root")


def test_an_fbx_scene_over_the_budget_is_refused_by_name(tmp_path):
    result = cook(str(SHARED_ASSETS / "fbx/maya_textured_cube_7500_ascii.fbx"), "-o", str(tmp_path / "root"), "--memory-budget", "1M")
    assert result.returncode == 1, result.stderr
    assert "scene-too-large" in result.stderr and "maya_textured_cube_7500_ascii.fbx" in result.stderr and "budget of 1 MiB" in result.stderr
    valid(tmp_path / "root")
