"""Small textures travel several to a farm task (``oxcook.cook_chunk``), and every guarantee stays per texture:
the same bytes as a local cook, a broken texture fails alone and by name, and a worker process that dies
holding a chunk loses none of its textures.

Real redis-server, real ``oxcook worker`` processes, the real CLI.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path

import numpy as np
import pytest
import redis

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from oxcook.coordinator.backends._farm_chunks import Gathering, chunk_estimate_s, chunk_items, holds
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import TextureWork
from oxcook.worker.farm import keys
from tests.farm_fixtures import CeleryWorker, RedisServer, run_oxcook
from tests.helpers import png_bytes, read_report, read_texture, snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))
TIMEOUT = 240


def cook(src: Path, root: Path, *args: str) -> tuple[int, dict]:
    """Exit status and report of a cook of ``src`` into ``root`` (same source key every time: same bytes)."""
    report = root.parent / f"{root.name}.json"
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", "--source-key", KEY, str(src), "-o", str(root), "--report", str(report), *args, timeout=TIMEOUT)
    assert result.returncode in (0, 1), result.stderr
    assert f.validate_container(CookedRootFiles(root)).ok
    return result.returncode, read_report(report)


def tiny_sources(folder: Path, count: int, broken: str | None = None) -> Path:
    """``count`` 32² textures (``t000_albedo.png`` …); ``broken``: the name of one more whose header is
    right (so its size is known and it is chunked) and whose pixel data is garbage."""
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(count):
        (folder / f"t{i:03d}_albedo.png").write_bytes(png_bytes(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)))
    if broken:
        good = png_bytes(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
        (folder / broken).write_bytes(good[:41] + bytes(len(good) - 53) + good[-12:])  # signature and IHDR kept, IDAT zeroed
    return folder


def errors(report: dict) -> dict[str, list[str]]:
    return {t["source"]: [d["code"] for d in t["diagnostics"] if d["severity"] == "error"] for t in report["textures"] if any(d["severity"] == "error" for d in t["diagnostics"])}


def chunk_tasks(log: Path) -> int:
    return log.read_text(errors="replace").count(f"{keys.TASK_COOK_CHUNK}[")


def leftover(url: str) -> list[bytes]:
    return [k for k in redis.Redis.from_url(url).scan_iter(match="oxcook:*") if not k.startswith(b"oxcook:blob:")]


@pytest.fixture
def server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def test_a_chunked_farm_cook_writes_the_bytes_of_a_local_cook_with_any_worker_count(tmp_path, server):
    src = tiny_sources(tmp_path / "src", 60)
    cook(src, tmp_path / "local", "--workers", "1")
    reference = snapshot(tmp_path / "local")
    worker = CeleryWorker(server.url, "chunks", tmp_path / "worker.log", concurrency=2)
    try:
        for window in ("64", "7"):  # chunks of up to 16 textures, and of one or two
            root = tmp_path / f"farm{window}"
            assert cook(src, root, "--broker", server.url, "--window", window)[0] == 0
            assert snapshot(root) == reference
        assert chunk_tasks(worker.log) >= 2  # several textures to a task
        assert leftover(server.url) == []
    finally:
        worker.stop()


def test_a_broken_texture_in_a_chunk_fails_alone_and_by_name(tmp_path, server):
    src = tiny_sources(tmp_path / "src", 12, broken="t005b_albedo.png")
    status, local = cook(src, tmp_path / "local", "--workers", "1")
    assert status == 1
    worker = CeleryWorker(server.url, "broken", tmp_path / "worker.log")
    try:
        status, farm = cook(src, tmp_path / "farm", "--broker", server.url)
        assert status == 1
        assert list(errors(farm)) == ["t005b_albedo.png"]  # the other eleven of its chunk cooked
        assert errors(farm) == errors(local)
        assert snapshot(tmp_path / "farm") == snapshot(tmp_path / "local")
        assert chunk_tasks(worker.log) >= 1
        assert leftover(server.url) == []
    finally:
        worker.stop()


def test_a_worker_process_that_dies_holding_a_chunk_loses_none_of_its_textures(tmp_path, server):
    # every pool process of this worker dies (SIGKILL) as it starts cooking the poison: the chunk goes back to the
    # queue each time, its delivered textures are not cooked again, and the poison alone fails once it has used its attempts
    src = tiny_sources(tmp_path / "src", 10, broken=None)
    (src / "t004p_albedo.png").write_bytes((src / "t004_albedo.png").read_bytes() + b"\0")
    cook(src, tmp_path / "local", "--workers", "1")
    worker = CeleryWorker(server.url, "poisoned", tmp_path / "worker.log", env={"OXCOOK_FAILPOINT": "cook:t004p_albedo.png"})
    try:
        status, farm = cook(src, tmp_path / "farm", "--broker", server.url)
        assert status == 1
        assert errors(farm) == {"t004p_albedo.png": ["texture-worker-crashed"]}
        local = {t["source"]: read_texture(tmp_path / "local", t["index"])[1] for t in read_report(tmp_path / "local.json")["textures"]}
        cooked = {t["source"]: read_texture(tmp_path / "farm", t["index"])[1] for t in farm["textures"] if t["source"] != "t004p_albedo.png"}
        assert len(cooked) == 10 and all(cooked[name] == local[name] for name in cooked)
        assert chunk_tasks(worker.log) >= 2  # the chunk ran again after each death
        assert leftover(server.url) == []
    finally:
        worker.stop()


def test_a_chunk_keeps_gathering_only_while_every_farm_process_has_a_task_waiting():
    # two processes: with three tasks of the job out, each has one waiting behind the one it runs
    assert holds(3, 2) and not holds(2, 2) and not holds(0, 2)
    assert holds(2, 1) and not holds(1, 1)
    gathering = Gathering()
    for i in range(3):
        gathering.add(TextureWork(f"j:{i}", f"t{i}.png", preset_desc("albedo", f"t{i}.png"), job="j", sources=(b"x",)), None, 0.004)
    assert gathering.full(3) and not gathering.full(4)
    assert chunk_items(window=64, processes=2) == 16 and chunk_items(window=7, processes=8) == 1


def test_a_small_texture_whose_source_is_too_large_to_travel_in_its_work_item_has_a_task_of_its_own(tmp_path):
    small = png_bytes(np.zeros((32, 32, 3), np.uint8))
    padded = small[:33] + _text_chunk(300 * 1024) + small[33:]  # the same 32² image behind 300 KiB of metadata
    desc = preset_desc("albedo", "a_albedo.png")
    assert chunk_estimate_s(TextureWork("j:1", "a_albedo.png", desc, job="j", sources=(small,))) is not None
    assert chunk_estimate_s(TextureWork("j:2", "a_albedo.png", desc, job="j", sources=(padded,))) is None


def _text_chunk(size: int) -> bytes:
    body = b"tEXt" + b"pad\0" + b"x" * size
    return struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
