"""The worker's side of the farm protocol, against a real redis-server."""

from __future__ import annotations

import redis

from tests.farm_fixtures import RedisServer
from oxcook.worker import celery_app
from oxcook.worker import farm_keys as keys


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
