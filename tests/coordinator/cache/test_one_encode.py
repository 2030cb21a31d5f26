"""One encode per hop: a cooked payload is msgpack-encoded once by the worker that cooked it, and the cook
cache keeps those bytes as they arrived instead of encoding the result again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgpack
import numpy as np
import pytest

from oxcook.coordinator.cache import CacheSettings, CookCache
from oxcook.worker import run_in_pool_process
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import TextureResult, TextureWork, decode, encode
from tests.helpers import png_bytes


@pytest.fixture
def encodes(monkeypatch):
    """Every msgpack encoding made in this process, as its bytes."""
    made: list[bytes] = []
    packb = msgpack.packb

    def counted(*args, **kwargs):
        made.append(packb(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(msgpack, "packb", counted)
    return made


@pytest.fixture(autouse=True)
def _roots(monkeypatch, tmp_path):
    monkeypatch.setenv("OXCOOK_SOURCE_ROOTS", str(tmp_path))  # as the local pool's processes read their coordinator's files


def _work(folder: Path) -> TextureWork:
    path = folder / "wall_albedo.png"
    path.write_bytes(png_bytes(np.random.default_rng(5).integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    return TextureWork("job:1", "wall_albedo.png", preset_desc("albedo", "wall_albedo.png"), job="job", paths=(str(path),))


def test_a_local_cook_with_a_cache_encodes_its_payload_once_per_hop(tmp_path, encodes):
    work = _work(tmp_path)
    message = encode(work)

    # hop 1: the pool process cooks the item and hands back its result (what the local backend runs)
    encodes.clear()
    data = run_in_pool_process(message, str(tmp_path / "cancel"))
    result = decode(data, expect=TextureResult)
    payload = result.cooked.payload
    assert len(payload) > 1000
    assert sum(payload in made for made in encodes) == 1

    # hop 2: the coordinator keeps it in the cache: the bytes that arrived, not a new encoding
    cache = CookCache(CacheSettings(local=tmp_path / "cache"))
    key = cache.key_for(work)
    encodes.clear()
    cache.store(work, key, result, recipe=None)
    assert sum(payload in made for made in encodes) == 0
    [entry] = (tmp_path / "cache" / "entries").rglob("*.oxc")
    assert data in entry.read_bytes()

    # and it serves the next cook of the same source as it is: kept under its cache key (the cook places it under its own id)
    again = TextureWork("job2:1", "wall_albedo.png", work.desc, job="job2", paths=work.paths)
    lookup = cache.lookup(again, key)
    assert lookup.status == "hit" and lookup.result.key == key.digest and lookup.result.cooked.payload == payload
    assert (lookup.result.lease, lookup.result.cook_ms) == ("", 0.0)


def test_an_entry_of_an_older_frame_is_a_miss_that_says_so(tmp_path):
    work = _work(tmp_path)
    cache = CookCache(CacheSettings(local=tmp_path / "cache"))
    key = cache.key_for(work)
    result = decode(run_in_pool_process(encode(work), str(tmp_path / "cancel")), expect=TextureResult)
    cache.store(work, key, result)
    [entry] = (tmp_path / "cache" / "entries").rglob("*.oxc")
    rest = entry.read_bytes()[37:]
    entry.write_bytes(b"OXCE" + bytes([2]) + hashlib.sha256(rest).digest() + rest)  # the same entry, framed as version 2

    lookup = CookCache(CacheSettings(local=tmp_path / "cache")).lookup(work, key)
    assert (lookup.status, lookup.result, lookup.reason) == ("miss", None, "entry of an older format")
    assert not entry.exists()  # dropped: the cook that follows writes it again in the current frame
