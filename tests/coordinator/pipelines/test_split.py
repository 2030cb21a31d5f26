"""A huge texture is split across processes (local) and farm workers, and the container's bytes do not change."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import redis
from PIL import Image

import oxcook.formats._texture_payload as payload_module
import oxcook.formats._validate as validate_module
from oxcook.coordinator import Config, ImportService, TextureImportRequest, TextureSettings, expand_sources
from oxcook.coordinator.cache import CacheSettings
from tests.farm_fixtures import CeleryWorker, RedisServer, run_oxcook, wait_until


def big_texture(folder, height: int = 1100, width: int = 700):
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([np.sin(x / 17) * 90 + 128, np.cos(y / 23) * 90 + 128, (x + y) % 256], axis=2).astype(np.uint8)
    path = folder / "huge_albedo.png"
    Image.fromarray(img).save(path)
    return path


def cook(src, root, *args: str):
    result = run_oxcook("cook", str(src), "-o", str(root), "--progress", "none", "--quality", "fast", "--no-cache", "--report", str(root) + ".json", *args)
    assert result.returncode == 0, result.stderr
    report = json.loads((root.parent / (root.name + ".json")).read_text())
    return (root / "Resources/textures.data").read_bytes(), [t["parts"] for job in report["jobs"] for t in job["textures"]]


def test_a_texture_above_the_threshold_is_split_and_cooks_the_same_bytes(tmp_path):
    src = big_texture(tmp_path / "src")
    whole, parts = cook(src, tmp_path / "whole", "--workers", "2", "--split-above", "0")
    assert parts == [1]
    split, parts = cook(src, tmp_path / "split", "--workers", "2", "--split-above", "600x600")
    assert parts == [2] and split == whole
    one, parts = cook(src, tmp_path / "one", "--workers", "1", "--split-above", "600x600")
    assert parts == [1] and one == whole  # one process: nothing to split across


def test_a_lone_texture_below_the_threshold_is_split_across_idle_processes(tmp_path):
    """One texture with nothing else to cook (a re-cook after one edit) does not leave the other processes idle:
    at default quality a 700x1100 encode (~0.35 s) is worth two parts; at fast quality (~30 ms) it is not."""
    src = big_texture(tmp_path / "src")
    whole, parts = cook(src, tmp_path / "whole", "--workers", "2", "--quality", "default", "--split-above", "0")
    assert parts == [1]
    idle, parts = cook(src, tmp_path / "idle", "--workers", "2", "--quality", "default")
    assert parts == [2] and idle == whole
    _, parts = cook(src, tmp_path / "fast", "--workers", "2")
    assert parts == [1]
    _, parts = cook(src, tmp_path / "one", "--workers", "1", "--quality", "default")
    assert parts == [1]


def test_after_one_edit_the_re_cooked_texture_is_split_and_the_cache_hits_take_no_process(tmp_path):
    """The case the idle split is for: a re-cook where every other texture is a cache hit."""
    src = tmp_path / "src"
    for name in ("a", "b", "c"):
        big_texture(src).rename(src / f"{name}_albedo.png")

    def cached_cook(root):
        args = ("--progress", "none", "--quality", "default", "--workers", "2", "--cache", str(tmp_path / "cache"), "--report", str(root) + ".json")
        assert (result := run_oxcook("cook", str(src), "-o", str(root), *args)).returncode == 0, result.stderr
        return {t["source"]: (t["cache"], t["parts"]) for t in json.loads((tmp_path / (root.name + ".json")).read_text())["jobs"][0]["textures"]}

    assert cached_cook(tmp_path / "cold") == {f"{n}_albedo.png": ("miss", 1) for n in "abc"}  # three for two processes: none split
    img = np.asarray(Image.open(src / "b_albedo.png")).copy()
    img[:64] = 255 - img[:64]
    Image.fromarray(img).save(src / "b_albedo.png")
    assert cached_cook(tmp_path / "edit") == {"a_albedo.png": ("hit", 1), "b_albedo.png": ("miss", 2), "c_albedo.png": ("hit", 1)}
    whole, _ = cook(src, tmp_path / "whole", "--quality", "default", "--split-above", "0")
    assert (tmp_path / "edit/Resources/textures.data").read_bytes() == whole


def test_in_a_job_longer_than_its_window_an_edited_texture_at_the_head_is_split(tmp_path):
    """Results are placed in the cooking order, so while the edited texture (the largest, cooked first) is not done,
    the window behind it fills with cache hits and nothing more can come: its processes would idle. Here the window
    is 4 textures and the job 9."""
    src = tmp_path / "src"
    for k in range(8):
        img = np.asarray(Image.open(big_texture(src))).copy()
        img[k] = 0  # nine different textures: no cache hit or deduplication among them
        Image.fromarray(img).save(src / f"t{k}_albedo.png")
    big_texture(src, width=720).rename(src / "big_albedo.png")  # the largest: first in the cooking order
    config = Config(thread_pool_size=2, texture_queue_capacity=4, cache=CacheSettings(local=tmp_path / "cache"))

    def cook_all(root):
        done, reports = threading.Event(), []
        request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="default")).textures), cooked_root=root)
        with ImportService(config) as service:
            service.submit_texture_import(request, lambda job, report: (reports.append(report), done.set()))
            assert done.wait(120)
        assert reports[0].success
        return {t.source_id: (t.cache, t.parts) for t in reports[0].textures}

    assert set(cook_all(tmp_path / "cold").values()) == {("miss", 1)}  # nine for two processes: none split
    img = np.asarray(Image.open(src / "big_albedo.png")).copy()
    img[:64] = 255 - img[:64]
    Image.fromarray(img).save(src / "big_albedo.png")
    edited = cook_all(tmp_path / "edit")
    assert edited.pop("big_albedo.png") == ("miss", 2) and set(edited.values()) == {("hit", 1)}
    whole, _ = cook(src, tmp_path / "whole", "--quality", "default", "--split-above", "0")
    assert (tmp_path / "edit/Resources/textures.data").read_bytes() == whole


def test_a_broken_texture_split_for_idle_processes_fails_once_by_name(tmp_path):
    """A PNG whose header promises 700x1100 but whose data is cut is split (the header is all the plan reads); every
    part fails to decode, and the job names the file once, exit 1, no traceback; the fallback stands in for it."""
    src = tmp_path / "src"
    data = big_texture(src).read_bytes()
    (src / "huge_albedo.png").unlink()
    (src / "cut_albedo.png").write_bytes(data[: len(data) // 2])
    result = run_oxcook("cook", str(src), "-o", str(tmp_path / "r"), "--progress", "none", "--quality", "default", "--workers", "2", "--report", str(tmp_path / "r.json"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("cut_albedo.png: corrupt or truncated PNG data") == 1, result.stderr
    (texture,) = json.loads((tmp_path / "r.json").read_text())["jobs"][0]["textures"]
    assert texture["parts"] == 2 and texture["index"] == 0 and [d["code"] for d in texture["diagnostics"]] == ["texture-corrupted-data"]


def test_tiny_and_odd_textures_split_to_the_same_bytes(tmp_path):
    """A part may own no band at all (a 1x1 texture); a 3-pixel-wide strip has bands but one block column."""
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(np.full((1, 1, 3), 90, np.uint8)).save(src / "one_albedo.png")
    Image.fromarray(rng.integers(0, 255, (64, 48, 4), dtype=np.uint8)).save(src / "small_albedo.png")
    Image.fromarray(rng.integers(0, 255, (700, 3, 3), dtype=np.uint8)).save(src / "tall_normal.png")
    whole, _ = cook(src, tmp_path / "whole", "--workers", "2", "--split-above", "0")
    split, parts = cook(src, tmp_path / "split", "--workers", "2", "--split-above", "1")
    assert parts == [2, 2, 2] and split == whole


def test_the_split_threshold_is_checked_before_any_work(tmp_path):
    result = run_oxcook("cook", str(big_texture(tmp_path / "src", 64, 64)), "-o", str(tmp_path / "r"), "--split-above", "lots")
    assert result.returncode == 2 and "--split-above" in result.stderr and "pixel count" in result.stderr


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("split")
    server = RedisServer(tmp)
    workers = [CeleryWorker(server.url, f"split{i}", tmp / f"worker{i}.log") for i in range(2)]
    yield server.url
    for worker in workers:
        worker.stop()
    assert not list(redis.Redis.from_url(server.url).scan_iter(match="oxcook-workers:*"))  # a stopped worker withdraws
    server.stop()


def test_farm_workers_cook_the_parts_of_one_texture(farm, tmp_path):
    presence = redis.Redis.from_url(farm)
    wait_until(lambda: len(list(presence.scan_iter(match="oxcook-workers:*"))) == 2, 30, "both workers to announce themselves")
    assert sorted(presence.mget(list(presence.scan_iter(match="oxcook-workers:*")))) == [b"1", b"1"]
    src = big_texture(tmp_path / "src")
    local, _ = cook(src, tmp_path / "local", "--split-above", "0")
    farmed, parts = cook(src, tmp_path / "farm", "--broker", farm, "--split-above", "600x600")
    assert parts == [2] and farmed == local
    whole, _ = cook(src, tmp_path / "whole", "--quality", "default", "--split-above", "0")
    idle, parts = cook(src, tmp_path / "idle", "--broker", farm, "--quality", "default")  # below the threshold, two idle workers
    assert parts == [2] and idle == whole


def test_a_joined_texture_is_hashed_once_by_the_coordinator(tmp_path, monkeypatch):
    """The join builds the payload and hashes it; checking it then must not hash its megabytes again (an
    8192² payload: ~0.15 s on the coordinator, after the last part is in). Unsplit results, which a worker
    hashed, are still checked."""
    hashed: list[int] = []
    real = payload_module.content_hash
    monkeypatch.setattr(payload_module, "content_hash", lambda data, **kw: (hashed.append(len(data)), real(data, **kw))[1])
    checked: list[int] = []
    real_check = validate_module.payload_hash_matches
    monkeypatch.setattr(validate_module, "payload_hash_matches", lambda payload, declared, **kw: (checked.append(len(payload)), real_check(payload, declared, **kw))[1])
    src = big_texture(tmp_path / "src")
    reports = {}
    for name, split_above in (("split", 600 * 600), ("whole", 0)):
        hashed.clear()
        checked.clear()
        done = threading.Event()
        request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / name)
        with ImportService(Config(thread_pool_size=2, split_above=split_above)) as service:
            service.submit_texture_import(request, lambda job, report: (reports.__setitem__(name, report), done.set()))
            assert done.wait(120)
        assert reports[name].success
        texture = [n for n in hashed if n == max(hashed)]  # the texture's payload (the others: the 768-byte fallback texture's)
        if name == "split":
            assert len(texture) == 1 and checked == []  # the join's own hash, and no second one
        else:
            assert len(texture) == 1 and checked == texture  # the worker hashed it; the check hashes it here, once
    assert (tmp_path / "split" / "Resources/textures.data").read_bytes() == (tmp_path / "whole" / "Resources/textures.data").read_bytes()
