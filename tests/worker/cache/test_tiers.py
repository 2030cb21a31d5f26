"""The folder tier reads only what can be an entry it wrote: a regular file, not a link, within the size cap."""

from __future__ import annotations

import os

import pytest
import redis

from oxcook.worker.cache import MAX_ENTRY_BYTES, FolderTier, UnusableEntry

KEY = "ab" * 32


def entry_path(root) -> os.PathLike:
    return root / "entries" / KEY[:2] / f"{KEY}.oxc"


def test_an_absent_entry_is_a_plain_miss(tmp_path):
    assert FolderTier(tmp_path).get(KEY) is None


def test_an_entry_larger_than_the_cap_is_refused_before_reading(tmp_path):
    FolderTier(tmp_path).put(KEY, bytes(2000))
    with pytest.raises(UnusableEntry, match="larger than the 1000-byte limit") as refused:
        FolderTier(tmp_path, max_entry_bytes=1000).get(KEY)
    assert refused.value.path == entry_path(tmp_path)
    assert FolderTier(tmp_path, max_entry_bytes=2000).get(KEY) == bytes(2000)


def test_the_default_cap_refuses_a_sparse_file_past_it_without_reading_it(tmp_path):
    path = entry_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.touch()
    os.truncate(path, MAX_ENTRY_BYTES + 1)  # sparse: nothing is allocated, but reading it would allocate it all
    with pytest.raises(UnusableEntry, match="larger than"):
        FolderTier(tmp_path).get(KEY)


def test_an_entry_larger_than_the_cap_is_not_written(tmp_path):
    FolderTier(tmp_path, max_entry_bytes=1000).put(KEY, bytes(2000))
    assert not entry_path(tmp_path).exists()


def test_the_cap_holds_the_largest_result_a_cook_can_make():
    # a texture payload, and a mesh's vertex and index buffers, are each sized by a u32 in the container
    assert MAX_ENTRY_BYTES > 2 * (2**32 - 1)


def test_has_says_what_get_would_read_without_reading_or_touching_it(tmp_path):
    tier = FolderTier(tmp_path, max_entry_bytes=1000)
    assert not tier.has(KEY) and not (tmp_path / "entries").exists()  # asking creates nothing
    tier.put(KEY, bytes(10))
    path = entry_path(tmp_path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert tier.has(KEY)
    assert path.stat().st_mtime_ns == 1_000_000_000  # not made recently used (get does that)
    FolderTier(tmp_path).put(KEY, bytes(2000))
    assert not tier.has(KEY)  # over the cap: get would refuse it
    path.unlink()
    os.symlink(tmp_path / "elsewhere", path)
    (tmp_path / "elsewhere").write_bytes(bytes(10))
    assert not tier.has(KEY)  # a link is never followed


def test_a_redis_tier_has_an_entry_without_making_it_recently_used(tmp_path):
    from oxcook.worker.cache import open_shared_tier
    from tests.farm_fixtures import RedisServer

    server = RedisServer(tmp_path)
    try:
        client = redis.Redis.from_url(server.url)
        client.config_set("maxmemory-policy", "allkeys-lfu")  # OBJECT FREQ: a read counts, deterministically from a new key's 5
        tier = open_shared_tier(server.url)
        assert not tier.has(KEY)
        tier.put(KEY, b"entry")
        name = f"oxcook-cache:{KEY}"
        freq = client.object("freq", name)
        assert tier.has(KEY) and client.object("freq", name) == freq
        assert tier.get(KEY) == b"entry" and client.object("freq", name) > freq  # a GET counts as a use
    finally:
        server.stop()


def _walks(monkeypatch) -> list[str]:
    """The folders listed from now on (a spy on ``os.scandir``, which still lists them)."""
    listed: list[str] = []
    real = os.scandir

    def scandir(path="."):
        listed.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return listed


def test_pruning_a_cache_within_its_size_lists_no_folder(tmp_path, monkeypatch):
    tier = FolderTier(tmp_path)
    for i in range(20):
        tier.put(f"{i:02x}" * 32, bytes(100))
    assert tier.prune(10_000) == (0, 0)  # the first prune takes the measure of the folder
    for i in range(20, 40):
        FolderTier(tmp_path).put(f"{i:02x}" * 32, bytes(100))  # another cook's puts count too
    listed = _walks(monkeypatch)
    assert FolderTier(tmp_path).prune(10_000) == (0, 0)
    assert listed == []
    assert len(tier.keys()) == 40


def test_pruning_past_the_size_removes_the_least_recently_used(tmp_path):
    tier = FolderTier(tmp_path)
    keys = [f"{i:02x}" * 32 for i in range(30)]
    for i, key in enumerate(keys):
        tier.put(key, bytes(100))
        os.utime(tier._path(key), (1_000_000 + i, 1_000_000 + i))
    assert tier.prune(10_000) == (0, 0)
    for i in range(30, 60):
        key = f"{i:02x}" * 32
        keys.append(key)
        FolderTier(tmp_path).put(key, bytes(100))
        os.utime(tier._path(key), (2_000_000 + i, 2_000_000 + i))
    assert FolderTier(tmp_path).prune(4_000) == (20, 2_000)
    assert tier.keys() == sorted(keys[20:])
    assert FolderTier(tmp_path).prune(4_000) == (0, 0)


def test_a_damaged_or_missing_measure_prunes_by_listing_the_folder(tmp_path):
    tier = FolderTier(tmp_path)
    for i in range(30):
        tier.put(f"{i:02x}" * 32, bytes(100))
    tier.prune(1_000_000)
    for n, junk in enumerate((b"garbage", b'{"bytes": -5, "log_offset": 0}', None)):
        usage = tmp_path / "entries" / "usage.json"
        if junk is None:
            usage.unlink()
        else:
            usage.write_bytes(junk)
        assert tier.prune(2_500)[0] == 5
        for i in range(5):
            tier.put(f"{0xa0 + n:02x}{i:02x}" * 16, bytes(100))  # five more
    (tmp_path / "entries" / "usage.log").write_bytes(b"100\nnot a size\n")
    assert tier.prune(2_500)[0] == 5
    assert len(tier.keys()) == 25


def test_a_listing_prune_counts_entries_put_by_other_means(tmp_path):
    tier = FolderTier(tmp_path)
    for i in range(10):
        tier.put(f"{i:02x}" * 32, bytes(100))
    tier.prune(10_000)
    for i in range(10, 40):  # copied in, not put: the usage log does not know them
        path = tier._path(f"{i:02x}" * 32)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(100))
    assert tier.prune(2_000) == (0, 0)
    assert tier.prune(2_000, listing=True) == (20, 2_000)
