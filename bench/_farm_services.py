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


class Farm:
    """A running redis-server and the ``oxcook worker`` processes started on it so far (see :func:`farm`)."""

    def __init__(self, tmp: Path, url: str, procs: list[subprocess.Popen], env: dict[str, str]):
        self.tmp, self.url, self.procs, self.env = tmp, url, procs, env
        self.workers = 0  # worker slots: a process each, or a thread each of a threads-pool worker
        self._started = 0  # worker processes started

    def grow(self, total: int, *worker_args: str, module: str = "oxcook", seconds: float = 60.0, threads: int = 0) -> None:
        """Start workers (``python -m module worker …``) until ``total`` slots run, all at once, and wait until each
        says it is ready (``seconds`` at most, plus one more per worker started): single-process workers, or with
        ``threads`` workers of that many threads each (``module`` must take ``worker --threads N``)."""
        logs = []
        while self.workers < total:
            i = self._started
            log = self.tmp / f"worker{i}.log"
            width = ["--threads", str(min(threads, total - self.workers))] if threads else ["--concurrency", "1"]
            cmd = [sys.executable, "-m", module, "worker", *width, "--hostname", f"bench{i}@oxcook", "--loglevel", "INFO", *worker_args]
            self.procs.append(subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=self.env, cwd=REPO, start_new_session=True))
            logs.append((log, self.procs[-1]))
            self._started += 1
            self.workers += min(threads, total - self.workers) if threads else 1
        _bounded_wait(lambda: all(b"ready." in log.read_bytes() or proc.poll() is not None for log, proc in logs), seconds + len(logs), f"{len(logs)} workers")
        dead = [proc.args for _, proc in logs if proc.poll() is not None]
        if dead:
            raise SystemExit(f"a worker ended at start: {dead[0]}")


@contextlib.contextmanager
def farm_services(tmp: Path, **env: str):
    """Yield a :class:`Farm`: a fresh redis-server, no workers yet (``env``: more environment for the workers).

    A benchmark ended with SIGTERM or SIGHUP stops them too (they run in sessions of their own, so no signal
    of the benchmark's terminal reaches them)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _exit_on_sigterm)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    procs = [subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--maxclients", "10000"], stdout=subprocess.DEVNULL, start_new_session=True)]
    try:
        ping = lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG"  # noqa: E731
        _bounded_wait(ping, 10, "redis-server")
        yield Farm(tmp, url, procs, {**os.environ, "OXCOOK_BROKER_URL": url, **env})
    finally:  # the workers first, all at once (their warm shutdown talks to Redis), then the redis-server
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is _exit_on_sigterm:
                signal.signal(sig, signal.SIG_IGN)  # a second signal must not cut the stopping short (every wait is bounded)
        for group in (procs[1:], procs[:1]):
            for proc in group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            end = time.monotonic() + 30
            for proc in group:
                try:
                    proc.wait(timeout=max(0.1, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


@contextlib.contextmanager
def farm(tmp: Path, workers: int, *worker_args: str):
    """Yield the broker URL of a fresh redis-server with ``workers`` single-process oxcook workers on it
    (``worker_args``: more options for each, e.g. ``--source-root DIR``), started one after another.

    A benchmark ended with SIGTERM or SIGHUP stops them too."""
    with farm_services(tmp) as services:
        for i in range(workers):
            services.grow(i + 1, *worker_args)
        yield services.url
