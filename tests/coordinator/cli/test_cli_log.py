"""``oxcook cook`` on stderr: every line a ``logging`` record — JSON objects under ``--log-format json``,
only errors and the summary under ``-q``, a line per texture under ``-v``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from tests.farm_fixtures import REPO
from tests.helpers import png_bytes, png_with_chunk, root_lock_held

ICCP_TOO_SHORT = b"bogus\x00\x00" + b"x\x9c\x03\x00\x00\x00\x00\x01"  # a profile name, method 0, an empty zlib stream


def project(tmp_path: Path, shared_assets: Path) -> Path:
    """A texture that cooks, one that fails (bad IDAT CRC), one libpng warns about, one with no preset hint."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    shutil.copy(shared_assets / "bad/pngsuite_xcsn0g01_bad_idat_crc.png", src / "crc_albedo.png")
    gradient = np.broadcast_to(np.arange(64, dtype=np.uint8)[:, None, None] * 4, (64, 64, 3)).copy()
    (src / "iccp_albedo.png").write_bytes(png_with_chunk(gradient, b"iCCP", ICCP_TOO_SHORT))
    (src / "plain.png").write_bytes(png_bytes(gradient[::-1].copy()))
    return src


def cook(src: Path, root: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--workers", "1", "--quality", "fast", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def events(stderr: str) -> list[dict]:
    """Every stderr line as a JSON object with ``time`` (ISO 8601, UTC), ``level`` and ``event``."""
    parsed = []
    for line in stderr.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        stamp = datetime.fromisoformat(entry["time"])
        assert stamp.utcoffset() == timedelta(0), line
        assert entry["level"] in ("debug", "info", "warning", "error", "critical"), line
        assert entry["event"], line
        parsed.append(entry)
    return parsed


def test_json_log_makes_every_stderr_line_an_event(tmp_path, shared_assets):
    src, root = project(tmp_path, shared_assets), tmp_path / "root"
    assert cook(src, root).returncode == 1  # the bad texture
    (root / ".oxcook/build-record.msgpack").write_bytes(b"not a build record")  # the plan's warning
    run = cook(src, root, "--format", "bc1", "--log-format", "json", "--progress", "lines", "--compact", "0", "-v")
    assert run.returncode == 1, run.stderr
    found = events(run.stderr)
    kinds = [e["event"] for e in found]
    assert "progress" not in kinds  # json turns the progress display off
    warnings = [e for e in found if e["event"] == "warning"]
    assert any("does not render bc1" in e["message"] and e["code"] == "format-not-rendered" for e in warnings), warnings
    assert any(e["code"] == "build-record-invalid" for e in warnings), warnings
    textures = {e["source"]: e for e in found if e["event"] == "texture"}
    assert set(textures) == {"hopper_albedo.png", "crc_albedo.png", "iccp_albedo.png", "plain.png"}
    assert textures["hopper_albedo.png"]["cache"] == "off" and textures["hopper_albedo.png"]["job"] == "4 textures"
    diagnostics = {(e["code"], e["source_id"]): e for e in found if e["event"] == "diagnostic"}
    assert diagnostics[("texture-corrupted-data", "crc_albedo.png")]["level"] == "error"
    assert diagnostics[("texture-preset-guessed", "plain.png")]["level"] == "warning"
    (job,) = [e for e in found if e["event"] == "job"]
    assert job["exit_code"] == 1 and job["totals"]["failed"] == 1 and job["level"] == "error"
    assert "3/4 textures cooked" in job["message"]
    (compacted,) = [e for e in found if e["event"] == "compact"]
    assert compacted["root"] == str(root) and compacted["freed"] > 0


def test_json_log_of_a_usage_error_is_one_event(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", str(tmp_path), "-o", str(tmp_path / "root"), "--log-format", "json"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert run.returncode == 2
    (error,) = events(run.stderr)
    assert error["event"] == "error" and error["level"] == "error" and error["exit_code"] == 2
    assert error["message"] == f"oxcook cook: no textures or scenes found in {tmp_path}"


def test_json_log_names_the_lock_a_cook_waits_for(tmp_path, shared_assets):
    root, src = tmp_path / "root", tmp_path / "src"
    root.mkdir()
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    with root_lock_held(root) as holder:
        cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--log-format", "json", "--lock-timeout", "120"]
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "waiting for the lock" in line:
                break
        (waiting,) = events("".join(seen[-1:]))
        assert waiting["event"] == "pending" and waiting["message"].endswith(f"held by pid {holder} (another oxcook cook); --lock-timeout 120")
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, rest
    assert [e["event"] for e in events("".join(seen) + rest)][-1] == "job"


def test_quiet_prints_only_errors_and_the_summary(tmp_path, shared_assets):
    src, root = project(tmp_path, shared_assets), tmp_path / "root"
    assert cook(src, root, "--format", "bc7").returncode == 1
    run = cook(src, root, "-q", "--format", "bc1", "--progress", "lines", "--compact", "0")  # a warning, stale bytes, a failure
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        "error: crc_albedo.png: corrupt or truncated PNG data: IDAT: CRC error (texture-corrupted-data)",
        next(line for line in run.stderr.splitlines() if line.startswith("oxcook cook: 4 textures: 3/4 textures cooked")),
    ]


def test_verbose_prints_a_line_per_texture(tmp_path, shared_assets):
    src = project(tmp_path, shared_assets)
    run = cook(src, tmp_path / "root", "-v", "--progress", "none")
    assert run.returncode == 1, run.stderr
    per_texture = [line for line in run.stderr.splitlines() if line.startswith("  ")]
    assert sorted(line.split(":")[0].strip() for line in per_texture) == ["crc_albedo.png", "hopper_albedo.png", "iccp_albedo.png", "plain.png"]
    assert all("cache off" in line for line in per_texture), per_texture
