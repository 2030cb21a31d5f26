"""Ctrl-C during a cook: exit 130, no index written, the previous container intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.helpers import snapshot


def test_ctrl_c_cancels_cleanly(tmp_path, shared_assets):
    src, root = tmp_path / "src", tmp_path / "root"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--progress", "lines"]
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0
    before = snapshot(root)
    for i in range(6):
        shutil.copy(shared_assets / "gltf/WaterBottle/WaterBottle_baseColor.png", src / f"bottle{i}_albedo.png")
        with open(src / f"bottle{i}_albedo.png", "ab") as fh:
            fh.write(b"\0" * i)
    proc = subprocess.Popen(cmd + ["--quality", "high"], stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in proc.stderr:  # wait until cooking has started: an event, not a sleep
        if line.startswith("textures"):
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, rest
    assert "cancelling (Ctrl-C)" in rest
    assert snapshot(root) == before
    assert f.validate_container(CookedRootFiles(root)).ok
