"""The pure decisions that check a worker's result against what the coordinator knows, and whose result the farm takes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oxcook import formats as f
from oxcook.coordinator.backends._farm_intake import lease_problem
from oxcook.coordinator.pipelines._checks import expected_texture, mesh_result_problem, reserved_bc7_blocks, shape_problem, texture_result_problem
from tests.helpers import png_bytes
from oxcook.worker import run_work
from oxcook.worker.cook import MipPolicy, build_mesh_buffers, preset_desc
from oxcook.worker.wire import TextureWork


def _work(width: int, height: int, preset: str = "albedo", **changes) -> TextureWork:
    desc = dataclasses.replace(preset_desc(preset, "a.png"), **changes)
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 4), dtype=np.uint8)
    return TextureWork("j:1", "a.png", desc, sources=(png_bytes(pixels),))


@pytest.mark.parametrize(
    ("changes", "mips"),
    [({}, 9), ({"mip_policy": MipPolicy.NONE}, 1), ({"mip_policy": MipPolicy.MAX_COUNT, "max_mip_levels": 3}, 3), ({"mip_policy": MipPolicy.MAX_COUNT, "max_mip_levels": 30}, 9)],
)
def test_the_expected_mip_count_is_what_the_settings_make_of_the_header_s_size(changes, mips):
    desc = dataclasses.replace(preset_desc("albedo", "a.png"), **changes)
    assert expected_texture(desc, (256, 130), 1).mip_levels == mips


def test_the_expectation_comes_from_the_settings_and_the_header_only():
    desc = dataclasses.replace(preset_desc("data", "a.png"), premultiply_alpha=True)
    expected = expected_texture(desc, (64, 32), 1)
    assert (expected.width, expected.height, expected.depth, expected.array_layers) == (64, 32, 1, 1)
    assert (expected.format, expected.texture_type, expected.flags) == (int(f.Format.RGBA8_UNORM), int(f.TextureType.TEXTURE_2D), int(f.PayloadFlags.PREMULTIPLIED_ALPHA))
    assert expected_texture(desc, None, 1) is None


def test_an_honest_cook_is_what_was_expected():
    work = _work(64, 48)
    cooked = run_work(work).cooked
    assert texture_result_problem(work, expected_texture(work.desc, (64, 48), 1), cooked) is None


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("width", 128, "128x48, the source is 64x48"),
        ("mip_levels", 1, "1 mips, the settings ask for 7"),
        ("array_layers", 6, "array_layers 6, the work asked for 1"),
        ("flags", int(f.PayloadFlags.PREMULTIPLIED_ALPHA), "flags 1, the work asked for 0"),
        ("texture_type", int(f.TextureType.TEXTURE_CUBE), "texture_type"),
    ],
)
def test_a_shape_other_than_expected_is_named(field, value, said):
    work = _work(64, 48)
    cooked = dataclasses.replace(run_work(work).cooked, **{field: value})
    assert said in shape_problem(expected_texture(work.desc, (64, 48), 1), cooked)


def test_without_the_header_s_size_nothing_vouches_for_a_result():
    work = _work(16, 16)
    assert "could not read the source's header" in texture_result_problem(work, None, run_work(work).cooked)


def _zeroed(cooked):
    layout = f.compute_layout(f.TextureType(cooked.texture_type), f.Format(cooked.format), cooked.width, cooked.height, mip_levels=cooked.mip_levels)
    payload, digest = f.pack_payload(layout, [bytes(s.row_bytes * s.rows) for s in layout.subresources], flags=f.PayloadFlags(cooked.flags))
    return dataclasses.replace(cooked, payload=payload, content_hash=digest), layout


def test_zeroed_bc7_blocks_are_the_reserved_mode_and_counted():
    cooked = run_work(_work(64, 48)).cooked
    assert reserved_bc7_blocks(cooked) == 0
    zeroed, layout = _zeroed(cooked)
    assert reserved_bc7_blocks(zeroed) == sum(s.rows * s.row_bytes // 16 for s in layout.subresources)


def test_zeroed_uncompressed_pixels_are_not_blocks():
    zeroed, _ = _zeroed(run_work(_work(16, 16, "data")).cooked)
    assert reserved_bc7_blocks(zeroed) == 0  # black transparent pixels are a real image


def _box():
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    indices = np.array([0, 1, 2, 0, 2, 3], np.uint32)
    return {"positions": positions, "indices": indices}


def test_an_honest_mesh_is_the_primitive_sent():
    arrays = _box()
    assert mesh_result_problem(arrays, build_mesh_buffers(arrays["positions"], arrays["indices"])) is None
    del arrays["indices"]  # no index accessor: 0..n-1
    assert mesh_result_problem(arrays, build_mesh_buffers(arrays["positions"][:3])) == "3 vertices, the source has 4"


@pytest.mark.parametrize(
    ("lie", "said"),
    [
        (lambda a: {**a, "indices": a["indices"][:3]}, "3 indices, the source has 6"),
        (lambda a: {**a, "indices": a["indices"][[3, 4, 5, 0, 1, 2]]}, "indices differ"),
        (lambda a: {**a, "positions": a["positions"] * 2}, "vertex positions differ"),
    ],
)
def test_a_mesh_of_other_geometry_is_named(lie, said):
    arrays = _box()
    other = lie(arrays)
    assert said in mesh_result_problem(arrays, build_mesh_buffers(other["positions"], other["indices"]))


def test_mesh_bounds_other_than_the_positions_span_are_named():
    arrays = _box()
    mesh = dataclasses.replace(build_mesh_buffers(arrays["positions"], arrays["indices"]), bbox_max=(2.0, 2.0, 2.0))
    assert "the source's positions span" in mesh_result_problem(arrays, mesh)


def test_a_result_is_the_lease_holder_s_only():
    assert lease_problem("w1@farm/ab", b"w1@farm/ab") is None
    assert "held by w2@farm/cd" in lease_problem("w1@farm/ab", b"w2@farm/cd")
    assert "no worker holds" in lease_problem("w1@farm/ab", None)
    assert "names none" in lease_problem("", b"w1@farm/ab")
