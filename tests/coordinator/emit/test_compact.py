"""``oxcook compact`` — re-cooks never grow a root forever; the live content survives intact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import run_oxcook
from tests.helpers import read_buffer, read_texture, snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))


oxcook = run_oxcook


def cook(src: Path, root: Path) -> None:
    result = oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", "--source-key", KEY, str(src), "-o", str(root))
    assert result.returncode == 0, result.stderr


def paint(path: Path, seed: int, size: int = 128) -> None:
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)


def materials(root: Path) -> dict[str, list[bytes]]:
    """Every material's texture slots, as the pixels they point at (payload bytes)."""
    index = f.parse_index((root / f.INDEX_FILE_NAME).read_bytes())
    out = {}
    for asset in index.assets:
        if asset.asset_type == f.AssetType.MATERIAL:
            desc, _ = f.unpack_material((root / asset.descriptor_relpath).read_bytes())
            out[asset.virtual_path] = [read_texture(root, getattr(desc, name))[1] for name in f.TEXTURE_FIELDS]
    return out


def geometry(root: Path) -> dict[str, list[bytes]]:
    index = f.parse_index((root / f.INDEX_FILE_NAME).read_bytes())
    out = {}
    for asset in index.assets:
        if asset.asset_type == f.AssetType.GEOMETRY:
            geo = f.unpack_geometry((root / asset.descriptor_relpath).read_bytes())
            out[asset.virtual_path] = [read_buffer(root, i) for m in geo.lods for i in (m.vertex_buffer, m.index_buffer)]
    return out


def sidecar_payloads(root: Path) -> dict[str, bytes]:
    return {p.name: read_texture(root, f.unpack_otex(p.read_bytes()).resource_index)[1] for p in (root / "Resources/Textures").glob("*.otex")}


@pytest.fixture
def recooked(tmp_path) -> tuple[Path, Path]:
    """A root cooked three times while textures and a scene's image were edited; the sources as they are now."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        paint(src / f"t{i}_albedo.png", i)
    shutil.copytree(SHARED_ASSETS / "gltf/BoxTextured", src / "scene")
    root = tmp_path / "root"
    cook(src, root)
    for round_ in range(2):
        paint(src / "t1_albedo.png", 100 + round_)
        paint(src / "t4_albedo.png", 200 + round_, 64)
        logo = src / "scene/CesiumLogoFlat.png"
        Image.open(logo).rotate(90).save(logo)
        cook(src, root)
    return src, root


def test_compaction_keeps_the_live_content_and_trims_the_rest(recooked, tmp_path):
    src, root = recooked
    fresh = tmp_path / "fresh"
    cook(src, fresh)
    before_size = (root / "Resources/textures.data").stat().st_size
    dry = oxcook("compact", "--dry-run", str(root))
    assert dry.returncode == 0 and "would free" in dry.stdout
    assert (root / "Resources/textures.data").stat().st_size == before_size  # a dry run changes nothing
    inspected = json.loads(oxcook("inspect", "--json", str(root)).stdout)
    assert inspected["stale_bytes"]["textures.data"] > 0

    result = oxcook("compact", str(root))
    assert result.returncode == 0, result.stderr
    report = f.validate_container(CookedRootFiles(root))
    assert report.ok, [str(v) for v in report.violations]
    assert (root / "Resources/textures.data").stat().st_size <= (fresh / "Resources/textures.data").stat().st_size
    assert json.loads(oxcook("inspect", "--json", str(root)).stdout)["stale_bytes"] == {"textures.data": 0, "buffers.data": 0}
    assert materials(root) == materials(fresh)  # every slot points at the same pixels as a fresh cook
    assert geometry(root) == geometry(fresh)
    assert sidecar_payloads(root) == sidecar_payloads(fresh)
    assert f.parse_index((root / f.INDEX_FILE_NAME).read_bytes()).source_identity == uuid.UUID(KEY).bytes

    once = snapshot(root)
    again = oxcook("compact", str(root))
    assert again.returncode == 0 and snapshot(root) == once  # idempotent


@pytest.mark.parametrize("point", ["compact-data-written", "compact-descriptors-written", "before-index-rename"])
def test_a_killed_compaction_leaves_old_or_new(recooked, tmp_path, point):
    _, root = recooked
    old = snapshot(root)
    killed = oxcook("compact", str(root), env={"OXCOOK_FAILPOINT": point})
    assert killed.returncode == -9
    assert oxcook("repair", str(root)).returncode == 0
    assert f.validate_container(CookedRootFiles(root)).ok
    assert snapshot(root) == old  # the index had not been renamed: the old root, byte for byte
    assert oxcook("compact", str(root)).returncode == 0
    assert f.validate_container(CookedRootFiles(root)).ok


def test_a_killed_compaction_keeps_small_files_old_bytes_in_its_journal(recooked):
    """Sidecars and descriptors (a few bytes each) are backed up inside the journal's own records, not as a file
    each: the only backup files are the data files it moved aside; repair still restores every one."""
    _, root = recooked
    old = snapshot(root)
    killed = oxcook("compact", str(root), env={"OXCOOK_FAILPOINT": "compact-descriptors-written"})
    assert killed.returncode == -9
    journal = root / ".oxcook/journal"
    records = [json.loads(line) for line in (journal / "journal.jsonl").read_text().splitlines()[1:]]
    inline = [r["replaced"] for r in records if "inline" in r]
    assert any(name.endswith(".otex") for name in inline) and any(name.endswith(".omat") for name in inline)
    backups = sorted(p.name for p in journal.iterdir() if p.name != "journal.jsonl")
    assert len(backups) == len([r for r in records if r.get("backup")]) <= 4  # the data files and tables, nothing else
    assert oxcook("repair", str(root)).returncode == 0
    assert snapshot(root) == old


def test_cook_can_compact_when_stale_bytes_pass_a_threshold(recooked):
    src, root = recooked
    paint(src / "t2_albedo.png", 999)
    result = oxcook("cook", "--progress", "none", "--quality", "fast", "--no-cache", str(src), "-o", str(root), "--compact", "0.1")
    assert result.returncode == 0, result.stderr
    assert "compact" in result.stderr
    assert json.loads(oxcook("inspect", "--json", str(root)).stdout)["stale_bytes"]["textures.data"] == 0


@pytest.mark.parametrize("given", ["relative", "through a link"])
def test_a_root_named_relative_or_through_a_link_compacts_alone_and_after_a_cook(recooked, given):
    src, root = recooked
    name = root.name
    if given == "through a link":
        (root.parent / "link").symlink_to(root, target_is_directory=True)
        name = "link"
    expected = materials(root)

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "oxcook", *args], capture_output=True, text=True, cwd=root.parent, timeout=240)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
        return done

    done = run("compact", name)
    assert done.returncode == 0, done.stderr
    assert materials(root) == expected and not (root / ".oxcook/journal").exists()
    paint(src / "t2_albedo.png", 998)
    done = run("cook", "--progress", "none", "--quality", "fast", "--no-cache", str(src), "-o", name, "--compact", "0")
    assert done.returncode == 0, done.stderr
    assert json.loads(oxcook("inspect", "--json", str(root)).stdout)["stale_bytes"]["textures.data"] == 0


def test_a_compaction_that_would_write_an_invalid_container_is_refused_and_leaves_the_old_one(recooked, monkeypatch):
    from oxcook.coordinator._errors import CommitRefusedError
    from oxcook.coordinator.emit import _compact, compact_root

    src, root = recooked
    before = snapshot(root)
    layout = _compact._layout

    def past_the_end(rows, keep, alignment):  # a planning bug: the last payload placed past the data file's end
        out, end = layout(rows, keep, alignment)
        return out[:-1] + [out[-1]._replace(data_offset=end + f.TEXTURE_ALIGNMENT * 4)], end

    monkeypatch.setattr(_compact, "_layout", past_the_end)
    with pytest.raises(CommitRefusedError, match="breaks the loader's rules"):
        compact_root(root)
    assert snapshot(root) == before and not (root / ".oxcook/journal").exists()  # rolled back at once: every file as it was


def test_a_snapshot_made_with_hard_links_keeps_its_bytes_through_a_compaction(recooked, tmp_path):
    src, root = recooked
    snapshot_dir = tmp_path / "snapshot"  # as `cp -al` or `rsync --link-dest` keep a build's root
    for path in sorted(root.rglob("*")):
        if ".oxcook" in path.relative_to(root).parts:
            continue
        target = snapshot_dir / path.relative_to(root)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    before = snapshot(snapshot_dir)
    result = oxcook("compact", str(root))
    assert result.returncode == 0, result.stderr
    assert snapshot(snapshot_dir) == before  # the snapshot's sidecars and descriptors are its own still
    assert snapshot(root) != before and not (root / ".oxcook/journal").exists()
