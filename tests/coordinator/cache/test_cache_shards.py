"""The cook cache's own records (the stat cache, the source records) live in shards: a cook reads and
rewrites only the shards of the sources it looks up, so the records keep their cost at 100 000 sources."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from oxcook.coordinator.cache import shard_of
from tests.farm_fixtures import run_oxcook

N = 24


def cook(*args: str) -> None:
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", *args, timeout=240)
    assert result.returncode == 0, result.stderr


def paint(path: Path, seed: int) -> None:
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)


def shards(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def inodes(cache: Path) -> dict[str, int]:
    return {str(p.relative_to(cache)): p.stat().st_ino for kind in ("stat", "sources") for p in (cache / kind).glob("*.json")}


def test_each_record_is_in_the_shard_its_key_names(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(N):
        paint(src / f"t{i:02d}_albedo.png", i)
    cache = tmp_path / "cache"
    cook(str(src), "-o", str(tmp_path / "root"), "--cache", str(cache))
    assert not (cache / "stat.json").exists() and not (cache / "sources.json").exists()
    for kind in ("stat", "sources"):
        found = shards(cache / kind)
        keys = [key for records in found.values() for key in records]
        assert len(keys) == N and len(found) > 1
        for name, records in found.items():
            assert all(f"{shard_of(key)}.json" == name for key in records), (kind, name)
    stat_keys = {key for records in shards(cache / "stat").values() for key in records}
    assert stat_keys == {os.path.abspath(src / f"t{i:02d}_albedo.png") for i in range(N)}


def test_a_cook_rewrites_only_the_shards_of_what_it_learnt(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(N):
        paint(src / f"t{i:02d}_albedo.png", i)
    cache = tmp_path / "cache"
    cook(str(src), "-o", str(tmp_path / "first"), "--cache", str(cache))
    before = inodes(cache)
    edited = src / "t05_albedo.png"
    paint(edited, 1000)
    cook(str(src), "-o", str(tmp_path / "second"), "--cache", str(cache))  # a fresh root: every texture is looked up
    after = inodes(cache)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {f"stat/{shard_of(os.path.abspath(edited))}.json", f"sources/{shard_of(os.path.abspath(edited))}.json"}
    stat = shards(cache / "stat")[f"{shard_of(os.path.abspath(edited))}.json"]
    assert stat[os.path.abspath(edited)][0] == edited.stat().st_size


def test_cooks_sharing_a_cache_keep_each_others_records_in_one_shard(tmp_path):
    # two cooks open the same records, each learns of a source of its own in the same shard, and they save in turn:
    # the later save lays its record over the shard as the earlier one left it (a lost record would make the next
    # miss say "new source" where it should say what changed)
    from oxcook.coordinator.cache._record_shards import ShardedRecords

    keys = [f"source-{i}" for i in range(2000)]
    first = keys[0]
    second = next(k for k in keys[1:] if shard_of(k) == shard_of(first))
    folder = tmp_path / "sources"
    problems: list = []
    a = ShardedRecords(folder, lambda record: isinstance(record, dict), problems.append)
    b = ShardedRecords(folder, lambda record: isinstance(record, dict), problems.append)
    assert a.get(first) is None and b.get(second) is None  # both have read the (empty) shard
    b.put(second, {"by": "b"})
    b.save()
    a.put(first, {"by": "a"})
    a.save()
    on_disk = shards(folder)[f"{shard_of(first)}.json"]
    assert on_disk == {first: {"by": "a"}, second: {"by": "b"}}
    fresh = ShardedRecords(folder, lambda record: isinstance(record, dict), problems.append)
    assert fresh.get(first) == {"by": "a"} and fresh.get(second) == {"by": "b"} and problems == []


def test_records_of_the_one_file_layout_are_removed_by_the_first_cook_that_writes_its_own(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    paint(src / "t00_albedo.png", 0)
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("stat.json", "sources.json"):  # nothing reads them: left, they would hold their space for ever
        (cache / name).write_text(json.dumps({"/somewhere/else.png": [1, 2, 3, "00"]}))
    cook(str(src), "-o", str(tmp_path / "root"), "--cache", str(cache))
    assert not (cache / "stat.json").exists() and not (cache / "sources.json").exists()
    assert shards(cache / "stat") and shards(cache / "sources")
