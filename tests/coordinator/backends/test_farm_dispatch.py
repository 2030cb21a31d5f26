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

