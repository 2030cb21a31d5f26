"""A farm that tells the truth — Flower sees the workers and counts failures, `celery inspect`
answers, a job with no worker ends in seconds (exit 3, Redis clean), credentials are never printed.

Real redis-server, real `oxcook worker` processes, real Flower, the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import redis
from PIL import Image

from tests.farm_fixtures import REPO, CeleryWorker, Flower, RedisServer, free_port, run_oxcook, wait_until


def cook(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", *args, timeout=timeout)


def oxcook_keys(url: str) -> list[bytes]:
    return [k for k in redis.Redis.from_url(url).scan_iter(match="oxcook:*") if not k.startswith(b"oxcook:blob:")]


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("truth")
    server = RedisServer(tmp)
    worker = CeleryWorker(server.url, "truth", tmp / "worker.log")
    yield server.url, tmp
    worker.stop()
    server.stop()


def test_flower_sees_the_workers_and_counts_failed_textures_as_failed(farm, tmp_path):
    url, tmp = farm
    flower = Flower(url)
    get = flower.get

    def workers() -> dict:
        try:
            return json.loads(get("/api/workers?refresh=1"))
        except OSError:
            return {}

    try:
        wait_until(lambda: bool(workers()), 60, "flower to list the worker")  # a worker that refused json control messages would list as {}
        src = tmp_path / "src"
        src.mkdir()
        for i in range(3):
            (src / f"broken{i}_albedo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))

        def failed() -> list:
            tasks = json.loads(get("/api/tasks")).values()
            return [t for t in tasks if t.get("name") == "oxcook.cook_texture" and t.get("state") == "FAILURE"]

        wait_until(lambda: cook(str(src), "-o", str(tmp_path / f"r{time.monotonic_ns()}"), "--broker", url).returncode == 1 and len(failed()) >= 3, 90, "flower to see failures")
        assert any("texture-" in (t.get("exception") or "") for t in failed())
        metrics = get("/metrics").decode()
        assert 'type="task-failed"' in metrics
    finally:
        flower.stop()


def test_celery_inspect_answers(farm):
    url, _ = farm
    proc = subprocess.run([sys.executable, "-m", "celery", "-A", "oxcook.worker.farm.celery_app", "inspect", "active", "--timeout", "5"], capture_output=True, text=True, cwd=REPO, timeout=60, env={**__import__("os").environ, "OXCOOK_BROKER_URL": url})
    assert proc.returncode == 0 and "truth@" in proc.stdout, proc.stdout + proc.stderr


def test_no_worker_listening_ends_in_seconds_with_exit_3(tmp_path):
    server = RedisServer(tmp_path)  # a broker and not one worker
    try:
        src = tmp_path / "a_albedo.png"
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
        start = time.monotonic()
        password_url = server.url  # the test server has no password; the message must still name the queue
        result = cook(str(src), "-o", str(tmp_path / "root"), "--broker", password_url, "--stall-timeout", "3")
        assert result.returncode == 3, result.stderr
        assert "no worker is consuming queue" in result.stderr and "oxcook worker --broker" in result.stderr
        assert time.monotonic() - start < 30
        assert oxcook_keys(server.url) == []
    finally:
        server.stop()


def test_broker_passwords_are_never_printed(tmp_path):
    src = tmp_path / "a_albedo.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
    port = free_port()  # nothing listens there
    result = cook(str(src), "-o", str(tmp_path / "root"), "--broker", f"redis://oxuser:s3cret-pw@127.0.0.1:{port}/0", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 3
    assert "s3cret-pw" not in result.stderr and "***" in result.stderr


def test_a_worker_survives_garbage_on_its_queue(farm, tmp_path):
    url, tmp = farm
    client = redis.Redis.from_url(url)
    client.lpush("celery", b"this is not json at all")
    client.lpush("celery", b'{"body": "!!!", "headers": {}, "content-type": "application/json", "content-encoding": "utf-8", "properties": {"delivery_tag": "x", "delivery_info": {"exchange": "", "routing_key": "celery"}}}')
    src = tmp_path / "a_albedo.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
    result = cook(str(src), "-o", str(tmp_path / "root"), "--broker", url, "--stall-timeout", "20")
    assert result.returncode == 0, result.stderr  # the same worker, still alive, cooked it
    assert b"discarded a message on the queue" in (tmp / "worker.log").read_bytes()


def test_a_farm_behind_an_acl_user_and_password_cooks(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--requirepass", "default-secret", "--user", "oxcook", "on", ">oxcook-secret", "~*", "&*", "+@all"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://oxcook:oxcook-secret@127.0.0.1:{port}/0"
    try:
        wait_until(lambda: subprocess.run(["redis-cli", "-p", str(port), "--user", "oxcook", "--pass", "oxcook-secret", "ping"], capture_output=True, text=True).stdout.strip() == "PONG", 10, "redis")
        worker = CeleryWorker(url, "acl", tmp_path / "worker.log")
        try:
            src = tmp_path / "a_albedo.png"
            Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
            ok = cook(str(src), "-o", str(tmp_path / "root"), "--broker", url)
            assert ok.returncode == 0, ok.stderr
            wrong = cook(str(src), "-o", str(tmp_path / "other"), "--broker", url.replace("oxcook-secret", "guess"))
            assert wrong.returncode == 3 and "guess" not in wrong.stderr and "oxcook-secret" not in wrong.stderr
        finally:
            worker.stop()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_job_whose_only_worker_is_killed_ends_with_exit_3_and_a_clean_redis(tmp_path):
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "doomed", tmp_path / "worker.log")
    try:
        src = tmp_path / "src"
        src.mkdir()
        for i in range(3):
            Image.fromarray(np.random.default_rng(i).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)).save(src / f"t{i}_albedo.png")
        cmd = [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "high", "--no-cache", str(src), "-o", str(tmp_path / "root"), "--broker", server.url, "--stall-timeout", "5"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=REPO)
        wait_until(lambda: b"received" in (tmp_path / "worker.log").read_bytes(), 60, "the worker to take a task")
        import os
        import signal

        os.killpg(worker.proc.pid, signal.SIGKILL)  # the whole worker machine, gone for good
        _, err = proc.communicate(timeout=150)
        assert proc.returncode == 3, err
        assert "no worker is consuming queue" in err
        assert time.monotonic() - start < 120  # lease (30 s) + stall timeout, not the 900 s task timeout
        assert oxcook_keys(server.url) == []
        assert "Traceback" not in err
    finally:
        worker.stop()
        server.stop()


def test_sigterm_on_the_farm_cancels_cleans_redis_and_keeps_the_root(farm, tmp_path):
    import signal

    url, tmp = farm
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)).save(src / f"t{i}_albedo.png")
    root = tmp_path / "root"
    first = src / "t0_albedo.png"
    assert cook(str(first), "-o", str(root), "--broker", url).returncode == 0
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".oxcook" not in p.parts)
    before_index = (root / "container.index.bin").read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "high", "--no-cache", str(src), "-o", str(root), "--broker", url],
        stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    wait_until(lambda: bool(oxcook_keys(url)), 60, "the job to reach the farm")
    proc.send_signal(signal.SIGTERM)  # what a CI runner sends on timeout
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    deadline = time.monotonic() + 30
    while oxcook_keys(url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert oxcook_keys(url) == []  # (the assertion shows any key left behind)
    assert (root / "container.index.bin").read_bytes() == before_index
    assert subprocess.run([sys.executable, "-m", "oxcook", "repair", str(root)], capture_output=True, cwd=REPO).returncode == 0
    assert sorted(p.relative_to(root) for p in root.rglob("*") if ".oxcook" not in p.parts) == before


def _flower_option(text: str, name: str) -> str:
    return next(word.split("=", 1)[1].strip("\"'],") for word in text.split() if word.startswith(f"--{name}="))


def test_flower_lists_each_task_with_its_texture(farm):
    url, _ = farm
    columns = _flower_option((REPO / "Procfile").read_text(), "tasks_columns")
    assert _flower_option((REPO / "docker-compose.yml").read_text(), "tasks_columns") == columns
    assert "args" in columns.split(",")  # a task's args end with its texture's source id
    flower = Flower(url, f"--tasks_columns={columns}")

    def page() -> str:
        try:
            return flower.get("/tasks").decode()
        except OSError:
            return ""

    try:
        wait_until(lambda: bool(page()), 60, "flower to serve its task page")
        html = page()
        for name in columns.split(","):  # Flower drops a slug it does not know: each must be a column of the page
            assert f'<th data-column="{name}">' in html, (name, html[:2000])
    finally:
        flower.stop()
