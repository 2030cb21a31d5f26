"""Results coming back from the farm: taken in bounded batches, in completion order.

Real redis-server, the real backend and its script; no worker (results are put where workers put them).
"""

from __future__ import annotations

import asyncio

import pytest
import redis

from oxcook.coordinator.backends._farm_backend import FarmBackend
from oxcook.coordinator.backends._farm_intake import _TAKE_BYTES
from oxcook.worker.farm import keys
from tests.farm_fixtures import RedisServer


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def test_one_take_of_results_holds_a_few_tens_of_megabytes_and_the_rest_wait_in_order(server):
    # twelve 2048² payloads finishing together: taking all in one reply (~100 MB) outlasts a read timeout on a
    # loaded broker; the reader takes what fits, and the others stay on the job's done list, in order
    client = redis.Redis.from_url(server.url)
    size = 8 * 2**20
    names = [f"j:{k}" for k in range(12)]
    for name in names:
        client.set(keys.result("j", name), bytes(size))
        client.rpush(keys.done("j"), name)

    async def main() -> list[tuple[bool, int]]:
        backend = FarmBackend(server.url)
        job = backend._job("j")
        takes = []
        more = True
        while more:
            more, _ = await backend._intake.take(job, [], [])
            takes.append((more, client.llen(keys.done("j"))))
        await backend.forget_job("j")
        await backend.close()
        return takes

    takes = asyncio.run(asyncio.wait_for(main(), 60))
    per_take = -(-_TAKE_BYTES // size)
    assert [left for _, left in takes] == [max(0, 12 - per_take * (k + 1)) for k in range(len(takes))]
    assert [more for more, _ in takes][-1] is False and all(more for more, _ in takes[:-1])
