"""Many build agents, one farm: a small job is not held behind a big one's backlog, and cancelling one job
leaves every other job's tasks and keys alone.

Real redis-server, two real ``oxcook worker`` processes, the real CLI; every wait is bounded. Times are
compared as ratios measured in the same test, on the same farm.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import redis

from oxcook import formats as f
from oxcook.coordinator.backends._fairness import task_priority
from oxcook.worker.farm import keys
from tests.farm_fixtures import REPO, CeleryWorker, RedisServer, run_oxcook, wait_until
from tests.helpers import png_bytes, snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))
TIMEOUT = 240
SIDE = 256  # a texture of a task of its own that cooks in tens of milliseconds at default quality


def sources(folder: Path, count: int, seed: int) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        (folder / f"t{seed}_{i:03d}_albedo.png").write_bytes(png_bytes(rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)))
    return folder


def cook_args(src: Path, root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--no-cache", "--source-key", KEY, str(src), "-o", str(root), *args]


def start_cook(src: Path, root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(cook_args(src, root, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=os.environ.copy())


def local_cook(src: Path, root: Path) -> dict[str, bytes]:
    result = run_oxcook(*cook_args(src, root, "--workers", "2")[3:], timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    return snapshot(root)


def timed_cook(src: Path, root: Path, *args: str) -> float:
    started = time.perf_counter()
    result = run_oxcook(*cook_args(src, root, *args)[3:], timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    return time.perf_counter() - started


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=TIMEOUT)
    assert "Traceback" not in err, err
    return proc.returncode, err


def queued_by_level(client: redis.Redis) -> list[int]:
    """Messages waiting on the default queue at each priority level."""
    return [client.llen("celery" if p == 0 else f"celery{keys.PRIORITY_SEP}{p}") for p in keys.PRIORITY_STEPS]


def queued_tasks(client: redis.Redis) -> int:
    """Messages waiting on the default queue, over all its priority levels."""
    return sum(queued_by_level(client))


def jobs_with_work(client: redis.Redis) -> set[str]:
    """The jobs that have work items in Redis (``oxcook:work:<job>:<key>``)."""
    start = len(keys.work("", "")) - 1
    return {k.decode()[start:].rsplit(":", 1)[0] for k in client.scan_iter(match=keys.work("*", "*"))}


def job_keys(client: redis.Redis, job: str) -> list[bytes]:
    return list(client.scan_iter(match=keys.job_pattern(job)))


@pytest.fixture
def farm(tmp_path):
    server = RedisServer(tmp_path)
    workers = [CeleryWorker(server.url, f"fair{i}", tmp_path / f"fair{i}.log") for i in range(2)]
    yield server
    for worker in workers:
        worker.stop()
    server.stop()


def test_a_job_first_tasks_rank_before_a_long_backlog_and_release_builds_rank_higher():
    assert [task_priority(n) for n in (0, 1, 2, 3, 4, 7, 8, 63, 255)] == [0, 1, 2, 2, 3, 3, 4, 6, 8]
    assert task_priority(10_000) == keys.PRIORITY_STEPS[-1]
    assert task_priority(63, "high") < task_priority(63) < task_priority(63, "low")
    assert task_priority(0, "high") == keys.PRIORITY_STEPS[0]
    with pytest.raises(ValueError, match="urgent"):
        task_priority(0, "urgent")


def test_a_small_job_started_while_a_big_one_runs_finishes_within_three_times_its_solo_time(tmp_path, farm):
    big, small = sources(tmp_path / "big", 400, seed=1), sources(tmp_path / "small", 20, seed=2)
    client = redis.Redis.from_url(farm.url)
    timed_cook(small, tmp_path / "small-warm", "--broker", farm.url)  # every worker process has loaded its encoder
    solo = timed_cook(small, tmp_path / "small-solo", "--broker", farm.url)

    # a build agent feeding a large farm keeps a wide window: hundreds of its tasks wait on the queue
    running = start_cook(big, tmp_path / "big-farm", "--broker", farm.url, "--window", "256")
    try:
        wait_until(lambda: queued_tasks(client) >= 100 or running.poll() is not None, 120, "the big job's backlog")
        assert running.poll() is None, running.stderr.read()
        (big_job,) = jobs_with_work(client)
        shared = timed_cook(small, tmp_path / "small-shared", "--broker", farm.url)
        assert running.poll() is None  # the farm was busy with the big job the whole time
        # a job holds in Redis only its window of items: the sources of delivered ones are gone
        assert len(list(client.scan_iter(match=keys.blob(big_job, "*")))) <= 256
        assert len(list(client.scan_iter(match=keys.work(big_job, "*")))) <= 256
    finally:
        code, err = finish(running)
    assert code == 0, err

    print(f"small job: {solo:.2f} s alone, {shared:.2f} s beside the big one: {shared / solo:.2f}x")
    assert shared <= 3 * solo, f"the small job took {shared:.1f} s beside the big one, {shared / solo:.1f}x its {solo:.1f} s alone"
    assert snapshot(tmp_path / "big-farm") == local_cook(big, tmp_path / "big-local")
    reference = local_cook(small, tmp_path / "small-local")
    assert snapshot(tmp_path / "small-shared") == reference
    assert snapshot(tmp_path / "small-solo") == reference
    assert [k for k in client.scan_iter(match=f"{keys.PREFIX}*")] == []


def test_cancelling_one_job_leaves_another_jobs_tasks_and_keys_and_it_completes(tmp_path, farm):
    doomed = sources(tmp_path / "doomed", 300, seed=3)
    kept = tmp_path / "kept"
    kept.mkdir()
    for path in sorted(doomed.iterdir())[:120]:  # the same sources: the two jobs upload the same bytes
        (kept / path.name).write_bytes(path.read_bytes())
    client = redis.Redis.from_url(farm.url)

    first = start_cook(doomed, tmp_path / "doomed-farm", "--broker", farm.url, "--window", "256", "--priority", "low")
    second = None
    try:
        wait_until(lambda: queued_tasks(client) >= 50 or first.poll() is not None, 120, "the first job's backlog")
        levels = queued_by_level(client)
        assert levels[:2] == [0, 0] and sum(levels[2:]) >= 50, levels  # --priority low: two levels below a normal job's
        (doomed_job,) = jobs_with_work(client)
        second = start_cook(kept, tmp_path / "kept-farm", "--broker", farm.url, "--window", "32")
        wait_until(lambda: len(jobs_with_work(client)) == 2 or second.poll() is not None, 120, "the second job's work items")
        (kept_job,) = jobs_with_work(client) - {doomed_job}
        first.send_signal(signal.SIGTERM)
        code, _ = finish(first)
        assert code == 130
        assert second.poll() is None, "the second job must still be running when the first is cancelled"
        assert job_keys(client, kept_job)  # its work items, blobs and leases are still there
        # the cancelled job swept its own (a worker finishing one of its items stages a result and drops it at once)
        wait_until(lambda: job_keys(client, doomed_job) == [], 10, "the cancelled job's keys to go")
        assert not client.exists(keys.cancel(kept_job))
    finally:
        if first.poll() is None:
            first.kill()
        if second is not None:
            code, err = finish(second)
    assert code == 0, err
    assert snapshot(tmp_path / "kept-farm") == local_cook(kept, tmp_path / "kept-local")
    assert [k for k in client.scan_iter(match=f"{keys.PREFIX}*")] == []
