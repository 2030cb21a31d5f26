"""No work done twice on the farm: an item whose result was delivered is never run again, and an item
that is no longer wanted stops at its next check instead of cooking on for nobody.

The race that matters: the coordinator checks leases in the same turn it delivers a result, finds the
finished item's lease gone and its result taken, and must not take the worker for lost and publish the
item again (a second worker would cook a whole 8192² part for nothing, on the cores the job's other part
needs); and a one-worker farm must not go on cooking a whole texture after its job has ended.

Real redis-server, the backend's and the worker's own Redis scripts, a real cook.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import types

import numpy as np
import pytest
import redis

from oxcook.coordinator.backends import _farm_intake
from oxcook.coordinator.backends._farm_backend import FarmBackend
from tests.farm_fixtures import RedisServer, wait_until
from tests.helpers import png_bytes
from oxcook.worker.farm import celery_app, keys
from oxcook.worker.cook import preset_desc
from oxcook.worker import run_work
from oxcook.worker.wire._messages import TextureWork, WorkRef, encode


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def png(size: int) -> bytes:
    return png_bytes(np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8))


def test_an_item_delivered_as_leases_are_checked_is_not_published_again(server, monkeypatch):
    monkeypatch.setattr(_farm_intake, "_LEASE_CHECK_S", 0.0)  # leases checked in every turn of the reader, the turn that delivers a result too
    checks: list[int] = []  # one entry per lease check of the reader
    check_leases = _farm_intake.Intake._check_leases

    async def counted_check(self, job):
        await check_leases(self, job)
        checks.append(len(checks))

    monkeypatch.setattr(_farm_intake.Intake, "_check_leases", counted_check)
    store = redis.Redis.from_url(server.url)
    source = png(64)

    async def checked(more: int, what: str) -> None:
        """Until the reader has checked leases ``more`` times from now."""
        until = len(checks) + more
        for _ in range(1000):
            if len(checks) >= until:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the reader checked leases {len(checks)} times, waiting for {until}: {what}")

    async def main() -> int:
        backend = FarmBackend(server.url)
        queue = backend._app.conf.task_default_queue
        work = TextureWork("j:1", "a_albedo.png", preset_desc("albedo", "a_albedo.png"), job="j", sources=(source,))
        future = backend.submit(work)
        await asyncio.to_thread(wait_until, lambda: store.llen(queue) == 1, 10, "the item to be published")
        assert celery_app._start(store, "j", "j:1", "test@worker") == 1  # what a worker does when it takes the item
        await checked(2, "a lease check begun after the start, to see the item running")
        assert backend._jobs["j"].pending["j:1"].started
        result = run_work(work)
        assert result.ok
        celery_app._finish(store, "j", "j:1", result, "test@worker")  # result stored, key pushed, lease kept for the coordinator's check: one script
        assert not store.keys(keys.staged("j", "j:1", "*"))  # the staged result was renamed to the result key
        delivered = await asyncio.wait_for(future, 10)
        assert delivered.ok and delivered.cooked.payload == result.cooked.payload
        await checked(3, "more turns of the reader after the delivery, each checking leases")
        published = store.llen(queue)
        await backend.forget_job("j")
        await backend.close()
        return published

    assert asyncio.run(main()) == 1  # 2 would mean the delivered item was published again and a worker cooked it twice


@pytest.fixture
def worker_store(server, monkeypatch):
    store = redis.Redis.from_url(server.url)
    monkeypatch.setattr(celery_app, "_redis", store)  # the worker's Redis is this server
    return store


def stopped_mid_cook(store: redis.Redis, monkeypatch, stop) -> tuple[list, list]:
    """Item ``j:1`` of job ``j`` run as a worker process runs it (``_run_stored``, on a thread), with ``stop(store)``
    called once its cook has started: the results its cook returned, and what the task raised."""
    work = TextureWork("j:1", "big_albedo.png", preset_desc("albedo", "big_albedo.png"), job="j", sources=(png(4096),))
    store.set(keys.work("j", "j:1"), encode(work))
    results: list = []
    errors: list[BaseException] = []
    cooking = threading.Event()

    def spy(w, cancel=None):
        cooking.set()
        results.append(run_work(w, cancel=cancel))
        return results[-1]

    def run() -> None:
        try:
            celery_app._run_stored(types.SimpleNamespace(request=types.SimpleNamespace(hostname="test@worker")), WorkRef(TextureWork, "j:1", work.source_id), "j")
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    monkeypatch.setattr(celery_app, "run_work_noting_output", spy)
    thread = threading.Thread(target=run)
    thread.start()
    assert cooking.wait(10)
    stop(store)
    thread.join(120)
    assert not thread.is_alive()
    return results, errors


def test_a_running_item_whose_job_no_longer_wants_it_stops_quietly(worker_store, monkeypatch):
    store = worker_store
    results, errors = stopped_mid_cook(store, monkeypatch, lambda s: s.delete(keys.work("j", "j:1")))  # its result came from another worker, or its job is over
    assert errors == []  # not a failure of this worker's: its task ends quietly (Flower counts no failure)
    assert [r.error.code for r in results] == ["texture-cancelled"]  # not a whole cook for nobody
    assert not store.exists(keys.result("j", "j:1")) and not store.exists(keys.done("j")) and not store.exists(keys.lease("j", "j:1"))
    assert not store.keys(keys.staged("j", "j:1", "*"))  # its staged result dropped too


def test_a_cancelled_item_still_ends_as_a_failure(worker_store, monkeypatch):
    store = worker_store
    results, errors = stopped_mid_cook(store, monkeypatch, lambda s: s.set(keys.cancel("j"), 1))  # the job is cancelled; its coordinator still waits for the answer
    assert [r.error.code for r in results] == ["texture-cancelled"]
    assert [type(e).__name__ for e in errors] == ["CookFailed"]
    assert store.exists(keys.result("j", "j:1"))


class _Interleaved:
    """The worker's Redis, except that a finish's pipeline sends its commands one by one with ``between()`` run
    after the first: another worker finishing the same item in the gap between staging and publishing."""

    def __init__(self, store: redis.Redis, between) -> None:
        self._store, self._between, self._queued = store, between, []

    def pipeline(self, transaction: bool = True):
        return self

    def set(self, *args, **kwargs):
        self._queued.append(("set", args, kwargs))

    def eval(self, *args, **kwargs):
        self._queued.append(("eval", args, kwargs))

    def execute(self) -> list:
        replies = []
        for i, (name, args, kwargs) in enumerate(self._queued):
            replies.append(getattr(self._store, name)(*args, **kwargs))
            if i == 0:
                self._between()
        return replies


def test_two_workers_finishing_one_item_at_once_both_end_cleanly(server):
    """A duplicate (after a lapsed lease) can finish while the first finisher, whose lease went to it, is between
    staging its result and publishing it: the lease holder's result is published, the other dropped, neither fails."""
    store = redis.Redis.from_url(server.url)
    work = TextureWork("j:1", "a_albedo.png", preset_desc("albedo", "a_albedo.png"), job="j", sources=(png(64),))
    store.set(keys.work("j", "j:1"), encode(work))
    result = run_work(work)
    assert celery_app._start(store, "j", "j:1", "second@worker/2") == 1  # the lease the first worker held lapsed; the second took it
    celery_app._finish(_Interleaved(store, lambda: celery_app._finish(store, "j", "j:1", result, "second@worker/2")), "j", "j:1", result, "first@worker/1")
    assert store.get(keys.result("j", "j:1")) == encode(dataclasses.replace(result, lease="second@worker/2"))
    assert store.lrange(keys.done("j"), 0, -1) == [b"j:1"]
    assert not store.keys(keys.staged("j", "j:1", "*"))
