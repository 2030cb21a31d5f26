"""A work item cannot make a worker read outside its source roots, nor raise its limits."""

from __future__ import annotations

import numpy as np
from PIL import Image

from oxcook.worker import run_work
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import TextureWork


def _png(path, size=64):
    Image.fromarray(np.zeros((size, size, 3), np.uint8)).save(path)
    return path


def test_paths_outside_the_source_roots_are_refused(tmp_path, monkeypatch):
    inside, outside = tmp_path / "art", tmp_path / "secrets"
    inside.mkdir()
    outside.mkdir()
    good, bad = _png(inside / "a.png"), _png(outside / "b.png")
    (inside / "link.png").symlink_to(bad)  # a link out of the root is outside it too
    monkeypatch.setenv("OXCOOK_SOURCE_ROOTS", str(inside))
    work = lambda p: TextureWork("k", p.name, preset_desc("albedo", p.name), paths=(str(p),))  # noqa: E731
    assert run_work(work(good)).ok
    for path in (bad, inside / "link.png", inside / ".." / "secrets" / "b.png"):
        result = run_work(work(path))
        assert not result.ok and result.error.code == "texture-path-refused", path
    monkeypatch.delenv("OXCOOK_SOURCE_ROOTS")
    assert run_work(work(good)).error.code == "texture-path-refused"  # no roots configured: no paths at all


def test_a_work_item_cannot_raise_the_workers_size_limit(tmp_path, monkeypatch):
    path = _png(tmp_path / "big.png", 128)
    monkeypatch.setenv("OXCOOK_MAX_DIMENSION", "64")
    desc = preset_desc("albedo", "big.png", max_dimension=16384)
    result = run_work(TextureWork("k", "big.png", desc, sources=(path.read_bytes(),)))
    assert not result.ok and result.error.code == "texture-image-too-large"
