"""Where ``oxcook cook`` and ``oxcook worker`` take the broker URL from: ``--broker-file`` and
``$OXCOOK_BROKER_URL`` keep a password out of the process list; ``--broker`` with a password is warned
about. Real redis-server (with an ACL user), real ``oxcook`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.farm_fixtures import REPO, free_port, run_oxcook, wait_until

PASSWORD = "oxcook-s3cret"


class AclRedis:
    """A redis-server whose only usable user is ``oxcook`` with :data:`PASSWORD` (``extra`` ACL rules appended)."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.url = f"redis://oxcook:{PASSWORD}@127.0.0.1:{self.port}/0"
        rules = ["--user", "default", "off", "--user", "oxcook", "on", f">{PASSWORD}", "~*", "&*", "+@all", *extra]
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *rules], stdout=subprocess.DEVNULL)
        ping = ["redis-cli", "-p", str(self.port), "--user", "oxcook", "--pass", PASSWORD, "--no-auth-warning", "ping"]
        wait_until(lambda: subprocess.run(ping, capture_output=True, text=True).stdout.strip() == "PONG", 10, "redis-server")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _texture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "a_albedo.png"
    Image.fromarray(np.full((16, 16, 3), 120, np.uint8)).save(path)
    return path


def _url_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "broker-url"
    path.write_text(url + "\n")
    path.chmod(0o600)
    return path


def _command_lines(pgid: int) -> list[str]:
    """The command line of every process in group ``pgid``, as any user of the machine can read them."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except (OSError, ProcessLookupError):
                continue
    return lines


def test_a_worker_and_a_cook_read_the_broker_from_a_file_and_no_command_line_shows_the_password(tmp_path):
    server = AclRedis()
    url_file = _url_file(tmp_path, server.url)
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if k != "OXCOOK_BROKER_URL"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "oxcook", "worker", "--broker-file", str(url_file), "--concurrency", "1", "--hostname", "file@oxcook-test"],
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        env={**env, "OXCOOK_SOURCE_ROOTS": str(tmp_path)},
        cwd=REPO,
        start_new_session=True,
    )
    try:
        wait_until(lambda: b"ready." in log.read_bytes() or worker.poll() is not None, 60, "the worker")
        assert worker.poll() is None, log.read_text()[-3000:]
        lines = _command_lines(worker.pid)
        assert lines and all(PASSWORD not in line for line in lines) and any("--broker-file" in line for line in lines)
        result = run_oxcook("cook", str(_texture(tmp_path / "src")), "-o", str(tmp_path / "root"), "--progress", "none", "--broker-file", str(url_file), env={"OXCOOK_BROKER_URL": ""})
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr and PASSWORD not in result.stderr + result.stdout
        assert PASSWORD not in log.read_text()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        server.stop()


WARNING = "the broker URL given with --broker holds a password, which other users of this machine can read in the process list while this command runs"
ADVICE = "pass it in $OXCOOK_BROKER_URL or in a file named by --broker-file instead"


def test_a_password_in_a_cook_command_line_is_warned_about_and_never_printed(tmp_path):
    port = free_port()
    result = run_oxcook("cook", str(_texture(tmp_path / "src")), "-o", str(tmp_path / "root"), "--progress", "none", "--broker", f"redis://oxuser:{PASSWORD}@127.0.0.1:{port}/0")
    assert result.returncode == 3, result.stderr
    assert f"oxcook cook: warning: {WARNING}" in result.stderr and ADVICE in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_a_password_in_a_worker_command_line_is_warned_about_and_never_printed(tmp_path):
    server = AclRedis("-brpop")  # the worker starts, warns, and stops on the refused queue read: exit 3
    try:
        command = [sys.executable, "-m", "oxcook", "worker", "--broker", server.url, "--concurrency", "1", "--hostname", "warned@oxcook-test"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, env=os.environ)
        assert result.returncode == 3, result.stderr[-3000:]
        assert f"oxcook worker: warning: {WARNING}" in result.stderr and ADVICE in result.stderr
        assert PASSWORD not in result.stderr + result.stdout
    finally:
        server.stop()


@pytest.mark.parametrize("command", ["cook", "worker"])
@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", "No such file or directory"),
        ("empty", "holds no broker URL"),
        ("two-lines", "holds more than one line; expected one broker URL"),
        ("bad-url", "broker URL 'redis://u:***@127.0.0.1:1/abc': database 'abc' is not a number"),
    ],
)
def test_broker_file_problems_are_usage_errors_that_name_the_file(tmp_path, command, problem, message):
    url_file = tmp_path / "broker-url"
    contents = {"empty": "\n", "two-lines": f"redis://u:{PASSWORD}@127.0.0.1:1/0\nredis://127.0.0.1:2/0\n", "bad-url": f"redis://u:{PASSWORD}@127.0.0.1:1/abc\n"}
    if problem in contents:
        url_file.write_text(contents[problem])
    args = ["--broker-file", str(url_file)]
    if command == "cook":
        args = [str(_texture(tmp_path / "src")), "-o", str(tmp_path / "root"), "--progress", "none", *args]
    result = run_oxcook(command, *args, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"oxcook {command}: --broker-file {url_file}: {message}" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["cook", "worker"])
def test_broker_and_broker_file_together_are_a_usage_error(tmp_path, command):
    args = ["--broker-file", str(_url_file(tmp_path, "redis://127.0.0.1:1/0")), "--broker", "redis://127.0.0.1:2/0"]
    if command == "cook":
        args = [str(_texture(tmp_path / "src")), "-o", str(tmp_path / "root"), *args]
    result = run_oxcook(command, *args, timeout=60)
    assert result.returncode == 2 and "--broker and --broker-file: give only one of them" in result.stderr, result.stderr
