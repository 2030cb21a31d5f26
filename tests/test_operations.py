"""Operations files: docker-compose.yml validates; ``honcho start`` of the Procfile runs a farm that cooks, and
stops quietly (no traceback) on Ctrl-C or SIGTERM, even with tasks running."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
import redis
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.farm_fixtures import REPO, free_port, wait_until


def compose_command() -> list[str]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither 'docker compose' nor 'docker-compose' is installed")


def test_docker_compose_config_validates():
    cmd = compose_command() + ["-f", str(REPO / "docker-compose.yml"), "config", "-q"]
    ok = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "FLOWER_BASIC_AUTH": "ox:cook"}, timeout=60)
    assert ok.returncode == 0, ok.stderr
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    missing = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "FLOWER_BASIC_AUTH" in missing.stderr + missing.stdout


def start_honcho(log) -> tuple[subprocess.Popen, str, int]:
    """``honcho start`` of the Procfile on free ports, once its worker is ready: the process, the broker URL, Flower's port."""
    redis_port, flower_port = free_port(), free_port()
    url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**os.environ, "OXCOOK_REDIS_PORT": str(redis_port), "FLOWER_PORT": str(flower_port), "OXCOOK_BROKER_URL": url, "FLOWER_BASIC_AUTH": "ox:cook"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(REPO / "Procfile")],
        cwd=REPO,
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until(lambda: b"ready." in log.read_bytes() or honcho.poll() is not None, 90, "the honcho worker")
    assert honcho.poll() is None, log.read_text()[-3000:]
    return honcho, url, flower_port


def stop_honcho(honcho: subprocess.Popen) -> None:
    if honcho.poll() is None:
        os.killpg(honcho.pid, signal.SIGTERM)
    try:
        honcho.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(honcho.pid, signal.SIGKILL)
        honcho.wait(timeout=10)


def test_honcho_procfile_runs_a_farm(tmp_path, shared_assets):
    log = tmp_path / "honcho.log"
    honcho, url, flower_port = start_honcho(log)
    try:
        cooked = subprocess.run(
            [sys.executable, "-m", "oxcook", "cook", str(shared_assets / "images/png"), "-o", str(tmp_path / "root"), "--broker", url, "--progress", "none"],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=REPO,
        )
        assert cooked.returncode == 0, cooked.stderr
        assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
        assert redis.Redis.from_url(url).keys("oxcook:*") == []

        def flower_up() -> bool:
            request = urllib.request.Request(
                f"http://127.0.0.1:{flower_port}/api/workers", headers={"Authorization": "Basic " + base64.b64encode(b"ox:cook").decode()}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(flower_up, 60, "flower")
    finally:
        stop_honcho(honcho)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_honcho_stops_quietly_with_tasks_running(tmp_path, signum):
    """Ctrl-C in honcho's terminal (SIGINT to honcho) or a supervisor's SIGTERM: honcho sends SIGTERM to each
    process group at once — redis, the worker and its pool processes with their tasks half done, Flower."""
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(3)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (2048, 2048, 4), dtype=np.uint8)).save(src / f"noise{i}_albedo.png", compress_level=1)
    log = tmp_path / "honcho.log"
    honcho, url, _ = start_honcho(log)
    cook = None
    try:
        command = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(tmp_path / "root"), "--broker", url, "--quality", "high", "--progress", "none"]
        cook = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        ready = log.read_bytes().index(b"ready.")
        wait_until(lambda: log.read_bytes().count(b"oxcook.cook_texture[", ready) >= 2, 120, "both tasks received")  # the pool's two processes at work
        honcho.send_signal(signum)
        honcho.wait(timeout=30)
    finally:
        stop_honcho(honcho)
        if cook is not None:
            cook.kill()
            cook.wait(timeout=30)
    text = log.read_text()
    assert "worker.1 stopped" in text, text[-3000:]
    assert "Traceback" not in text, text[text.index("Traceback") - 500 :][:3000]

