"""Sending work to the farm: however many items a job has out at once, each is stored and published.

Real redis-server, the real backend; no worker (the items wait on the queue).
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import redis

from oxcook.coordinator.backends._farm_backend import FarmBackend
from oxcook.worker.cook import preset_desc
from oxcook.worker.farm import keys
from oxcook.worker.wire import TextureWork
from tests.farm_fixtures import RedisServer
from tests.helpers import png_bytes


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def test_a_window_of_hundreds_of_items_is_stored_and_published_whole(server):
    # a farm of a hundred processes wants a window of hundreds: every item stored at once must not run the
    # coordinator's Redis client out of connections (each waits for one instead)
    source = png_bytes(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    count = 300

    async def main() -> tuple[int, list[BaseException]]:
        backend = FarmBackend(server.url, window=count)
        desc = preset_desc("albedo", "a_albedo.png")
        # parts of a split texture: each has a task of its own, so each is stored by a command of its own
        futures = [backend.submit(TextureWork(f"j:{k}", f"t{k}_albedo.png", desc, job="j", sources=(source,), part=(0, 2))) for k in range(count)]
        client = redis.Redis.from_url(server.url)
        for _ in range(600):
            stored = sum(1 for _ in client.scan_iter(match=keys.work("j", "*"), count=1000))
            if stored == count or any(f.done() for f in futures):
                break
            await asyncio.sleep(0.05)
        failed = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
        await backend.forget_job("j")
        await backend.close()
        return stored, failed

    stored, failed = asyncio.run(asyncio.wait_for(main(), 120))
    assert failed == [] and stored == count



def test_forgetting_a_job_stops_its_reader_even_when_a_command_swallows_the_cancellation(server, monkeypatch):
    # the Redis client may finish a cancelled command as if nothing happened: the reader then goes on to its
    # next pop, and a job forgotten (cancelled, or finished) must not wait on it for ever
    from oxcook.coordinator.backends._farm_intake import Intake

    waits = []
    real_wait = Intake._wait

    async def swallowing_wait(self, done, spent):
        waits.append(done)
        try:
            return await real_wait(self, done, spent)
        except asyncio.CancelledError:
            return []

    monkeypatch.setattr(Intake, "_wait", swallowing_wait)
    source = png_bytes(np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8))

    async def main() -> float:
        backend = FarmBackend(server.url, window=4)
        desc = preset_desc("albedo", "a_albedo.png")
        backend.submit(TextureWork("j:0", "t0_albedo.png", desc, job="j", sources=(source,), part=(0, 2)))
        while not waits:  # the reader is waiting on the job's done list
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await backend.forget_job("j")
        took = loop.time() - start
        await backend.close()
        return took

    took = asyncio.run(asyncio.wait_for(main(), 60))
    assert took < 3.0, took  # a pop waits a second at most; the flag stops the reader at its next turn


def test_a_reader_that_outlives_its_grace_is_named_and_left_to_stop_on_its_own(server, monkeypatch, caplog):
    from oxcook.coordinator.backends import _farm_backend
    from oxcook.coordinator.backends._farm_intake import Intake

    monkeypatch.setattr(_farm_backend, "_READER_GRACE_S", 0.0)
    waiting = asyncio.Event()
    real_wait = Intake._wait

    async def swallowing_wait(self, done, spent):  # a command that finishes its pop whatever cancels it
        waiting.set()
        try:
            return await real_wait(self, done, spent)
        except asyncio.CancelledError:
            return await real_wait(self, done, [])

    monkeypatch.setattr(Intake, "_wait", swallowing_wait)
    source = png_bytes(np.random.default_rng(2).integers(0, 256, (16, 16, 3), dtype=np.uint8))

    async def main() -> bool:
        backend = FarmBackend(server.url, window=4)
        backend.submit(TextureWork("j:0", "t0_albedo.png", preset_desc("albedo", "a_albedo.png"), job="j", sources=(source,), part=(0, 2)))
        await asyncio.wait_for(waiting.wait(), 30)
        reader = backend._jobs["j"].reader
        await backend.forget_job("j")  # returns at once: the reader has had no time to stop
        stopped = not reader.done()
        await asyncio.wait_for(asyncio.gather(reader, return_exceptions=True), 10)  # and it does stop, on its next turn
        await backend.close()
        return stopped

    with caplog.at_level("WARNING", logger="oxcook.coordinator.backends._farm_backend"):
        assert asyncio.run(main())
    assert any("reader is still waiting" in r.getMessage() for r in caplog.records), caplog.text
