"""The worker's side of the farm protocol, against a real redis-server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import redis
from PIL import Image

from tests.farm_fixtures import REPO, CeleryWorker, RedisServer, free_port, run_oxcook, wait_until
from oxcook.worker.farm import celery_app, keys


def _exists_calls(store: redis.Redis) -> int:
    return store.info("commandstats").get("cmdstat_exists", {}).get("calls", 0)


def test_a_running_item_asks_redis_whether_it_is_still_wanted_at_most_once_a_poll_interval(tmp_path, monkeypatch):
    # A 64² texture polls ~10 times (every stage and batch of bands): 20 EXISTS were ~3 ms of its ~5 ms run.
    server = RedisServer(tmp_path)
    try:
        store = redis.Redis.from_url(server.url)
        store.set(keys.work("job", "k"), b"item")
        clock = [1000.0]
        monkeypatch.setattr(celery_app.time, "monotonic", lambda: clock[0])
        stop = celery_app._stop_check(store, "job", "k")  # made just after _start checked both keys
        assert not any(stop() for _ in range(50))
        assert _exists_calls(store) == 0
        clock[0] += celery_app.POLL_S
        assert not stop()
        asked = _exists_calls(store)
        assert asked == 2  # the cancel flag and the work key, in one round trip
        store.set(keys.cancel("job"), b"1")
        assert not stop()  # not asked again within the interval
        clock[0] += celery_app.POLL_S
        assert stop()
        store.delete(keys.cancel("job"), keys.work("job", "k"))  # over, or delivered by another worker
        clock[0] += celery_app.POLL_S
        assert stop()
        assert _exists_calls(store) == asked + 4
    finally:
        server.stop()


NOT_TASK_ENVELOPES = {
    "a JSON array": b"[1, 2, 3]",
    "a JSON number": b"42",
    "a body that is not base64": json.dumps(
        {
            "body": "abcde",
            "headers": {"task": "oxcook.cook_texture", "id": "x"},
            "content-type": "application/json",
            "content-encoding": "utf-8",
            "properties": {"delivery_tag": "x", "body_encoding": "base64", "delivery_info": {"exchange": "", "routing_key": "celery"}},
        }
    ).encode(),
}


def test_messages_that_are_not_a_task_envelope_are_rejected_and_the_same_worker_cooks_on(tmp_path):
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "garbage", tmp_path / "worker.log")
    try:
        client = redis.Redis.from_url(server.url)
        for message in NOT_TASK_ENVELOPES.values():
            client.lpush("celery", message)
        wait_until(lambda: client.llen("celery") == 0 or worker.proc.poll() is not None, 30, "the worker to take the messages")
        src = tmp_path / "a_albedo.png"
        Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(src)
        result = run_oxcook("cook", str(src), "-o", str(tmp_path / "root"), "--progress", "none", "--quality", "fast", "--broker", server.url, "--stall-timeout", "20")
        assert worker.proc.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        assert result.returncode == 0, result.stderr
        log = (tmp_path / "worker.log").read_text()
        assert "Unrecoverable error" not in log
        for why in NOT_TASK_ENVELOPES:
            assert f"discarded a message on the queue that is not a task envelope ({why})" in log
    finally:
        worker.stop()
        server.stop()


def test_a_worker_that_cannot_go_on_exits_non_zero(tmp_path):
    # an ACL user that may not pop the queue: the broker answers, so there is nothing to retry, and the worker stops
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--user", "oxcook", "on", ">oxcook-secret", "~*", "&*", "+@all", "-brpop"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG", 10, "redis")
        env = {**os.environ, "OXCOOK_BROKER_URL": f"redis://oxcook:oxcook-secret@127.0.0.1:{port}/0"}
        # Celery's own log of the error keeps its traceback, for whoever runs the farm
        command = [sys.executable, "-m", "oxcook", "worker", "--concurrency", "1", "--hostname", "denied@oxcook-test"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
        assert result.returncode == 3, result.stderr[-3000:]  # an infrastructure error: a supervisor's on-failure policy restarts it
        assert "oxcook worker: the worker stopped on an unrecoverable error" in result.stderr
        assert "oxcook-secret" not in result.stderr + result.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_worker_names_itself_oxcook_at_its_host(tmp_path):
    server = RedisServer(tmp_path)
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxcook", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=REPO, env={**os.environ, "OXCOOK_BROKER_URL": server.url},
    )  # fmt: skip
    try:
        wait_until(lambda: b"ready." in log.read_bytes() or proc.poll() is not None, 60, "the worker to start")
        assert f"oxcook@{socket.gethostname()}".encode() in log.read_bytes()
        assert b"celery@" not in log.read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.stop()


def test_a_bad_texture_logs_one_line_and_a_cancelled_job_no_revoke_warnings(tmp_path, shared_assets):
    import shutil
    import signal

    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "quiet", tmp_path / "worker.log")
    try:
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "broken_albedo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not a png at all" * 8)
        result = run_oxcook("cook", str(bad), "-o", str(tmp_path / "root1"), "--progress", "none", "--broker", server.url, "--stall-timeout", "30")
        assert result.returncode == 1, result.stderr
        wait_until(lambda: b"raised expected" in worker.log.read_bytes(), 30, "the worker to log the failure")
        log = worker.log.read_text()
        failure = [line for line in log.splitlines() if "raised expected" in line]
        assert len(failure) == 1 and "CookFailed" in failure[0], log[-3000:]
        assert "Traceback" not in log, log[-3000:]

        src = tmp_path / "many"
        src.mkdir()
        for i in range(8):
            shutil.copy(shared_assets / "gltf/WaterBottle/WaterBottle_baseColor.png", src / f"bottle{i}_albedo.png")
            with open(src / f"bottle{i}_albedo.png", "ab") as fh:
                fh.write(b"\0" * i)
        command = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(tmp_path / "root2"), "--progress", "lines", "--quality", "high", "--broker", server.url]
        before = len(worker.log.read_bytes())
        cook = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        for line in cook.stderr:  # the textures phase has begun ...
            if line.startswith("textures"):
                break
        wait_until(lambda: b"oxcook.cook_texture[" in worker.log.read_bytes()[before:], 60, "the worker to take a task")  # ... and tasks are queued behind the running one
        cook.send_signal(signal.SIGINT)
        rest = cook.stderr.read()
        assert cook.wait(timeout=120) == 130, rest
        wait_until(lambda: b"revoked" in worker.log.read_bytes() or b"Discarding revoked task" in worker.log.read_bytes(), 60, "the worker to hear of the revoke")
        log = worker.log.read_text()
        assert "Failed to mark task" not in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
    finally:
        worker.stop()
        server.stop()


def test_the_app_loads_the_cooker_only_in_a_worker_before_its_pool_starts():
    """A coordinator loads the app to publish tasks and never imports the cooker; a worker imports it at ``worker_init``,
    before its prefork pool forks, so no task imports it."""
    code = (
        "import sys\n"
        "from celery import signals\n"
        "import oxcook.worker.farm.celery_app\n"
        "cooker = ('oxcook.worker._captured_output', 'oxcook.worker._tasks', 'oxcook.worker.cook._stages', 'PIL')\n"
        "print(sorted(m for m in cooker if m in sys.modules))\n"
        "signals.worker_init.send(sender=None)\n"
        "print(sorted(m for m in cooker if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.stdout.splitlines() == ["[]", "['PIL', 'oxcook.worker._captured_output', 'oxcook.worker._tasks', 'oxcook.worker.cook._stages']"], out.stderr
