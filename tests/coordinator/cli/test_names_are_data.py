"""Names are data, never commands: a file name cannot forge a CI command, drive the terminal or break a report."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from oxcook.coordinator._sinks import github_data, github_property, terminal, workspace_path, xml_text
from tests.farm_fixtures import REPO

FORGED = "bad\n::error file=evil.yml,title=INJECTED::x_albedo.png"
ESCAPING = "esc\x1b]0;pwned\x07,a:b_albedo.png"


def cook(tmp_path, *names: str, args=()) -> subprocess.CompletedProcess:
    src = tmp_path / "work" / "art"
    src.mkdir(parents=True)
    for name in names:
        (src / name).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))  # corrupt: each is named in an error
    return subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "lines", "--quality", "fast", "--no-cache", "-v", str(src), "-o", str(tmp_path / "root"), *args],
        capture_output=True, text=True, cwd=REPO, timeout=120,
        env={**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path / "work")},
    )  # fmt: skip


def test_a_file_name_cannot_forge_a_workflow_command(tmp_path):
    result = cook(tmp_path, FORGED)
    assert result.returncode == 1, result.stderr
    commands = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("::")]
    assert commands and all(line.startswith("::error file=art/bad%0A%3A%3Aerror file=evil.yml%2Ctitle=INJECTED%3A%3Ax_albedo.png,title=texture-") for line in commands), commands
    assert "evil.yml" in result.stderr and "\\n::error" in result.stderr  # the name is shown, escaped


def test_control_characters_reach_neither_the_terminal_nor_the_junit_report(tmp_path):
    junit = tmp_path / "junit.xml"
    result = cook(tmp_path, ESCAPING, args=("--junit", str(junit)))
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stderr + result.stdout and "\x07" not in result.stderr + result.stdout
    assert "esc\\x1b]0;pwned\\x07" in result.stderr
    suites = ET.parse(junit).getroot()  # well-formed XML
    (case,) = suites.iter("testcase")
    assert case.get("name") == "esc\\x1b]0;pwned\\x07,a:b_albedo.png"
    (suite,) = suites.iter("testsuite")
    assert suite.get("timestamp") and suite.get("hostname") and suite.get("errors") == "0"
    assert "::error file=art/esc\x1b" not in result.stdout and "file=art/esc" in result.stdout and "%2Ca%3Ab_albedo.png" in result.stdout


def test_each_sink_escapes_what_would_break_it():
    assert terminal("a\nb\x1b[31m\x7f\x9b") == "a\\nb\\x1b[31m\\x7f\\x9b"
    assert terminal("grüße/名前.png") == "grüße/名前.png"  # text is not mangled
    assert xml_text("a\x00b\x1bc\ud800\tok") == "a\\x00b\\x1bc\\ud800\tok"
    assert github_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github_property("a,b:c%") == "a%2Cb%3Ac%25"


def test_annotation_paths_are_relative_to_the_workspace(tmp_path):
    (tmp_path / "ws" / "art").mkdir(parents=True)
    assert workspace_path(str(tmp_path / "ws" / "art" / "x.png"), {"GITHUB_WORKSPACE": str(tmp_path / "ws")}) == "art/x.png"
    assert workspace_path("/elsewhere/x.png", {"GITHUB_WORKSPACE": str(tmp_path / "ws")}) == "/elsewhere/x.png"
