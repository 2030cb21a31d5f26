"""What CI systems read — JUnit XML, GitHub Actions annotations, Prometheus metrics, JSON log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO


def test_junit_annotations_metrics_and_json_log(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(src / "good_albedo.png")
    (src / "broken_albedo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))
    scene = SHARED_ASSETS / "bad/made_BoxTextured_truncated.glb"
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "fast", "--no-cache", str(src), str(scene), "-o", str(tmp_path / "root"),
         "--junit", str(out / "junit.xml"), "--metrics-file", str(out / "oxcook.prom"), "--log-format", "json"],
        capture_output=True, text=True, cwd=REPO, timeout=120, env={**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr

    suites = ET.parse(out / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suites.iter("testcase")}
    assert cases["good_albedo.png"].find("failure") is None
    assert cases["broken_albedo.png"].find("failure").get("type") == "texture-corrupted-data"
    assert cases[str(scene)].find("failure").get("type") == "scene-invalid"
    assert sum(int(s.get("failures")) for s in suites.iter("testsuite")) == 2

    assert "::error file=src/broken_albedo.png,title=texture-corrupted-data::" in result.stdout  # relative to the workspace
    assert "::error file=" in result.stdout and "scene-invalid" in result.stdout

    metrics = (out / "oxcook.prom").read_text()
    assert 'oxcook_textures_total{result="cooked"} 1.0' in metrics
    assert 'oxcook_texture_failures_total{code="texture-corrupted-data"} 1.0' in metrics
    assert 'oxcook_jobs_failed_total{code="scene-invalid"} 1.0' in metrics
    assert "oxcook_texture_cook_seconds_bucket" in metrics

    events = [json.loads(line) for line in result.stderr.splitlines()]  # every line
    assert {e["event"] for e in events} == {"pending", "diagnostic", "texture", "job"}
    assert {e["source"] for e in events if e["event"] == "texture"} == {"good_albedo.png", "broken_albedo.png"}
