"""``oxcook cache verify``: a share of a tier's entries cooked again here and compared byte for byte.

Real cooks through the CLI fill a local tier and a shared folder tier; a
poisoned entry — another cook's bytes, framed and hashed as a real entry, said
to come from a farm worker — is planted at one entry's path. The audit names
it and whoever cooked it, discards it and exits 1; entries it cannot cook
again are listed with the reason, never passed in silence.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook.worker.cache import pack_entry, read_entry
from oxcook.worker.wire import TextureResult
from tests.farm_fixtures import run_oxcook
from tests.lying_worker import repacked, rotate_blocks

TEXTURES = 3


def sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(TEXTURES):
        Image.fromarray(np.random.default_rng(70 + i).integers(0, 256, (64, 64 + 8 * i, 3), dtype=np.uint8)).save(folder / f"t{i}_albedo.png")
    return folder


def entry_files(folder: Path) -> list[Path]:
    return sorted((folder / "entries").rglob("*.oxc"))


def audit(*args: str) -> subprocess.CompletedProcess:
    return run_oxcook("cache", "verify", *args, timeout=120)


@pytest.fixture
def cooked(tmp_path):
    src = sources(tmp_path / "src")
    local, shared = tmp_path / "cache", tmp_path / "shared"
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", str(src), "-o", str(tmp_path / "root"), "--cache", str(local), "--shared-cache", str(shared))
    assert result.returncode == 0, result.stderr
    assert len(entry_files(local)) == len(entry_files(shared)) == TEXTURES
    return src, local, shared


def plant(path: Path, *, cooked_by: str, keep_recipe: bool = True) -> None:
    """A poisoned entry at ``path``: its blocks rotated and hashed again, framed and checksummed like a real one."""
    entry = read_entry(path.read_bytes(), path.stem, TextureResult)
    lie = dataclasses.replace(entry.result, cooked=repacked(entry.result.cooked, rotate_blocks))
    assert lie.cooked.payload != entry.result.cooked.payload
    path.write_bytes(pack_entry(lie, key=path.stem, cooked_by=cooked_by, recipe=entry.recipe if keep_recipe else None))


def test_entries_record_who_cooked_them_and_what_re_cooking_needs(cooked):
    src, local, shared = cooked
    for path in entry_files(local) + entry_files(shared):
        entry = read_entry(path.read_bytes(), path.stem, TextureResult)
        assert entry.cooked_by == "local"
        assert entry.recipe is not None and Path(entry.recipe.paths[0]).parent == src.resolve()


def test_a_poisoned_entry_in_a_shared_folder_is_found_named_and_discarded(cooked):
    _, _, shared = cooked
    poisoned = entry_files(shared)[1]
    plant(poisoned, cooked_by="mallory@farm")
    result = audit("--tier", "shared", "--shared-cache", str(shared), "--fraction", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "mismatch" in line and poisoned.stem in line]
    assert len(lines) == 1 and "mallory@farm" in lines[0], result.stdout
    assert not poisoned.exists()
    assert len(entry_files(shared)) == TEXTURES - 1  # the honest ones stay
    again = audit("--tier", "shared", "--shared-cache", str(shared), "--fraction", "1")
    assert again.returncode == 0, again.stdout
    assert "0 mismatches" in again.stdout


def test_the_local_tier_is_audited_by_default(cooked):
    _, local, _ = cooked
    poisoned = entry_files(local)[0]
    plant(poisoned, cooked_by="local")
    result = audit("--cache", str(local))
    assert result.returncode == 1 and poisoned.stem in result.stdout, result.stdout
    assert not poisoned.exists()


def test_entries_that_cannot_be_cooked_again_are_listed_with_why(cooked):
    src, _, shared = cooked
    files = entry_files(shared)
    plant(files[0], cooked_by="mallory@farm", keep_recipe=False)
    changed = Path(read_entry(files[1].read_bytes(), files[1].stem, TextureResult).recipe.paths[0])
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(changed)
    result = audit("--tier", "shared", "--shared-cache", str(shared), "--fraction", "1")
    assert result.returncode == 0, result.stdout + result.stderr  # nothing found to differ ...
    unaudited = [line for line in result.stdout.splitlines() if ": not audited " in line]
    assert len(unaudited) == 2, result.stdout  # ... but two entries were not checked, and it says so
    assert any(files[0].stem in line and "does not record its source" in line for line in unaudited), unaudited
    assert any(files[1].stem in line and "changed" in line for line in unaudited), unaudited
    assert "2 not audited" in result.stdout
    assert files[0].exists() and files[1].exists()


def test_a_share_of_entries_is_audited(cooked):
    _, _, shared = cooked
    result = audit("--tier", "shared", "--shared-cache", str(shared), "--fraction", "0")
    assert result.returncode == 0 and "0 audited" in result.stdout, result.stdout


@pytest.mark.parametrize("args", [("--fraction", "2"), ("--tier", "remote")])
def test_bad_options_are_refused(tmp_path, args):
    result = audit("--cache", str(tmp_path / "cache"), *args)
    assert result.returncode == 2, result.stderr


def test_an_entry_of_an_older_format_is_listed_as_not_audited_never_as_corrupt(cooked):
    # after an upgrade every entry is of an older frame: that is no damage, and the audit must not cry corruption
    _, _, shared = cooked
    files = entry_files(shared)
    data = bytearray(files[0].read_bytes())
    data[4] -= 1  # the frame version byte: an older oxcook's entry
    files[0].write_bytes(bytes(data))
    result = audit("--tier", "shared", "--shared-cache", str(shared), "--fraction", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = [line for line in result.stdout.splitlines() if files[0].stem in line]
    assert ": not audited " in line and "older" in line and "corrupt" not in line.lower(), line
    assert files[0].exists()
