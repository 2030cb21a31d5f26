"""One encode per hop on the farm: a worker that publishes what it cooks to the shared tier encodes the
result once, and the bytes it hands the coordinator are the bytes the shared tier keeps."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
import redis

from oxcook.worker.cache import FolderTier, read_entry
from oxcook.worker.cook import preset_desc
from oxcook.worker.farm import celery_app, keys
from oxcook.worker.wire import TextureResult, TextureWork, WorkRef, decode, encode
from tests.farm_fixtures import RedisServer
from tests.helpers import png_bytes

CACHE_KEY = "ab" * 32


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def test_a_publishing_farm_worker_encodes_its_result_once(tmp_path, server, monkeypatch):
    monkeypatch.setenv("OXCOOK_SHARED_CACHE", str(tmp_path / "shared"))
    monkeypatch.setenv("OXCOOK_WORKER_PUBLISHES_CACHE", "1")
    celery_app._shared_tier.cache_clear()
    store = redis.Redis.from_url(server.url)
    source = png_bytes(np.random.default_rng(9).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    work = TextureWork("k1", "wall_albedo.png", preset_desc("albedo", "wall_albedo.png"), job="j", sources=(source,), cache_key=CACHE_KEY)
    store.set(keys.work("j", "k1"), encode(work))
    holder = "w1@farm/0123"
    assert celery_app._start(store, "j", "k1", holder) == 1

    made: list[bytes] = []
    packb = msgpack.packb
    monkeypatch.setattr(msgpack, "packb", lambda *a, **k: made.append(packb(*a, **k)) or made[-1])
    try:
        result = celery_app._attempt(store, "j", WorkRef(TextureWork, "k1", "wall_albedo.png"), work, 1, "w1@farm", holder)
        celery_app._finish(store, "j", "k1", result, holder)
    finally:
        celery_app._shared_tier.cache_clear()
    payload = result.cooked.payload
    assert sum(payload in data for data in made) == 1

    published = store.get(keys.result("j", "k1"))
    assert decode(published).lease == holder and decode(published).cooked.payload == payload
    entry = FolderTier(tmp_path / "shared").get(CACHE_KEY)
    assert entry.endswith(published)
    kept = read_entry(entry, CACHE_KEY, TextureResult)
    assert (kept.cooked_by, kept.result.key, kept.result.lease, kept.result.cooked.payload) == ("w1@farm", CACHE_KEY, "", payload)
