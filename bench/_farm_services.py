"""A private redis-server and ``oxcook worker`` processes for the farm benchmark (no pytest, no test code).

Both are started with the product's own entry points and stopped (with their
process groups) when the ``with`` block ends; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bounded_wait(ready, seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > end:
            raise SystemExit(f"{what} did not start within {seconds} s")
        time.sleep(0.1)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the farms' ``finally``: their workers are stopped


@contextlib.contextmanager
def farm(tmp: Path, workers: int, *worker_args: str):
    """Yield the broker URL of a fresh redis-server with ``workers`` single-process oxcook workers on it
    (``worker_args``: more options for each, e.g. ``--source-root DIR``).

    A benchmark ended with SIGTERM or SIGHUP stops them too (they run in sessions of their own, so no signal
    of the benchmark's terminal reaches them)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _exit_on_sigterm)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    procs = [subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""], stdout=subprocess.DEVNULL, start_new_session=True)]
    try:
        ping = lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG"  # noqa: E731
        _bounded_wait(ping, 10, "redis-server")
        env = {**os.environ, "OXCOOK_BROKER_URL": url}
        for i in range(workers):
            log = tmp / f"worker{i}.log"
            cmd = [sys.executable, "-m", "oxcook", "worker", "--concurrency", "1", "--hostname", f"bench{i}@oxcook", "--loglevel", "INFO", *worker_args]
            procs.append(subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True))
            _bounded_wait(lambda: b"ready." in log.read_bytes() or procs[-1].poll() is not None, 60, f"worker {i}")
        yield url
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
