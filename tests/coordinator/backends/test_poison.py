"""An input that kills its worker process every time: retried a bounded number of times, then
reported as failed; the rest of the job cooks and the container is valid."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.farm_fixtures import REPO, CeleryWorker, RedisServer
from tests.helpers import read_report


def _sources(tmp_path, shared_assets):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "good_albedo.png")
    shutil.copy(shared_assets / "images/jpeg/testorig.jpg", src / "poison.jpg")
    return src


def _cook(src, root, report, *extra, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--progress", "none", "--report", str(report), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def _check(root, report_path) -> None:
    report = read_report(report_path)
    entries = {t["source"]: t for t in report["textures"]}
    assert entries["poison.jpg"]["index"] == 0
    assert [d["code"] for d in entries["poison.jpg"]["diagnostics"] if d["severity"] == "error"] == ["texture-worker-crashed"]
    assert entries["good_albedo.png"]["index"] == 1
    assert f.validate_container(CookedRootFiles(root)).ok


def test_poison_input_on_the_local_backend(tmp_path, shared_assets):
    src = _sources(tmp_path, shared_assets)
    result = _cook(src, tmp_path / "root", tmp_path / "r.json", env={"OXCOOK_FAILPOINT": "cook:poison.jpg"})
    assert result.returncode == 1, result.stderr
    _check(tmp_path / "root", tmp_path / "r.json")


def test_poison_input_on_the_farm(tmp_path, shared_assets):
    server = RedisServer(tmp_path)
    os.environ["OXCOOK_FAILPOINT"] = "cook:poison.jpg"
    try:
        worker = CeleryWorker(server.url, "poisoned", tmp_path / "worker.log")
    finally:
        del os.environ["OXCOOK_FAILPOINT"]
    try:
        src = _sources(tmp_path, shared_assets)
        result = _cook(src, tmp_path / "root", tmp_path / "r.json", "--broker", server.url)
        assert result.returncode == 1, result.stderr
        _check(tmp_path / "root", tmp_path / "r.json")
    finally:
        worker.stop()
        server.stop()
