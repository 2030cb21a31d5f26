"""``oxcook inspect``: summary, JSON, exit codes, and garbage input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from oxcook.coordinator.cli import main
from tests.conftest import SHARED_ASSETS
from tests.sample_container import build_sample_root

BAD = SHARED_ASSETS / "bad"


def test_inspect_valid_root(tmp_path, capsys):
    sample = build_sample_root(tmp_path / "root")
    assert main(["inspect", str(sample.root)]) == 0
    out = capsys.readouterr().out
    assert "result: VALID" in out and "BC7_UNORM_SRGB" in out and "Materials/Brick.omat" in out


def test_inspect_json(tmp_path, capsys):
    sample = build_sample_root(tmp_path / "root")
    assert main(["inspect", "--json", str(sample.root / "container.index.bin")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["valid"] and summary["epoch"] == "B"
    assert summary["assets_by_type"] == {"MATERIAL": 1, "GEOMETRY": 1, "SCENE": 1}
    assert [t["mips"] for t in summary["textures"]] == [1, 5, 3]


def test_inspect_invalid_root_exits_1(tmp_path, capsys):
    sample = build_sample_root(tmp_path / "root")
    with open(sample.root / "Resources/textures.data", "ab") as fh:
        fh.write(b"\0")
    assert main(["inspect", str(sample.root)]) == 1
    out = capsys.readouterr().out
    assert "file-size" in out and "Resources/textures.data" in out and "INVALID" in out


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()) if BAD.is_dir() else [])
def test_inspect_garbage_files_exit_2_without_traceback(name):
    proc = subprocess.run(
        [sys.executable, "-m", "oxcook", "inspect", str(BAD / name)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert name in proc.stderr + proc.stdout


@pytest.mark.parametrize("payload", [b"", b"OXLCIDX\0", b"OXLCIDX\0" + bytes(300), b"\xff" * 1000])
def test_inspect_garbage_index(tmp_path, payload):
    (tmp_path / "container.index.bin").write_bytes(payload)
    proc = subprocess.run(
        [sys.executable, "-m", "oxcook", "inspect", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode in (1, 2)
    assert "Traceback" not in proc.stderr
    assert "container.index.bin" in proc.stdout


def test_inspect_missing_path(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
