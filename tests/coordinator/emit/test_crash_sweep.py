"""Every file-system step of ``compact``, ``cook`` and ``repair`` interrupted by SIGKILL, one run per step.

``tests.step_killer`` counts the steps a command takes inside the cooked root and
kills it right after the k-th; for every k the killed root is repaired and must
then validate and hold exactly the old container or exactly the new one, with no
temporary file and no journal left behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from oxcook.coordinator.emit import RootLock, recover_root
from tests.conftest import REPO, SHARED_ASSETS
from tests.helpers import snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))
COOK = ["cook", "--progress", "none", "--quality", "fast", "--no-cache", "--workers", "1", "--source-key", KEY]


def killed_at(k: int, root: Path, *args: str) -> subprocess.CompletedProcess:
    """``oxcook ARGS`` killed right after its k-th step inside ``root`` (k = 0: run to the end, counting)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.step_killer", str(k), str(root), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        try:  # the pool processes of a killed cook
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def steps(root: Path, *args: str) -> int:
    """How many steps ``oxcook ARGS`` takes inside ``root`` when nothing kills it."""
    done = killed_at(0, root, *args)
    assert done.returncode == 0, done.stderr
    return int(re.search(r"steps: (\d+)", done.stderr).group(1))


def repair(root: Path) -> None:
    lock = RootLock(root)
    lock.acquire(5)
    try:
        recover_root(root)
    finally:
        lock.release()


def leftovers(root: Path) -> list[str]:
    """Temporaries and journal files a repaired root must not hold."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and (p.name.endswith(".tmp") or "journal" in p.parts))


def assert_old_or_new(root: Path, old: dict, new: dict, k: int) -> None:
    assert not leftovers(root), (k, leftovers(root))
    report = f.validate_container(CookedRootFiles(root))
    assert report.ok, (k, [str(v) for v in report.violations][:5])
    now = snapshot(root)
    assert now in (old, new), (k, sorted(p for p in set(now) | set(old) if now.get(p) != old.get(p)))


def paint(path: Path, seed: int, size: int = 32) -> None:
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)


def oxcook(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oxcook", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def cook(src: Path, root: Path) -> None:
    done = oxcook(*COOK, str(src), "-o", str(root))
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def stale_root(tmp_path_factory) -> tuple[Path, Path]:
    """A root cooked twice with one texture and a scene image edited between: stale bytes to compact; the sources."""
    base = tmp_path_factory.mktemp("sweep")
    src, root = base / "src", base / "root"
    src.mkdir()
    for i in range(3):
        paint(src / f"t{i}_albedo.png", i)
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src / "scene")
    cook(src, root)
    paint(src / "t1_albedo.png", 100)
    logo = src / "scene/CesiumLogoFlat.png"
    Image.open(logo).resize((64, 64)).save(logo)
    cook(src, root)
    return root, src


def fresh_copy(root: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(root, where)
    return where


def sweep(start: Path, tmp_path: Path, args_for) -> None:
    """Run ``args_for(root)`` killed after every one of its steps; each repaired root is the old or the new one."""
    old = snapshot(start)
    whole = fresh_copy(start, tmp_path / "whole")
    total = steps(whole, *args_for(whole))
    new = snapshot(whole)
    assert new != old  # the command changes the root, or there is nothing to interrupt
    for k in range(1, total + 1):
        root = fresh_copy(start, tmp_path / "killed")
        run = killed_at(k, root, *args_for(root))
        assert run.returncode == -signal.SIGKILL, (k, run.returncode, run.stderr[-2000:])
        repair(root)
        assert_old_or_new(root, old, new, k)


@pytest.mark.slow
def test_a_compaction_killed_after_any_step_is_repaired_to_the_old_or_the_new_root(stale_root, tmp_path):
    root, _ = stale_root
    sweep(root, tmp_path, lambda r: ["compact", str(r)])


@pytest.mark.slow
def test_a_cook_killed_after_any_step_is_repaired_to_the_old_or_the_new_root(stale_root, tmp_path):
    root, src = stale_root
    edited = tmp_path / "src"
    shutil.copytree(src, edited)
    paint(edited / "t2_albedo.png", 200)
    paint(edited / "t3_albedo.png", 300)
    sweep(root, tmp_path, lambda r: [*COOK, str(edited), "-o", str(r)])


@pytest.mark.slow
def test_a_repair_killed_after_any_step_is_finished_by_the_next(stale_root, tmp_path):
    """The hardest root to repair: a compaction killed just before its index rename (every file moved)."""
    root, _ = stale_root
    start = fresh_copy(root, tmp_path / "start")
    old = snapshot(start)
    total = steps(fresh_copy(start, tmp_path / "count"), "compact", str(tmp_path / "count"))
    crashed = fresh_copy(start, tmp_path / "crashed")
    index_renamed_at = None
    for k in range(total, 0, -1):  # the last step before the index rename: the latest point that rolls back
        crashed = fresh_copy(start, tmp_path / "crashed")
        killed_at(k, crashed, "compact", str(crashed))
        if snapshot(crashed).get(f.INDEX_FILE_NAME) == old[f.INDEX_FILE_NAME]:
            index_renamed_at = k + 1
            break
    assert index_renamed_at is not None
    template = fresh_copy(crashed, tmp_path / "template")
    repairs = steps(fresh_copy(template, tmp_path / "count-repair"), "repair", str(tmp_path / "count-repair"))
    assert repairs > 3  # the repair restores files, so it has steps to interrupt
    for j in range(1, repairs + 1):
        target = fresh_copy(template, tmp_path / "repairing")
        run = killed_at(j, target, "repair", str(target))
        assert run.returncode == -signal.SIGKILL, (j, run.stderr[-2000:])
        repair(target)
        assert_old_or_new(target, old, old, j)


def test_a_compaction_killed_between_moving_a_data_file_and_writing_its_copy_loses_nothing(stale_root, tmp_path):
    """The data file moved into the journal and its compacted copy not yet made: repair brings every texture back."""
    root = fresh_copy(stale_root[0], tmp_path / "root")
    old = snapshot(root)
    for k in range(1, steps(fresh_copy(root, tmp_path / "count"), "compact", str(tmp_path / "count")) + 1):
        killed = fresh_copy(root, tmp_path / "killed")
        killed_at(k, killed, "compact", str(killed))
        if not (killed / "Resources/textures.data").exists():
            break
    else:
        pytest.fail("no step of compaction leaves the texture data file moved away")
    done = oxcook("repair", str(killed))
    assert done.returncode == 0, done.stderr
    assert_old_or_new(killed, old, old, k)
    again = oxcook(*COOK, str(stale_root[1]), "-o", str(killed))
    assert again.returncode == 0, again.stderr
