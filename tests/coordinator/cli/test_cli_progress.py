"""``oxcook cook``'s progress: an honest ETA, a final line with counts, a heartbeat, silence under ``-q``, and a
live bar that log lines never split."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import time

from oxcook.coordinator import ImportPhase, ImportProgress
from oxcook.coordinator.cli import _log
from oxcook.coordinator.cli._progress import ProgressDisplay, estimate_eta
from tests.helpers import root_lock_held


def _snapshot(done: int, total: int = 42, throughput: float = 0.0, phase=ImportPhase.TEXTURES, job=1) -> ImportProgress:
    return ImportProgress(job_id=job, phase=phase, items_completed=done, items_total=total, throughput=throughput, message=f"t{done}.png")


def _progress_lines(caplog) -> list[str]:
    """The plain progress lines: ``progress`` records of the command's log."""
    return [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "progress"]


def test_eta_is_never_zero_while_items_remain(caplog):
    caplog.set_level(logging.INFO, logger="oxcook")
    display = ProgressDisplay(io.StringIO(), live=False, interval=0.0)
    display.update(_snapshot(0))
    display.update(_snapshot(13, throughput=40.0))  # a burst of quick items: the rolling rate alone says "no time left"
    line = _progress_lines(caplog)[-1]
    assert "13/42 done" in line
    assert "ETA 0:00:00" not in line
    assert estimate_eta(13, 42, 13.0) == 29.0  # the job's own pace, over the items that remain
    assert estimate_eta(41, 42, 0.001) == 1.0  # the last item still has to finish
    assert estimate_eta(42, 42, 5.0) == 0.0


def test_heartbeat_repeats_the_state_while_nothing_changes(caplog):
    caplog.set_level(logging.INFO, logger="oxcook")
    display = ProgressDisplay(io.StringIO(), live=False, heartbeat=0.2)
    display.update(_snapshot(3))
    deadline = time.monotonic() + 30  # generous: only that a line comes while nothing else does
    while len(_progress_lines(caplog)) < 2 and time.monotonic() < deadline:
        display.tick()
        time.sleep(0.02)
    lines = _progress_lines(caplog)
    assert len(lines) >= 2, lines
    assert "3/42 done" in lines[1] and "working" in lines[1]
    display.update(_snapshot(0, total=0, phase=ImportPhase.COMPLETE))
    count = len(_progress_lines(caplog))
    time.sleep(0.3)
    display.tick()  # the job is over: no heartbeat for it
    assert len(_progress_lines(caplog)) == count


def test_a_log_line_never_splits_the_live_bar(capsys):
    _log.configure()
    display = ProgressDisplay(sys.stderr, live=True)
    display.update(_snapshot(3))
    _log.emit("diagnostic", "warning: t3.png: the decoder warned: PNG warning: iCCP: too short (texture-decoder-warning)", level=logging.WARNING)
    display.update(_snapshot(4))
    display.update(_snapshot(0, total=0, phase=ImportPhase.COMPLETE))
    display.finish()
    lines = capsys.readouterr().err.split("\n")
    visible = [line.split("\r\x1b[2K")[-1] for line in lines]  # what each terminal line shows once redrawn
    assert visible[0] == "warning: t3.png: the decoder warned: PNG warning: iCCP: too short (texture-decoder-warning)", lines
    assert "3/42 done" in lines[0] and lines[0].endswith("\r\x1b[2K" + visible[0])  # the bar was cleared first
    assert visible[1].startswith("complete: 4/42 items") and visible[2:] == [""], lines  # drawn again, then the final line


def _cook(tmp_path, shared_assets, *extra: str) -> subprocess.CompletedProcess:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for i in range(3):
        shutil.copy(shared_assets / "images/png/hopper.png", src / f"hopper{i}_albedo.png")
        with open(src / f"hopper{i}_albedo.png", "ab") as fh:
            fh.write(b"\0" * i)
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(tmp_path / "root"), "--workers", "1", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_last_progress_line_is_final_with_counts(tmp_path, shared_assets):
    run = _cook(tmp_path, shared_assets, "--progress", "lines")
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[-1].startswith("oxcook cook: 3 textures: 3/3 textures cooked"), lines
    assert lines[-2].startswith("complete: 3/3 items, "), lines
    assert not any("complete  done" in line for line in lines)


def test_quiet_prints_only_the_summary(tmp_path, shared_assets):
    run = _cook(tmp_path, shared_assets, "--progress", "lines", "-q")
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [next(line for line in run.stderr.splitlines() if line.startswith("oxcook cook: 3 textures: 3/3 textures cooked"))]


def test_a_cook_waiting_for_a_locked_root_names_the_holder(tmp_path, shared_assets):
    root, src = tmp_path / "root", tmp_path / "src"
    root.mkdir()
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    with root_lock_held(root) as holder:
        cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--progress", "lines", "--lock-timeout", "120"]
        cook = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        notes = []
        for line in cook.stderr:  # the note comes at once, then again while the wait goes on
            if "waiting for the lock" in line:
                notes.append(line.strip())
                if len(notes) == 2:
                    break
        assert len(notes) == 2, notes
        assert notes[0].endswith(f"waiting for the lock on {root} held by pid {holder} (another oxcook cook); --lock-timeout 120"), notes
    rest = cook.stderr.read()
    assert cook.wait(timeout=120) == 0, rest
    assert "1/1 textures cooked" in rest


def test_a_progress_snapshot_is_built_by_field_name_only():
    import pytest

    with pytest.raises(TypeError):
        ImportProgress(1, ImportPhase.TEXTURES, 0.5, 0.5, "t.png", 1, 2, 3.0)
    assert ImportProgress(job_id=1, phase=ImportPhase.TEXTURES, items_total=2).items_total == 2
