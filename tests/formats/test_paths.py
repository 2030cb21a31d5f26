"""Relative- and virtual-path rules (spec §1.8)."""

from __future__ import annotations

import pytest

from oxcook import formats as f


@pytest.mark.parametrize("path", ["Materials/Brick.omat", "Resources/textures.data", "a/b/c.d", "x"])
def test_good_relative_paths(path):
    assert f.relative_path_problem(path) is None


@pytest.mark.parametrize(
    "path", ["", "a\\b", "C:/x", "/abs", "dir/", "a//b", "./a", "a/../b", "..", "a/."]
)
def test_bad_relative_paths(path):
    assert f.relative_path_problem(path) is not None


@pytest.mark.parametrize(
    "path", ["/.cooked/Materials/Brick.omat", "/Game/Physics/Materials/Rubber.opmat", "/_x/a-b_c.d", "/Engine/x.y"]
)
def test_good_virtual_paths(path):
    assert f.virtual_path_problem(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "",
        "relative/x.omat",
        "/.cooked/Materials/Brick v2.omat",
        "/.cooked/Mat.s/Brick.omat",
        "/.cooked/Materials/Brick",
        "/.cooked/Materials/a.b.c",
        "/.cooked/Materials/.omat",
        "/.cooked/Materials/x.",
        "/.cooked//x.omat",
        "/.cooked/../x.omat",
        "/9root/x.omat",
        "/x.omat",
        "/.cooked/Materials/",
        "/" + "a" * 600 + "/x.y",
    ],
)
def test_bad_virtual_paths(path):
    assert f.virtual_path_problem(path) is not None


def test_epoch_a_rules_are_weaker():
    assert f.virtual_path_problem("/.cooked/Materials/Brick v2.omat", epoch="A") is None
    assert f.virtual_path_problem("/.cooked/../x", epoch="A") is not None


def test_sanitize_segment():
    assert f.sanitize_segment("Brick v2.final") == "Brick_v2_final"
    assert f.sanitize_segment("...") == "unnamed"
