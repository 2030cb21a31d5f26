"""The same sources, options and source key give byte-identical containers — whatever the
worker count, the backend, the order results come back in, or a worker killed mid-job."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import CeleryWorker, RedisServer, run_oxcook
from tests.helpers import snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """PNGs and JPEGs of different sizes (so workers finish out of order), and a glTF scene."""
    src = tmp_path_factory.mktemp("mixed")
    rng = np.random.default_rng(7)
    for i in range(14):
        size = (64, 512, 128, 1024, 256)[i % 5]
        pixels = rng.integers(0, 256, (size, size + 8 * i, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(src / (f"t{i:02d}_albedo.png" if i % 2 else f"t{i:02d}_n.jpg"), quality=90)
    shutil.copy(src / "t01_albedo.png", src / "copy_albedo.png")  # a duplicate: deduplicated the same way every time
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src / "scene")
    return src


def cook(src: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", "--source-key", KEY, str(src), "-o", str(root), *args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f.validate_container(CookedRootFiles(root)).ok
    return result


@pytest.fixture(scope="module")
def reference(mixed, tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("ref") / "root"
    cook(mixed, root, "--workers", "1")
    return snapshot(root)


def test_worker_count_does_not_change_a_byte(mixed, reference, tmp_path):
    cook(mixed, tmp_path / "two", "--workers", "2")
    assert snapshot(tmp_path / "two") == reference


def test_the_farm_writes_the_same_bytes_even_when_a_worker_is_killed(mixed, reference, tmp_path):
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "det", tmp_path / "worker.log", concurrency=3)
    try:
        cook(mixed, tmp_path / "farm", "--broker", server.url)
        assert snapshot(tmp_path / "farm") == reference

        killed: list[int] = []

        def kill_one() -> None:  # SIGKILL one pool process once work is under way
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and b"received" not in (tmp_path / "worker.log").read_bytes()[-20000:]:
                time.sleep(0.01)
            pids = worker.child_pids()
            if pids:
                subprocess.run(["kill", "-9", str(pids[0])])
                killed.append(pids[0])

        (tmp_path / "worker.log").write_bytes(b"")
        killer = threading.Thread(target=kill_one)
        killer.start()
        cook(mixed, tmp_path / "killed", "--broker", server.url)
        killer.join()
        assert killed, "no worker process was killed"
        assert snapshot(tmp_path / "killed") == reference
    finally:
        worker.stop()
        server.stop()
