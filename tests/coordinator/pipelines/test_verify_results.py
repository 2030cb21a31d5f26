"""Spot verification on the farm: a share of fresh farm results is cooked again here and compared byte for byte.

A real redis-server and a real ``oxcook worker`` that lies (``tests.lying_worker``:
BC7 blocks rotated within each level and hashed again — the right shape, mips,
format and hash, so every check against what the coordinator knows passes).
Only a re-cook tells: with ``--verify-results 1`` the liar is named, its results
are cooked again on the coordinator's own pool and the container holds the
honest bytes; without verification the lie is accepted, but no worker writes
the shared cache tier, and the entries the coordinator published say who cooked
them, so ``oxcook cache verify`` finds them.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator._sampling import sampled
from oxcook.coordinator.pipelines._verify import cooked_by, to_verify
from oxcook.worker import run_work
from oxcook.worker.cache import read_entry
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import MeshResult, TextureResult, TextureWork, error_result
from tests.farm_fixtures import CeleryWorker, RedisServer, run_oxcook
from tests.helpers import png_bytes, read_report, read_texture, snapshot

LIAR = "liar@oxcook-test"
KEY = str(uuid.UUID(bytes=f.new_source_key()))


def cook(*args: str, timeout: float = 240):
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", *args, timeout=timeout)


def sources(folder: Path, n: int = 4, size: int = 64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.random.default_rng(40 + i).integers(0, 256, (size, size + 8 * i, 3), dtype=np.uint8)).save(folder / f"t{i}_albedo.png")
    return folder


def payloads(root: Path, report: Path) -> dict[str, bytes]:
    """Each texture's payload in ``root``, by source id (from the cook's report)."""
    return {e["source"]: read_texture(root, e["index"])[1] for e in read_report(report)["textures"]}


def entries(folder: Path) -> list:
    return [read_entry(p.read_bytes(), p.stem, (TextureResult, MeshResult)) for p in sorted((folder / "entries").rglob("*.oxc"))] if (folder / "entries").is_dir() else []


@pytest.fixture
def honest(tmp_path):
    """The sources, and what the local pool (the coordinator's own processes) cooks of them."""
    src = sources(tmp_path / "src")
    result = cook(str(src), "-o", str(tmp_path / "honest"), "--no-cache", "--report", str(tmp_path / "honest.json"))
    assert result.returncode == 0, result.stderr
    return src, payloads(tmp_path / "honest", tmp_path / "honest.json")


@pytest.fixture
def farm(tmp_path):
    """A redis-server and one lying worker, which would write a shared folder tier if it were let."""
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "liar", tmp_path / "liar.log", module="tests.lying_worker", env={"OXCOOK_SHARED_CACHE": str(tmp_path / "shared")})
    try:
        yield server.url
    finally:
        worker.stop()
        server.stop()


def test_a_lying_worker_is_caught_named_and_its_results_cooked_again_here(tmp_path, honest, farm):
    src, expected = honest
    local, shared = tmp_path / "cache", tmp_path / "shared"
    args = ["--broker", farm, "--verify-results", "1", "--cache", str(local), "--shared-cache", str(shared)]
    result = cook(str(src), "-o", str(tmp_path / "root"), *args, "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stderr
    assert "worker-result-mismatch" in result.stderr and LIAR in result.stderr, result.stderr
    job = read_report(tmp_path / "r.json")
    named = [d for d in job["diagnostics"] if d["code"] == "worker-result-mismatch"]
    assert named and all(LIAR in d["message"] for d in named), job["diagnostics"]
    assert job["totals"]["failed"] == 0  # every texture cooked: the liar's results were replaced, not lost
    assert payloads(tmp_path / "root", tmp_path / "r.json") == expected  # every texture: the honest bytes
    for tier in (local, shared):
        kept = entries(tier)
        assert len(kept) == len(expected)
        assert {e.cooked_by for e in kept} == {"local"}  # nothing the liar cooked
        assert {e.result.cooked.payload for e in kept} == set(expected.values())


def test_without_verification_the_lie_is_accepted_but_only_the_coordinator_publishes(tmp_path, honest, farm):
    src, expected = honest
    shared = tmp_path / "shared"
    # a coordinator with no shared tier: the worker has one, and by default leaves it alone
    a = cook(str(src), "-o", str(tmp_path / "a"), "--broker", farm, "--cache", str(tmp_path / "cache-a"), "--report", str(tmp_path / "a.json"))
    assert a.returncode == 0, a.stderr
    lied = payloads(tmp_path / "a", tmp_path / "a.json")
    assert lied.keys() == expected.keys() and all(lied[s] != expected[s] for s in expected)  # a shuffled block passes every other check
    assert entries(shared) == []
    # a coordinator that publishes: each entry says which worker cooked it
    b = cook(str(src), "-o", str(tmp_path / "b"), "--broker", farm, "--verify-results", "0", "--cache", str(tmp_path / "cache-b"), "--shared-cache", str(shared))
    assert b.returncode == 0, b.stderr
    assert {e.cooked_by for e in entries(shared)} == {LIAR}
    audit = run_oxcook("cache", "verify", "--tier", "shared", "--shared-cache", str(shared), "--fraction", "1")
    assert audit.returncode == 1, audit.stdout + audit.stderr
    mismatches = [line for line in audit.stdout.splitlines() if "mismatch" in line and LIAR in line]
    assert len(mismatches) == len(expected), audit.stdout
    assert entries(shared) == []


def test_with_honest_workers_verification_changes_no_byte(tmp_path, honest):
    src, _ = honest
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "honest", tmp_path / "honest.log")
    try:
        roots = {}
        for share in ("1", "0"):
            root = tmp_path / f"verified-{share}"
            result = cook(str(src), "-o", str(root), "--broker", server.url, "--no-cache", "--source-key", KEY, "--verify-results", share)
            assert result.returncode == 0 and "worker-result" not in result.stderr, result.stderr
            roots[share] = snapshot(root)
        assert roots["1"] == roots["0"]
    finally:
        worker.stop()
        server.stop()


def test_the_share_verified_is_chosen_by_name_and_reproducible():
    names = [f"textures/t{i:03d}_albedo.png" for i in range(400)]
    assert not any(sampled(0.0, n) for n in names) and all(sampled(1.0, n) for n in names)
    half = [n for n in names if sampled(0.5, n)]
    assert 150 < len(half) < 250 and half == [n for n in names if sampled(0.5, n)]
    assert set(n for n in names if sampled(0.25, n)) <= set(half)  # a larger share keeps the smaller one's choices


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half"])
def test_a_bad_share_is_refused_before_anything_runs(tmp_path, value):
    src = sources(tmp_path / "src", n=1)
    result = cook(str(src), "-o", str(tmp_path / "root"), "--verify-results", value)
    assert result.returncode == 2
    assert "--verify-results" in result.stderr
    assert not (tmp_path / "root").exists()


def test_who_cooked_a_result_is_the_hostname_in_its_lease_and_only_farm_results_are_verified():
    source = png_bytes(np.full((8, 8, 3), 90, np.uint8))
    work = TextureWork("k", "a_albedo.png", preset_desc("albedo", "a_albedo.png"), sources=(source,))
    own = run_work(work)  # the coordinator's own pool names no lease
    farm = dataclasses.replace(own, lease="w1@farm/0f3a")
    assert cooked_by(farm) == "w1@farm" and cooked_by(own) == "local"
    assert to_verify(1.0, work, farm, caught=()) and not to_verify(0.0, work, farm, caught=())
    assert to_verify(0.0, work, farm, caught={"w1@farm"})  # every later result of a caught worker
    assert not to_verify(1.0, work, own, caught=())
    assert not to_verify(1.0, work, dataclasses.replace(error_result(work, "texture-decode-failed", "no"), lease="w1@farm/0f3a"), caught=())
