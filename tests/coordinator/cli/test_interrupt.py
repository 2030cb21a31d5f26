"""Ctrl-C or SIGTERM during a cook: exit 130 within two seconds, no index written, the previous container intact."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

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


@pytest.fixture(scope="module")
def noise(tmp_path_factory) -> list:
    """Three 2048² RGBA noise textures: at --quality high each encodes for tens of seconds on this machine."""
    folder = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(7)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (2048, 2048, 4), dtype=np.uint8)).save(folder / f"noise{i}_albedo.png", compress_level=1)
    return sorted(folder.iterdir())


@pytest.mark.parametrize(("signum", "log_format"), [(signal.SIGINT, "text"), (signal.SIGTERM, "json")], ids=["SIGINT", "SIGTERM-json"])
def test_a_signal_ends_a_cook_within_two_seconds(tmp_path, shared_assets, noise, signum, log_format):
    """The pool's processes are stopped, not waited for: an encode of a 2048² texture at --quality high runs for
    tens of seconds between its cancel checks."""
    src, root = tmp_path / "src", tmp_path / "root"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--progress", "lines", "--workers", "2"]
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0
    before = snapshot(root)
    for path in noise:
        shutil.copy(path, src / path.name)
    proc = subprocess.Popen(cmd + ["--quality", "high", "--log-format", log_format], stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in proc.stderr:  # the textures phase has begun: the pool's processes are encoding
        seen.append(line)
        if line.startswith("textures") or '"phase": "textures"' in line:
            break
    signalled = time.monotonic()
    proc.send_signal(signum)
    try:
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    took = time.monotonic() - signalled
    rest = proc.stderr.read()
    assert code == 130, rest
    assert took < 2.0, f"{took:.1f} s from the signal to the exit"
    if log_format == "json":  # the cancel line too is an event
        events = [json.loads(line) for line in ("".join(seen) + rest).splitlines()]
        assert {"event": "cancelling", "signal": "SIGTERM", "level": "warning"}.items() <= next(e for e in events if e["event"] == "cancelling").items()
        assert events[-1]["event"] == "job" and events[-1]["exit_code"] == 130
    assert snapshot(root) == before
    assert f.validate_container(CookedRootFiles(root)).ok
