"""What CI systems read — JUnit XML, GitHub Actions annotations, Prometheus metrics, JSON log lines."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime

import numpy as np
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO


def test_junit_annotations_metrics_and_json_log(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    started = time.time()
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
    for suite in suites.iter("testsuite"):  # a suite per job, named for its input, with when, where and how long
        assert suite.get("name") in (str(scene), "2 textures"), suite.attrib
        assert {c.get("classname") for c in suite.iter("testcase")} == {suite.get("name")}
        assert int(suite.get("tests")) == len(suite.findall("testcase")) and suite.get("errors") == "0"
        assert float(suite.get("time")) >= 0 and suite.get("hostname") == socket.gethostname()
        assert abs(datetime.fromisoformat(suite.get("timestamp")).timestamp() - started) < 300, suite.get("timestamp")
        assert all(float(c.get("time")) >= 0 for c in suite.iter("testcase"))
    cases = {c.get("name"): c for c in suites.iter("testcase")}
    assert cases["good_albedo.png"].find("failure") is None
    assert cases["broken_albedo.png"].find("failure").get("type") == "texture-corrupted-data"
    assert cases[str(scene)].find("failure").get("type") == "scene-invalid"
    assert sum(int(s.get("failures")) for s in suites.iter("testsuite")) == 2

    assert "::error file=src/broken_albedo.png,title=texture-corrupted-data::" in result.stdout  # relative to the workspace
    assert "::error file=" in result.stdout and "scene-invalid" in result.stdout

    families = {f.name: f for f in text_string_to_metric_families((out / "oxcook.prom").read_text())}
    values = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    last_run = ["oxcook_textures", "oxcook_texture_failures", "oxcook_jobs_failed", "oxcook_cache_hits", "oxcook_textures_exact", "oxcook_cook_seconds"]
    for name in [*last_run, "oxcook_last_run_timestamp_seconds", "oxcook_last_run_exit_code"]:
        assert families[name].type == "gauge", (name, families[name].type)  # the last run's figures, not counters
    assert values[("oxcook_textures", (("result", "cooked"),))] == 1
    assert values[("oxcook_textures", (("result", "failed"),))] == 1
    assert values[("oxcook_textures", (("result", "cache_hit"),))] == 0
    assert values[("oxcook_texture_failures", (("code", "texture-corrupted-data"),))] == 1
    assert values[("oxcook_jobs_failed", (("code", "scene-invalid"),))] == 1
    assert values[("oxcook_last_run_exit_code", ())] == 1
    assert started <= values[("oxcook_last_run_timestamp_seconds", ())] <= time.time()
    assert families["oxcook_texture_cook_seconds"].type == "histogram"
    assert not any(s.name.endswith("_created") for f in families.values() for s in f.samples)

    events = [json.loads(line) for line in result.stderr.splitlines()]  # every line
    assert {e["event"] for e in events} == {"pending", "phase", "diagnostic", "texture", "job"}
    assert {e["source"] for e in events if e["event"] == "texture"} == {"good_albedo.png", "broken_albedo.png"}
