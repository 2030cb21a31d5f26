"""The cook cache — a re-cook of unchanged sources does no encoding, every miss says why.

Real image files, real cooks through the CLI, a real redis-server and real
Celery workers for the shared tier.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest
import redis
from PIL import Image

from oxcook import formats as f
import oxcook.formats._validate as validate_module
from oxcook.coordinator import Config, CookedRootFiles, ImportService, TextureImportRequest, TextureSettings, expand_sources
from oxcook.coordinator.cache import CacheSettings, CookCache
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO, CeleryWorker, RedisServer, run_oxcook
from tests.helpers import read_jobs, read_report, read_texture, snapshot
from oxcook.worker.cache import FolderTier, miss_reason, pack_entry, read_entry, texture_key, unpack_entry
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import TextureResult, TextureWork

KEY = str(uuid.UUID(bytes=f.new_source_key()))


def cook(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", *args, timeout=timeout)


def sources(folder: Path, n: int = 16, size: int = 128) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pixels = np.random.default_rng(i).integers(0, 256, (size + 4 * i, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"t{i:02d}_albedo.png")
    return folder


def totals(report: Path) -> dict:
    return json.loads(report.read_text())["totals"]


@pytest.fixture
def cold(tmp_path):
    src = sources(tmp_path / "src")
    cache = tmp_path / "cache"
    result = cook(str(src), "-o", str(tmp_path / "cold"), "--cache", str(cache), "--source-key", KEY, "--report", str(tmp_path / "cold.json"))
    assert result.returncode == 0, result.stderr
    assert totals(tmp_path / "cold.json")["encoded"] == 16
    return src, cache


def test_warm_cook_encodes_nothing_and_writes_the_same_bytes(tmp_path, cold):
    src, cache = cold
    result = cook(str(src), "-o", str(tmp_path / "warm"), "--cache", str(cache), "--source-key", KEY, "--report", str(tmp_path / "warm.json"))
    assert result.returncode == 0, result.stderr
    t = totals(tmp_path / "warm.json")
    assert (t["cache_hits"], t["encoded"]) == (16, 0)
    assert "16 from cache, 0 encoded" in result.stderr
    assert all(e["cache"] == "hit" for e in read_report(tmp_path / "warm.json")["textures"])
    assert snapshot(tmp_path / "warm") == snapshot(tmp_path / "cold")


def test_one_edited_source_is_the_one_miss(tmp_path, cold):
    src, cache = cold
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(src / "t05_albedo.png")
    result = cook(str(src), "-o", str(tmp_path / "edit"), "--cache", str(cache), "--report", str(tmp_path / "r.json"), "-v")
    assert result.returncode == 0
    misses = [(e["source"], e["miss_reason"]) for e in read_report(tmp_path / "r.json")["textures"] if e["cache"] == "miss"]
    assert misses == [("t05_albedo.png", "source changed")]
    assert totals(tmp_path / "r.json")["cache_hits"] == 15
    assert "t05_albedo.png: cache miss (source changed)" in result.stderr


def test_changed_quality_misses_everything_and_says_so(tmp_path, cold):
    src, cache = cold
    result = cook(str(src), "-o", str(tmp_path / "q"), "--cache", str(cache), "--quality", "default", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0
    reasons = {e["miss_reason"] for e in read_report(tmp_path / "r.json")["textures"]}
    assert reasons == {"settings changed (quality: fast → default)"}


def test_corrupt_entries_are_cooked_again_and_never_reach_the_container(tmp_path, cold):
    src, cache = cold
    for i, entry in enumerate(sorted((cache / "entries").rglob("*.oxc"))):
        data = bytearray(entry.read_bytes())
        if i % 2:
            data[len(data) // 2] ^= 0xFF  # a flipped byte
            entry.write_bytes(bytes(data))
        else:
            entry.write_bytes(bytes(data[: len(data) // 3]))  # truncated
    result = cook(str(src), "-o", str(tmp_path / "again"), "--cache", str(cache), "--source-key", KEY, "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert {e["miss_reason"] for e in read_report(tmp_path / "r.json")["textures"]} == {"entry corrupt"}
    assert snapshot(tmp_path / "again") == snapshot(tmp_path / "cold")


def _forge(entry: Path, *, consistent: bool) -> None:
    """Change the pixels of a cached texture; ``consistent`` also fixes its hashes, so only a re-cook can tell."""
    result = unpack_entry(entry.read_bytes(), entry.stem, TextureResult)
    payload = bytearray(result.cooked.payload)
    payload[-1] ^= 0x5A
    digest = result.cooked.content_hash
    if consistent:
        offset = f.TEXTURE_PAYLOAD_HEADER.offsets["content_hash"]
        payload[offset : offset + 8] = bytes(8)
        digest = f.content_hash(bytes(payload))
        payload[offset : offset + 8] = digest.to_bytes(8, "little")
    cooked = dataclasses.replace(result.cooked, payload=bytes(payload), content_hash=digest)
    entry.write_bytes(pack_entry(dataclasses.replace(result, cooked=cooked), key=entry.stem))


def test_a_well_framed_but_wrong_entry_is_never_trusted(tmp_path, cold):
    src, cache = cold
    _forge(sorted((cache / "entries").rglob("*.oxc"))[0], consistent=False)
    result = cook(str(src), "-o", str(tmp_path / "w"), "--cache", str(cache), "--source-key", KEY, "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0
    assert [e["miss_reason"] for e in read_report(tmp_path / "r.json")["textures"] if e["cache"] == "miss"] == ["entry corrupt"]
    assert snapshot(tmp_path / "w") == snapshot(tmp_path / "cold")


def test_a_consistent_forgery_is_caught_by_cache_verify(tmp_path, cold):
    src, cache = cold
    _forge(sorted((cache / "entries").rglob("*.oxc"))[0], consistent=True)
    verified = cook(str(src), "-o", str(tmp_path / "v"), "--cache", str(cache), "--cache-verify", "1", "--report", str(tmp_path / "r.json"))
    assert verified.returncode == 1
    assert "cache-verify-mismatch" in verified.stderr
    assert f.validate_container(CookedRootFiles(tmp_path / "v")).ok


def test_two_cooks_share_one_cache_without_torn_entries(tmp_path):
    src = sources(tmp_path / "src", n=12)
    cache = tmp_path / "cache"
    cmd = lambda root: [sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "fast", str(src), "-o", str(root), "--cache", str(cache)]  # noqa: E731
    procs = [subprocess.Popen(cmd(tmp_path / f"r{i}"), stderr=subprocess.PIPE, text=True, cwd=REPO) for i in range(2)]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    for i in range(2):
        assert f.validate_container(CookedRootFiles(tmp_path / f"r{i}")).ok
    entries = sorted((cache / "entries").rglob("*.oxc"))
    assert len(entries) == 12
    for entry in entries:
        assert unpack_entry(entry.read_bytes(), entry.stem, TextureResult).ok  # whole, checksummed
    assert not list((cache / "entries").rglob(".tmp-*"))


def test_cache_commands(tmp_path, cold):
    _, cache = cold
    run = lambda *a: subprocess.run([sys.executable, "-m", "oxcook", "cache", *a, "--cache", str(cache)], capture_output=True, text=True, cwd=REPO)  # noqa: E731
    assert "16 entries" in run("stats").stdout
    assert "removed 16 entries" in run("prune", "--max-size", "1").stdout
    assert "0 entries" in run("stats").stdout
    assert run("clear").returncode == 0


def test_evicted_entries_say_so(tmp_path, cold):
    src, cache = cold
    FolderTier(cache).clear()
    cook(str(src), "-o", str(tmp_path / "e"), "--cache", str(cache), "--report", str(tmp_path / "r.json"))
    assert {e["miss_reason"] for e in read_report(tmp_path / "r.json")["textures"]} == {"evicted"}


def test_keys_and_miss_reasons():
    desc = preset_desc("albedo", "a.png")
    key = texture_key([b"\x01" * 32], desc)
    assert key.digest == texture_key([b"\x01" * 32], preset_desc("albedo", "other-name.png")).digest  # the name is not in the key
    assert key.digest != texture_key([b"\x02" * 32], desc).digest
    assert key.digest != texture_key([b"\x01" * 32], preset_desc("normal", "a.png")).digest
    older = {**key.facts(), "key": "0" * 64, "cooker": "oxcook-cook-0"}
    assert miss_reason(key, older).startswith("cooker version changed")


def test_the_stat_cache_hashes_each_unchanged_file_once(tmp_path):
    src = sources(tmp_path / "src", n=3)
    work = [TextureWork(f"k{i}", p.name, preset_desc("albedo", p.name), paths=(str(p),)) for i, p in enumerate(sorted(src.iterdir()))]
    first = CookCache(CacheSettings(local=tmp_path / "cache"))
    keys = [first.key_for(w) for w in work]
    first.close()
    second = CookCache(CacheSettings(local=tmp_path / "cache"))
    assert [second.key_for(w) for w in work] == keys and second.stat.hashed == 0  # stats, not reads
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(src / work[0].source_id)
    assert second.key_for(work[0]) != keys[0] and second.stat.hashed == 1


def test_scenes_recook_with_no_encode_and_no_mesh_build(tmp_path):
    scene = SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf"
    cache = tmp_path / "cache"
    assert cook(str(scene), "-o", str(tmp_path / "a"), "--cache", str(cache), "--source-key", KEY).returncode == 0
    result = cook(str(scene), "-o", str(tmp_path / "b"), "--cache", str(cache), "--source-key", KEY, "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0
    job = read_report(tmp_path / "r.json")
    assert job["totals"]["encoded"] == 0 and job["meshes"] == {"built": 0, "from_cache": 1}
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_a_shared_redis_tier_serves_a_second_coordinator_with_no_workers(tmp_path):
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "cachefill", tmp_path / "worker.log")
    try:
        src = sources(tmp_path / "src", n=6)
        shared = server.url.replace("/0", "/1")
        a = cook(str(src), "-o", str(tmp_path / "a"), "--broker", server.url, "--cache", str(tmp_path / "cache-a"), "--shared-cache", shared, "--report", str(tmp_path / "a.json"))
        assert a.returncode == 0, a.stderr
        assert totals(tmp_path / "a.json")["encoded"] == 6
    finally:
        worker.stop()
    try:
        # coordinator B: an empty local cache, the same shared tier, and not one worker listening
        b = cook(str(src), "-o", str(tmp_path / "b"), "--broker", server.url, "--cache", str(tmp_path / "cache-b"), "--shared-cache", shared, "--report", str(tmp_path / "b.json"), timeout=60)
        assert b.returncode == 0, b.stderr
        assert (totals(tmp_path / "b.json")["cache_hits"], totals(tmp_path / "b.json")["encoded"]) == (6, 0)
        ja, jb = read_jobs(tmp_path / "a.json")[0], read_jobs(tmp_path / "b.json")[0]
        for ea, eb in zip(sorted(ja["textures"], key=lambda e: e["source"]), sorted(jb["textures"], key=lambda e: e["source"]), strict=True):
            assert read_texture(tmp_path / "a", ea["index"])[1] == read_texture(tmp_path / "b", eb["index"])[1]
    finally:
        server.stop()


@pytest.mark.parametrize("publishes", [False, True], ids=["not-by-default", "when-let"])
def test_workers_fill_the_shared_tier_themselves(tmp_path, publishes):
    server = RedisServer(tmp_path)
    shared = server.url.replace("/0", "/2")
    env = {"OXCOOK_SHARED_CACHE": shared, **({"OXCOOK_WORKER_PUBLISHES_CACHE": "1"} if publishes else {})}
    worker = CeleryWorker(server.url, "filler", tmp_path / "worker.log", env=env)
    try:
        src = sources(tmp_path / "src", n=4)
        # coordinator A knows no shared tier: only a worker let to publish (OXCOOK_WORKER_PUBLISHES_CACHE=1) writes there
        a = cook(str(src), "-o", str(tmp_path / "a"), "--broker", server.url, "--cache", str(tmp_path / "cache-a"), "--report", str(tmp_path / "a.json"))
        assert a.returncode == 0, a.stderr
        store = redis.Redis.from_url(shared)
        published = {name.decode().removeprefix("oxcook-cache:"): store.get(name) for name in store.scan_iter(match="oxcook-cache:*")}
        assert len(published) == (4 if publishes else 0)
        assert all(read_entry(data, key, TextureResult).cooked_by == "filler@oxcook-test" for key, data in published.items())
    finally:
        worker.stop()
    try:
        if publishes:  # what a worker published serves a coordinator with no worker at all
            b = cook(str(src), "-o", str(tmp_path / "b"), "--broker", server.url, "--cache", str(tmp_path / "cache-b"), "--shared-cache", shared, "--report", str(tmp_path / "b.json"), timeout=60)
            assert b.returncode == 0, b.stderr
            assert (totals(tmp_path / "b.json")["cache_hits"], totals(tmp_path / "b.json")["encoded"]) == (4, 0)
    finally:
        server.stop()


def test_payloads_are_checked_off_the_import_loop_on_hits_and_fresh_results(tmp_path, monkeypatch):
    """Hashing a payload to check it (~0.1 ms for 512², ~2.5 ms for 2048²) runs on an executor thread: on the
    import loop it would hold up every other item (a warm cook of 1 000 textures is all hits, and the loop is one
    thread). Only payloads too small for the thread hop to pay (``_INLINE_CHECK_BYTES``) are checked on the loop."""
    threads: list[str] = []
    real = validate_module.payload_hash_matches
    monkeypatch.setattr(validate_module, "payload_hash_matches", lambda *a, **kw: (threads.append(threading.current_thread().name), real(*a, **kw))[1])
    src = sources(tmp_path / "src", n=4, size=512)  # 512² BC7 with its chain: ~350 KB, above the inline bound
    config = Config(thread_pool_size=2, cache=CacheSettings(local=tmp_path / "cache"))
    for name in ("cold", "warm"):
        threads.clear()
        done, reports = threading.Event(), []
        request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / name)
        with ImportService(config) as service:
            service.submit_texture_import(request, lambda job, report: (reports.append(report), done.set()))
            assert done.wait(120)
        assert reports[0].success
        assert [t.cache for t in reports[0].textures] == (["miss"] * 4 if name == "cold" else ["hit"] * 4)
        assert len(threads) >= 4 and "oxcook-import" not in threads, threads
