"""Real farm components for tests: a redis-server on a free port and Celery workers as subprocesses.

``REDIS_URL`` points the tests at an existing server instead. Every start is
bounded in time and every process is stopped at teardown.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.conftest import SHARED_ASSETS

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), 10, "redis-server")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


class CeleryWorker:
    """One ``oxcook worker`` subprocess (prefork, ``concurrency`` child processes); ``module`` runs another
    command line in its place (``tests.lying_worker``: a worker whose results are lies)."""

    def __init__(self, url: str, name: str, log: Path, concurrency: int = 1, env: dict | None = None, module: str = "oxcook") -> None:
        self.name = f"{name}@oxcook-test"
        self.log = log
        # shared-storage tests read the shared assets and pytest's temporary folders, nothing else
        roots = os.pathsep.join([str(SHARED_ASSETS), tempfile.gettempdir()])
        env = {**os.environ, "OXCOOK_BROKER_URL": url, "OXCOOK_TASK_TIMEOUT": "120", "OXCOOK_SOURCE_ROOTS": roots, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "worker", "--concurrency", str(concurrency), "--hostname", self.name, "--loglevel", "INFO"],
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        wait_until(lambda: b"ready." in log.read_bytes() or self.proc.poll() is not None, 60, f"worker {self.name}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited: {log.read_text()[-2000:]}")

    def child_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Flower:
    """A real Flower on a free port, behind basic auth ``ox:cook`` (``options``: more of its command line); ``get(path)`` returns the raw response body."""

    def __init__(self, url: str, *options: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", f"--broker={url}", "flower", f"--port={self.port}", "--address=127.0.0.1", "--basic-auth=ox:cook", *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        self._auth = {"Authorization": "Basic " + base64.b64encode(b"ox:cook").decode()}

    def get(self, path: str, timeout: float = 10) -> bytes:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=self._auth)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def run_oxcook(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m oxcook ARGS`` as a build pipeline runs it; no path of the CLI may end in a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "oxcook", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**os.environ, **(env or {})}
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result
