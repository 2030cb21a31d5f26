"""The cook cache is an accelerator: whatever its folder holds, and whether or not it can be written, a cook
completes exactly as it would without it, and says what it found.

Real cooks through the CLI. Each hostile entry is put at the exact path a
previous cook wrote its entry to. Read-only and full caches are real file
systems (a tmpfs mounted for the test) where mounting is permitted; a cache
whose ``entries`` is a plain file runs everywhere.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from tests.farm_fixtures import run_oxcook
from tests.helpers import read_report, snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))
TEXTURES = 3
TIMEOUT = 60  # a cook of three small textures takes about a second; a hang must fail, not block the suite


def cook(src: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", "--source-key", KEY, str(src), "-o", str(out), *args, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sources, and what a cook of them without any cache writes."""
    base = tmp_path_factory.mktemp("reference")
    src = base / "src"
    src.mkdir()
    for i in range(TEXTURES):
        pixels = np.random.default_rng(i).integers(0, 256, (64 + 4 * i, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(src / f"t{i:02d}_albedo.png")
    result = cook(src, base / "out", "--no-cache")
    assert result.returncode == 0, result.stderr
    return src, snapshot(base / "out")


@pytest.fixture
def cached(tmp_path, reference):
    """A cache a first cook filled, and the path of one of its entries."""
    src, _ = reference
    cache = tmp_path / "cache"
    result = cook(src, tmp_path / "first", "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    entries = sorted((cache / "entries").rglob("*.oxc"))
    assert len(entries) == TEXTURES
    return cache, entries[0]


def assert_cooked_as_without_cache(tmp_path: Path, reference, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """A cook with ``args`` exits 0 and writes the bytes a cook without a cache writes; returns it and its report."""
    src, expected = reference
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = cook(src, out, "--report", str(report), *args)
    assert result.returncode == 0, result.stderr
    assert snapshot(out) == expected
    return result, read_report(report)


def cache_warnings(report: dict) -> list[dict]:
    return [d for d in report["diagnostics"] if d["severity"] == "warning" and d["code"].startswith("cache-")]


def assert_entry_warning(result, report, entry: Path, problem: str) -> None:
    found = [d for d in cache_warnings(report) if d["code"] == "cache-file-unusable"]
    assert len(found) == 1 and str(entry) in found[0]["message"] and problem in found[0]["message"], report["diagnostics"]
    assert "warning: " in result.stderr and str(entry) in result.stderr and problem in result.stderr
    misses = [t["source"] for t in report["textures"] if t["cache"] == "miss"]
    assert len(misses) == 1  # the other entries are still hits


def test_an_entry_that_is_a_fifo_is_a_miss_with_a_warning(tmp_path, reference, cached):
    cache, entry = cached
    entry.unlink()
    os.mkfifo(entry)
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert_entry_warning(result, report, entry, "not a regular file")
    assert entry.is_file() and not entry.is_symlink()  # the fresh result took its place


def test_an_entry_that_is_a_directory_is_a_miss_with_a_warning(tmp_path, reference, cached):
    cache, entry = cached
    entry.unlink()
    entry.mkdir()
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert_entry_warning(result, report, entry, "not a regular file")
    assert any(d["code"] == "cache-unwritable" and str(entry) in d["message"] for d in cache_warnings(report))


def test_an_entry_that_links_to_dev_zero_is_a_miss_with_a_warning(tmp_path, reference, cached):
    cache, entry = cached
    entry.unlink()
    entry.symlink_to("/dev/zero")
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert_entry_warning(result, report, entry, "symbolic link")


def test_the_stat_cache_as_fifos_is_ignored_with_a_warning(tmp_path, reference, cached):
    cache, _ = cached
    shards = sorted((cache / "stat").glob("*.json"))
    assert shards
    for shard in shards:
        shard.unlink()
        os.mkfifo(shard)
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    named = [s for s in shards if any(str(s) in d["message"] and "not a regular file" in d["message"] for d in cache_warnings(report))]
    assert named and str(named[0]) in result.stderr


def test_source_records_linked_to_dev_zero_are_ignored_with_a_warning(tmp_path, reference, cached):
    cache, _ = cached
    shards = sorted((cache / "sources").glob("*.json"))
    assert shards
    for shard in shards:
        shard.unlink()
        shard.symlink_to("/dev/zero")
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert any(str(s) in d["message"] and "symbolic link" in d["message"] for s in shards for d in cache_warnings(report))
    assert [t["cache"] for t in report["textures"]] == ["hit"] * TEXTURES


def test_records_of_the_wrong_shape_are_ignored(tmp_path, reference, cached):
    cache, _ = cached
    for kind, junk in (("stat", 7), ("sources", {"settings": ["not", "a", "mapping"]})):
        for shard in (cache / kind).glob("*.json"):
            records = json.loads(shard.read_text())
            shard.write_text(json.dumps(dict.fromkeys(records, junk)))
    for entry in (cache / "entries").rglob("*.oxc"):
        entry.unlink()  # every lookup misses, so its reason is looked for in the records
    _, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert [(t["cache"], t["miss_reason"]) for t in report["textures"]] == [("miss", "new source")] * TEXTURES


def test_cache_stats_and_prune_skip_what_is_not_an_entry(tmp_path, cached):
    cache, entry = cached
    (entry.parent / ("0" * 64 + ".oxc")).symlink_to(tmp_path / "nowhere")  # a dangling link
    os.mkfifo(entry.parent / ("1" * 64 + ".oxc"))
    stats = run_oxcook("cache", "stats", "--cache", str(cache), timeout=TIMEOUT)
    assert stats.returncode == 0, stats.stderr
    assert f"{TEXTURES} entries" in stats.stdout
    pruned = run_oxcook("cache", "prune", "--max-size", "1", "--cache", str(cache), timeout=TIMEOUT)
    assert pruned.returncode == 0, pruned.stderr
    assert f"removed {TEXTURES} entries" in pruned.stdout


def assert_unwritable_warning(result, report, cache: Path) -> None:
    found = [d for d in cache_warnings(report) if d["code"] == "cache-unwritable"]
    assert found and all(str(cache) in d["message"] for d in found), report["diagnostics"]
    assert len({d["message"] for d in found}) == len(found)  # each problem said once, not once per texture
    assert "warning: " in result.stderr and "cannot be written" in result.stderr
    assert [t["cache"] for t in report["textures"]] == ["miss"] * TEXTURES


def test_a_cache_whose_entries_folder_is_a_file_cannot_be_written_and_the_cook_goes_on(tmp_path, reference):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "entries").write_bytes(b"not a folder")
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert_unwritable_warning(result, report, cache)
    assert "Not a directory" in result.stderr


def test_a_cache_folder_that_is_a_file_cannot_be_written_and_the_cook_goes_on(tmp_path, reference):
    cache = tmp_path / "cache"
    cache.write_bytes(b"not a folder")
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(cache))
    assert_unwritable_warning(result, report, cache)


@pytest.fixture
def tmpfs(tmp_path):
    """A 64 KiB tmpfs of its own, unmounted afterwards; skipped where this sandbox may not mount."""
    point = tmp_path / "tmpfs"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode}): the always-running cannot-write tests cover it")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=True)


def test_a_read_only_cache_is_a_warning_and_the_cook_goes_on(tmp_path, reference, tmpfs):
    (tmpfs / "cache").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(tmpfs / "cache"))
    assert_unwritable_warning(result, report, tmpfs / "cache")
    assert "Read-only file system" in result.stderr


def test_a_full_cache_is_a_warning_and_the_cook_goes_on(tmp_path, reference, tmpfs):
    (tmpfs / "cache").mkdir()
    with open(tmpfs / "filler", "wb", buffering=0) as fh:  # everything the file system has left
        with pytest.raises(OSError) as full:
            while True:
                fh.write(bytes(4096))
    assert full.value.errno == errno.ENOSPC
    result, report = assert_cooked_as_without_cache(tmp_path, reference, "--cache", str(tmpfs / "cache"))
    assert_unwritable_warning(result, report, tmpfs / "cache")
    assert "No space left on device" in result.stderr
    assert not list((tmpfs / "cache").rglob(".tmp-*"))  # no half-written entry stays behind
