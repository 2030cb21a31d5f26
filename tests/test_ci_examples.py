"""The CI examples of docs/ci.md run as written — GitHub Actions, GitLab CI, Jenkins — on the sample textures:
each makes the files it uploads, and a second run restores the cache and encodes nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.farm_fixtures import REPO

CI_DOC = REPO / "docs" / "ci.md"
SAMPLES = REPO / "samples" / "textures"


def fenced(language: str) -> list[str]:
    """The fenced blocks of ``language`` in docs/ci.md, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", CI_DOC.read_text(encoding="utf-8"), flags=re.S | re.M)


@dataclass
class Example:
    """One CI system's example: the shell it runs, the folder its cache keeps, the files it uploads."""

    scripts: list[str]
    cache: str  # relative to the workspace, or absolute (an agent's own folder)
    uploads: list[str]
    env: dict = field(default_factory=dict)


def _skip_install(script: str) -> str:
    """The script without the line that installs oxcook (the test's environment has it installed)."""
    return "\n".join(line for line in script.splitlines() if "pip install" not in line)


def github_actions() -> Example:
    (workflow,) = [yaml.safe_load(block) for block in fenced("yaml") if "runs-on" in block]
    steps = workflow["jobs"]["cook"]["steps"]
    (cache,) = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/cache@")]
    uploads = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    return Example([_skip_install(s["run"]) for s in steps if "run" in s], cache, uploads, {"GITHUB_ACTIONS": "true"})


def gitlab_ci() -> Example:
    (pipeline,) = [yaml.safe_load(block) for block in fenced("yaml") if "script:" in block]
    job = pipeline["cook"]
    (cache,) = job["cache"]["paths"]
    uploads = [job["artifacts"]["reports"]["junit"], *job["artifacts"]["paths"]]
    return Example([_skip_install("\n".join(job["script"]))], cache, uploads, {"GITLAB_CI": "true"})


def jenkins(agent_cache: Path) -> Example:
    (pipeline,) = fenced("groovy")
    (script,) = re.findall(r"sh '''(.*?)'''", pipeline, flags=re.S)
    (cache,) = re.findall(r"OXCOOK_CACHE = '([^']+)'", pipeline)
    uploads = re.findall(r"junit '([^']+)'", pipeline) + re.findall(r"archiveArtifacts artifacts: '([^']+)'", pipeline)[0].split(", ")
    # the agent's cache folder, here one of the test's own
    return Example([_skip_install(script)], str(agent_cache), uploads, {"OXCOOK_CACHE": str(agent_cache), "JENKINS_URL": "http://jenkins.invalid/"})


def run_example(example: Example, workspace: Path, cache_from: Path | None) -> subprocess.CompletedProcess:
    """A fresh checkout (the sample textures as ``assets/``) with the cache restored, every script run as the CI
    system would (bash, stop at the first failure)."""
    shutil.copytree(SAMPLES, workspace / "assets")
    if cache_from is not None and not Path(example.cache).is_absolute():
        shutil.copytree(cache_from, workspace / example.cache)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXCOOK_")}
    env.update(CI="true", GITHUB_WORKSPACE=str(workspace), PATH=os.path.dirname(sys.executable) + os.pathsep + env["PATH"], **example.env)
    output = []
    for script in example.scripts:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=workspace, env=env, capture_output=True, text=True, timeout=300)
        output.append(done)
        if done.returncode != 0:
            break
    return output[-1]


def uploaded(workspace: Path, pattern: str) -> list[Path]:
    """What an upload of ``pattern`` (a folder, Ant's ``folder/**``, a file or a glob) would take."""
    if pattern.endswith(("/", "/**")):
        return [p for p in (workspace / pattern.rstrip("*/")).rglob("*") if p.is_file()]
    return [p for p in workspace.glob(pattern) if p.is_file()]


@pytest.mark.parametrize("system", ["github", "gitlab", "jenkins"])
def test_the_ci_example_cooks_uploads_and_hits_the_cache(tmp_path, system):
    example = {"github": github_actions, "gitlab": gitlab_ci, "jenkins": lambda: jenkins(tmp_path / "agent-cache")}[system]()
    samples = sorted(p.name for p in SAMPLES.iterdir())
    first, second = tmp_path / "run1", tmp_path / "run2"
    for workspace, cache_from in ((first, None), (second, first / example.cache)):
        workspace.mkdir()
        done = run_example(example, workspace, cache_from)
        assert done.returncode == 0, done.stderr
        assert "::error" not in done.stdout and "Traceback" not in done.stderr
        for pattern in example.uploads:
            assert uploaded(workspace, pattern), f"{system}: nothing to upload at {pattern}"
        reports = workspace / "reports"
        suites = ET.parse(reports / "oxcook.xml").getroot()
        assert sorted(c.get("name") for c in suites.iter("testcase")) == samples
        assert not list(suites.iter("failure"))
        families = {m.name: m for m in text_string_to_metric_families((reports / "oxcook.prom").read_text())}
        assert families["oxcook_last_run_exit_code"].samples[0].value == 0
        assert f.validate_container(CookedRootFiles(workspace / "cooked")).ok
    totals = json.loads((first / "reports/oxcook.json").read_text())["totals"]
    assert totals["encoded"] == len(samples) and totals["cache_hits"] == 0
    totals = json.loads((second / "reports/oxcook.json").read_text())["totals"]
    assert totals["cache_hits"] == len(samples) and totals["encoded"] == 0, totals  # the restored cache answered every texture
