"""The ``oxcook`` command line as a user types it: a misspelt option or command is named with what it may
have meant, nothing is abbreviated, every bad value is exit 2 with one line naming the option and the
value (choices listed), ``--help`` reads, and the shell completes commands, options and choices.

Parsing errors run in-process through ``main(argv)``; what depends on the process (the entry point, the
completion protocol, a worker that must not start) runs ``python -m oxcook``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

from oxcook.coordinator.cli import main
from tests.farm_fixtures import REPO, run_oxcook

COMMANDS = ("cook", "worker", "repair", "compact", "inspect", "cache")
# a broker nothing listens on: a worker that wrongly starts fails there, never on the machine's own Redis
DEAD_BROKER = {"OXCOOK_BROKER_URL": "redis://127.0.0.1:1/0"}


def error_line(stderr: str) -> str:
    """The one ``Error:`` line of a usage error (there is exactly one, and no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def refused(capsys, *argv: str) -> str:
    """Run ``oxcook ARGV`` in-process: exit 2 with the command's usage; returns the error line."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.search(rf"^Usage: oxcook {argv[0]}\b", err, re.M), err
    return error_line(err)


def suggests(line: str, name: str) -> bool:
    """Whether ``line`` asks "Did you mean NAME?", or names NAME among a few (click quotes names in some versions)."""
    asked = line.partition("Did you mean")[2]
    return re.search(rf"(^|[\s,'])({re.escape(name)})($|[\s,'?])", asked) is not None


def cook_args(tmp_path, *options: str) -> list[str]:
    return ["cook", str(tmp_path / "a_albedo.png"), "-o", str(tmp_path / "root"), *options]


# --- misspellings, abbreviations --------------------------------------------------------------------


def test_a_misspelt_option_is_named_with_the_option_it_may_mean(tmp_path):
    result = run_oxcook("cook", "--qualty", "fast", str(tmp_path / "a_albedo.png"), "-o", str(tmp_path / "root"), timeout=60)
    assert result.returncode == 2, result.stderr
    assert re.search(r"^Usage: oxcook cook ", result.stderr, re.M), result.stderr
    line = error_line(result.stderr)
    assert "No such option" in line and "--qualty" in line and suggests(line, "--quality"), line
    assert not (tmp_path / "root").exists()


def test_a_misspelt_output_option_is_named_not_reported_as_a_missing_one(tmp_path, capsys):
    line = refused(capsys, "cook", "--ouput", str(tmp_path / "x"), str(tmp_path / "a_albedo.png"))
    assert "No such option" in line and "--ouput" in line and suggests(line, "--output"), line
    assert "Missing" not in line and "required" not in line, line


def test_a_misspelt_command_is_named_with_the_command_it_may_mean():
    result = run_oxcook("cokk", "src", "-o", "out", timeout=60)
    assert result.returncode == 2, result.stderr
    assert re.search(r"^Usage: oxcook ", result.stderr, re.M), result.stderr
    line = error_line(result.stderr)
    assert "No such command" in line and "cokk" in line, line
    assert "Did you mean" in result.stderr and re.search(r"\bcook\b", result.stderr.split("Did you mean", 1)[1]), result.stderr


@pytest.mark.parametrize("abbreviated", [("--qual", "fast"), ("--out", "elsewhere"), ("--prio", "high"), ("--verb",)])
def test_an_abbreviated_option_is_refused_not_guessed(tmp_path, capsys, abbreviated):
    line = refused(capsys, *cook_args(tmp_path, *abbreviated))
    assert "No such option" in line and abbreviated[0] in line, line
    assert not (tmp_path / "root").exists()


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "Usage: oxcook " in capsys.readouterr().err


# --- bad values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, option, choices",
    [
        (("--quality", "fastest"), "--quality", ("fast", "default", "balanced", "high", "best")),
        (("--filter", "cubic"), "--filter", ("box", "kaiser", "lanczos")),
        (("--progress", "fancy"), "--progress", ("auto", "bar", "lines", "none")),
        (("--priority", "urgent"), "--priority", ("high", "normal", "low")),
        (("--log-format", "xml"), "--log-format", ("text", "json")),
    ],
)
def test_a_bad_choice_lists_the_valid_ones(tmp_path, capsys, argv, option, choices):
    line = refused(capsys, *cook_args(tmp_path, *argv))
    assert f"{option}:" in line and repr(argv[1]) in line and all(repr(c) in line for c in choices), line


@pytest.mark.parametrize(
    "argv, option, choices",
    [
        (("cache", "verify", "--tier", "remote"), "--tier", ("local", "shared")),
        (("cache", "shrink"), "", ("stats", "prune", "clear", "verify")),
        (("inspect", "root", "--progress", "fancy"), "--progress", ("auto", "bar", "lines", "none")),
        (("worker", "--loglevel", "LOUD"), "--loglevel", ("DEBUG", "INFO", "WARNING", "ERROR")),
    ],
)
def test_a_bad_choice_of_another_command_lists_the_valid_ones(capsys, argv, option, choices):
    line = refused(capsys, *argv)
    assert f"{option}:" in line and all(repr(c.lower()) in line.lower() for c in choices), line  # --loglevel ignores case


@pytest.mark.parametrize(
    "argv, says",
    [
        (("--workers", "0"), "--workers: must be at least 1, not 0"),
        (("--workers", "lots"), "--workers: 'lots' is not a whole number"),
        (("--window", "-4"), "--window: must be at least 1, not -4"),
        (("--split-above", "lots"), "--split-above: 'lots' is not a pixel count (WIDTHxHEIGHT, a number with K or M, or 0)"),
        (("--memory-budget", "lots"), "--memory-budget: 'lots' is not a size (bytes, or with K, M, G or T)"),
        (("--cache-max-size", "10Q"), "--cache-max-size: '10Q' is not a size"),
        (("--source-key", "nope"), "--source-key: 'nope' is not a UUID"),
        (("--source-key", str(uuid.UUID(int=0x4000_0000_0000_4000_8000_0000_0000_0000))), "is not a UUIDv7 (the engine's source key rule, spec §1.6)"),
        (("--verify-results", "2"), "--verify-results: must be between 0 and 1, not 2"),
        (("--cache-verify", "half"), "--cache-verify: 'half' is not a number"),
        (("--min-psnr", "nan"), "--min-psnr: must be a number, not nan"),
        (("--lock-timeout", "-3"), "--lock-timeout: must be 0 or more seconds, not -3"),
        (("--stall-timeout", "soon"), "--stall-timeout: 'soon' is not a number"),
        (("--compact", "1.5"), "--compact: must be between 0 and 1, not 1.5"),
    ],
)
def test_a_bad_cook_value_is_one_line_naming_option_and_value(tmp_path, capsys, argv, says):
    line = refused(capsys, *cook_args(tmp_path, *argv))
    assert says in line, line
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize(
    "argv, says",
    [
        (("cache", "verify", "--fraction", "2"), "--fraction: must be between 0 and 1, not 2"),
        (("cache", "prune", "--max-size", "big"), "--max-size: 'big' is not a size"),
        (("repair", "root", "--lock-timeout", "-1"), "--lock-timeout: must be 0 or more seconds, not -1"),
        (("compact", "root", "--lock-timeout", "x"), "--lock-timeout: 'x' is not a number"),
        (("inspect", "root", "--mip", "top"), "--mip: 'top' is not a whole number"),
        (("inspect", "root", "--json", "--html", "page"), "--json and --html: give only one of them"),
        (("inspect", "root", "--verify", "--no-hashes"), "--verify and --no-hashes: give only one of them"),
    ],
)
def test_a_bad_value_of_another_command_is_one_line_naming_option_and_value(capsys, argv, says):
    assert says in refused(capsys, *argv)


@pytest.mark.parametrize(
    "argv, says",
    [
        (("--concurrency", "0"), "--concurrency: must be at least 1, not 0"),
        (("--concurrency", "-3"), "--concurrency: must be at least 1, not -3"),
        (("--concurrency", "lots"), "--concurrency: 'lots' is not a whole number"),
        (("--autoscale", "3,9"), "--autoscale: '3,9': expected 1 <= MAX and 0 <= MIN <= MAX"),
        (("--max-dimension", "-5"), "--max-dimension: must be at least 1, not -5"),
        (("--memory-budget", "lots"), "--memory-budget: 'lots' is not a size"),
        (("--loglevel", "LOUD"), "--loglevel: 'LOUD' is not one of"),
        (("--broker", "http://farm:6379/0"), "oxcook worker: broker URL 'http://farm:6379/0': unknown scheme 'http'; known schemes: local, redis, rediss"),
    ],
)
def test_worker_options_are_checked_before_a_worker_starts(argv, says):
    result = run_oxcook("worker", *argv, env=DEAD_BROKER, timeout=60)
    assert result.returncode == 2, result.stderr[-3000:]
    assert says in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]
    assert len([line for line in result.stderr.splitlines() if says in line]) == 1, result.stderr


# --- help and version ---------------------------------------------------------------------------------


def test_every_command_has_a_one_line_summary(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: oxcook ") and "--version" in out
    for name in COMMANDS:
        (line,) = [line for line in out.splitlines() if re.match(rf"\s+{name}\s", line)]
        summary = line.split(name, 1)[1].strip()
        assert len(summary.split()) >= 3 and not summary.endswith("..."), line


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_its_help(capsys, name):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: oxcook {name} ") and "-h, --help" in out, out


def test_the_cook_help_keeps_its_epilog_as_written(capsys):
    from oxcook.coordinator.cli._cook import EPILOG

    assert main(["cook", "-h"]) == 0
    out = capsys.readouterr().out
    for line in EPILOG.splitlines():
        assert line.rstrip() in out.splitlines() or not line.strip(), line
    for section in ("Cook cache", "What CI reads"):
        assert re.search(rf"^{section}\b.*:$", out, re.M), out


# --- shell completion ---------------------------------------------------------------------------------


def complete(words: str) -> list[str]:
    """Click's bash protocol: what ``oxcook`` offers for the last of ``words`` (``type,value`` lines)."""
    env = {**os.environ, "_OXCOOK_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    result = subprocess.run([sys.executable, "-m", "oxcook"], capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()


def test_the_bash_completion_script_is_printed():
    env = {**os.environ, "_OXCOOK_COMPLETE": "bash_source"}
    result = subprocess.run([sys.executable, "-m", "oxcook"], capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    assert "_OXCOOK_COMPLETE=bash_complete" in result.stdout and re.search(r"^\s*complete .*oxcook$", result.stdout, re.M), result.stdout


def test_the_shell_completes_commands_options_and_choices():
    assert sorted(complete("oxcook co")) == ["plain,compact", "plain,cook"]
    assert complete("oxcook cook --qua") == ["plain,--quality"]
    assert complete("oxcook cook --qu") == ["plain,--quality", "plain,--quiet"]
    assert complete("oxcook cook --quality ") == [f"plain,{q}" for q in ("fast", "default", "balanced", "high", "best")]
    assert "file," in complete("oxcook cook ")
