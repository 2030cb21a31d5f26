"""Incremental cooking through ``oxcook cook``: the root's build record vouches for unchanged inputs.

A no-op reads and writes nothing and loads no cooking stack; every real change
is caught (content behind a kept mtime, a replaced file, a setting, a version,
a scene's dependency); a damaged record is ignored with a warning; an edit-one
re-cook writes exactly what a full re-cook would.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from oxcook.coordinator.cache import pack_record, unpack_record
from oxcook.formats import otex_relpath, unpack_otex
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import REPO, run_oxcook
from tests.helpers import snapshot

RECORD = ".oxcook/build-record.msgpack"


def cook(*args: str) -> tuple[int, dict, str]:
    """Cook into a root with a report; (exit code, the report, stderr)."""
    *rest, report = args
    result = run_oxcook("cook", "--progress", "none", "--quality", "fast", "--workers", "2", *rest, "--report", report)
    return result.returncode, json.loads(Path(report).read_text()), result.stderr


def textures(report: dict) -> dict[str, dict]:
    return {t["source"]: t for job in report["jobs"] for t in job["textures"]}


def bmp(path: Path, seed: int, size: int = 16) -> None:
    """An uncompressed image: another seed gives other bytes of the same size."""
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)


def project(folder: Path, n: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        bmp(folder / f"t{i}_albedo.bmp", i)
    return folder


def files_with_times(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a root with its mtime (the lock file, rewritten by every cook that takes it, excluded)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file() and p.name != "lock"}


def test_a_no_op_reads_nothing_writes_nothing_and_says_unchanged(tmp_path):
    src = project(tmp_path / "src")
    code, _, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))
    assert code == 0, err
    before = files_with_times(tmp_path / "out")
    assert RECORD in before
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert files_with_times(tmp_path / "out") == before  # bytes and mtimes: nothing rewritten
    assert {t["status"] for t in textures(report).values()} == {"unchanged"}
    assert report["totals"]["unchanged"] == 4 and report["totals"]["encoded"] == 0
    assert "4 unchanged" in err


def test_a_no_op_loads_no_cooking_stack(tmp_path):
    src = project(tmp_path / "src", 2)
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    command = [sys.executable, "-X", "importtime", "-m", "oxcook", "cook", str(src), "-o", str(tmp_path / "out"), "--quality", "fast", "--progress", "none"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "oxcook.coordinator.cli._cook" in loaded  # the probe sees the command's imports
    for heavy in ("numpy", "PIL", "ispc_texcomp", "celery", "oxcook.worker.cook._bcn", "oxcook.coordinator._service", "oxcook.coordinator.backends._fork_server"):
        assert heavy not in loaded, heavy


def test_content_edited_within_the_cooks_clock_tick_is_cooked_again(tmp_path):
    """Racy timestamps: a file whose mtime is not older than the cook that read it cannot be vouched for by its stamp."""
    src = project(tmp_path / "src")
    victim = src / "t1_albedo.bmp"
    future = (2**31 - 10) * 10**9  # not older than any cook: as if written in the tick the cook read it
    os.utime(victim, ns=(future, future))
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    inode = victim.stat().st_ino
    bmp(tmp_path / "other.bmp", 99)
    with open(victim, "r+b") as fh:  # other pixels, same size, same inode ...
        fh.write((tmp_path / "other.bmp").read_bytes())
    os.utime(victim, ns=(future, future))  # ... and the same mtime
    assert victim.stat().st_ino == inode
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0, err
    entry = textures(report)["t1_albedo.bmp"]
    # racy, and its ctime moved too (a write always moves it; the racy rule is what holds when a write lands in the
    # very tick the record stamped, which a test cannot arrange: tests/coordinator/cache/test_build_record.py checks the rule)
    assert entry["status"] == "cooked" and ("racy" in entry["why"] or "ctime" in entry["why"]), entry["why"]
    assert {t["status"] for s, t in textures(report).items() if s != "t1_albedo.bmp"} == {"unchanged"}
    fresh = tmp_path / "fresh"
    shutil.copy(victim, project(fresh, 0) / "t1_albedo.bmp")
    _, alone, _ = cook(str(fresh), "-o", str(tmp_path / "alone"), str(tmp_path / "r3.json"))
    assert entry["bytes"] == textures(alone)["t1_albedo.bmp"]["bytes"]
    assert _payload_hash(tmp_path / "out", entry["index"]) == _payload_hash(tmp_path / "alone", textures(alone)["t1_albedo.bmp"]["index"])


def _payload_hash(root: Path, index: int) -> bytes:
    from tests.helpers import read_texture

    return read_texture(root, index)[0].content_hash


def test_a_file_replaced_by_rename_is_cooked_again(tmp_path):
    src = project(tmp_path / "src")
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    victim = src / "t2_albedo.bmp"
    old = victim.stat()
    bmp(tmp_path / "new.bmp", 77)
    os.utime(tmp_path / "new.bmp", ns=(old.st_atime_ns, old.st_mtime_ns))  # same size, same mtime: only the inode tells
    os.replace(tmp_path / "new.bmp", victim)
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert textures(report)["t2_albedo.bmp"]["status"] == "cooked" and "inode" in textures(report)["t2_albedo.bmp"]["why"]
    assert sum(t["status"] == "unchanged" for t in textures(report).values()) == 3


def test_a_changed_command_line_setting_cooks_every_texture_again(tmp_path):
    src = project(tmp_path / "src")
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), "--mips", "1", str(tmp_path / "r2.json"))
    assert code == 0, err
    assert {(t["status"], t["why"], t["mips"]) for t in textures(report).values()} == {("cooked", "settings changed", 1)}


def test_a_changed_manifest_rule_cooks_only_what_it_matches_again(tmp_path):
    src = project(tmp_path / "src")
    manifest = src / "cook.toml"
    manifest.write_text('[[textures]]\nglob = "*.bmp"\npreset = "albedo"\n')
    assert cook(str(manifest), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    manifest.write_text('[[textures]]\nglob = "*.bmp"\npreset = "albedo"\n\n[[textures]]\nglob = "t3_*"\npreset = "ui"\n')
    code, report, err = cook(str(manifest), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert textures(report)["t3_albedo.bmp"]["status"] == "cooked" and textures(report)["t3_albedo.bmp"]["preset"] == "ui"
    assert sum(t["status"] == "unchanged" for t in textures(report).values()) == 3


def test_a_record_of_another_oxcook_or_encoder_version_vouches_for_nothing(tmp_path):
    src = project(tmp_path / "src")
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    path = tmp_path / "out" / RECORD
    record = unpack_record(path.read_bytes())
    path.write_bytes(pack_record(dataclasses.replace(record, versions={**record.versions, "encoder": "ispc_texcomp 0.9"})))
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert all(t["status"] == "cooked" and "version changed" in t["why"] for t in textures(report).values())
    assert unpack_record(path.read_bytes()).versions == record.versions  # the new record names this oxcook's


def test_a_changed_scene_dependency_cooks_the_scene_again(tmp_path):
    box = tmp_path / "box"
    shutil.copytree(SHARED_ASSETS / "gltf" / "BoxTextured", box)
    scene = box / "BoxTextured.gltf"
    assert cook(str(scene), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    code, report, err = cook(str(scene), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 0 and report["jobs"][0]["unchanged"], err
    image = next(box.glob("*.png"))
    Image.open(image).convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(image)
    code, report, err = cook(str(scene), "-o", str(tmp_path / "out"), str(tmp_path / "r3.json"))
    assert code == 0 and not report["jobs"][0]["unchanged"] and report["jobs"][0]["materials_written"] == 1, err
    binary = next(box.glob("*.bin"))
    binary.write_bytes(binary.read_bytes())  # rewritten: a new mtime
    os.utime(binary, ns=(binary.stat().st_atime_ns, binary.stat().st_mtime_ns + 10**9))
    code, report, err = cook(str(scene), "-o", str(tmp_path / "out"), str(tmp_path / "r4.json"))
    assert code == 0 and not report["jobs"][0]["unchanged"] and report["jobs"][0]["geometry_written"] == 1, err


def test_a_root_edited_behind_oxcooks_back_is_found_by_verify_and_rebuilt_without_the_record(tmp_path):
    src = project(tmp_path / "src")
    out = tmp_path / "out"
    assert cook(str(src), "-o", str(out), str(tmp_path / "r1.json"))[0] == 0
    data = out / "Resources" / "textures.data"
    damaged = bytearray(data.read_bytes())
    damaged[-100] ^= 0xFF
    data.write_bytes(bytes(damaged))
    assert run_oxcook("inspect", str(out), "--verify").returncode == 1
    code, report, err = cook(str(src), "-o", str(out), "--rebuild", str(tmp_path / "r2.json"))
    assert code == 0, err
    assert {t["status"] for t in textures(report).values()} == {"cooked"}


def test_a_deleted_input_is_named_missing_and_prune_forgets_it(tmp_path):
    src = project(tmp_path / "src")
    out = tmp_path / "out"
    assert cook(str(src), "-o", str(out), str(tmp_path / "r1.json"))[0] == 0
    (src / "t0_albedo.bmp").unlink()
    code, report, err = cook(str(src), "-o", str(out), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert report["jobs"][0]["missing"] == [{"input": "t0_albedo.bmp", "status": "missing since the last cook"}]
    assert "t0_albedo.bmp: missing since the last cook" in err
    sidecar = out / otex_relpath("t0_albedo.bmp")
    assert sidecar.is_file()  # named, not dropped, until asked to
    code, report, err = cook(str(src), "-o", str(out), "--prune", str(tmp_path / "r3.json"))
    assert code == 0, err
    assert not sidecar.exists()
    assert "t0_albedo.bmp" not in unpack_record((out / RECORD).read_bytes()).textures
    assert run_oxcook("inspect", str(out)).returncode == 0
    code, report, err = cook(str(src), "-o", str(out), str(tmp_path / "r4.json"))
    assert code == 0 and report["jobs"][0]["missing"] == [] and "missing" not in err


def test_a_damaged_record_is_ignored_with_a_warning_and_everything_is_checked_again(tmp_path):
    src = project(tmp_path / "src")
    other = tmp_path / "other"
    assert cook(str(project(tmp_path / "src2", 1)), "-o", str(other), str(tmp_path / "r0.json"))[0] == 0
    out = tmp_path / "out"
    assert cook(str(src), "-o", str(out), str(tmp_path / "r1.json"))[0] == 0
    good = (out / RECORD).read_bytes()
    for damage in (good[: len(good) // 2], b"\x93garbage" * 10, (other / RECORD).read_bytes()):
        (out / RECORD).write_bytes(damage)
        code, report, err = cook(str(src), "-o", str(out), str(tmp_path / "r2.json"))
        assert code == 0, err
        assert "build record ignored" in err
        assert {t["status"] for t in textures(report).values()} == {"cooked"}
        assert unpack_record((out / RECORD).read_bytes()).textures.keys() == textures(report).keys()  # a good record again


def test_a_texture_that_failed_is_never_vouched_for(tmp_path):
    src = project(tmp_path / "src", 2)
    (src / "broken_albedo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 1
    code, report, _ = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))
    assert code == 1 and textures(report)["broken_albedo.png"]["status"] == "cooked"


def test_an_edit_one_re_cook_writes_what_a_full_re_cook_writes(tmp_path):
    src = project(tmp_path / "src", 6)
    first = tmp_path / "a"
    assert cook(str(src), "-o", str(first), str(tmp_path / "r1.json"))[0] == 0
    second = tmp_path / "b"
    shutil.copytree(first, second)
    bmp(src / "t4_albedo.bmp", 1000)
    code, report, err = cook(str(src), "-o", str(first), str(tmp_path / "r2.json"))
    assert code == 0, err
    assert report["totals"]["unchanged"] == 5 and report["totals"]["cooked"] == 1
    code, full, err = cook(str(src), "-o", str(second), "--rebuild", str(tmp_path / "r3.json"))
    assert code == 0 and full["totals"]["unchanged"] == 0, err
    assert snapshot(first) == snapshot(second)


def test_content_edited_with_size_mtime_and_inode_restored_is_cooked_again_and_never_served_from_the_cache(tmp_path):
    """A tool can put back a file's size and mtime (``touch -d``, ``cp -p``, ``rsync -t``) but never its ctime: the
    build record and the cache's stat cache both see the edit, so neither the root nor a fresh root gets stale bytes."""
    src, cache = project(tmp_path / "src"), str(tmp_path / "cache")
    victim = src / "t1_albedo.bmp"
    past = victim.stat().st_mtime_ns - 10**9 * 3600  # an hour old: not racy
    os.utime(victim, ns=(past, past))
    assert cook(str(src), "-o", str(tmp_path / "out"), "--cache", cache, str(tmp_path / "r1.json"))[0] == 0
    before = victim.stat()
    bmp(tmp_path / "other.bmp", 99)
    with open(victim, "r+b") as fh:  # other pixels, same size, same inode, same mtime
        fh.write((tmp_path / "other.bmp").read_bytes())
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (victim.stat().st_size, victim.stat().st_mtime_ns, victim.stat().st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)

    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), "--cache", cache, str(tmp_path / "r2.json"))
    assert code == 0, err
    entry = textures(report)["t1_albedo.bmp"]
    assert entry["status"] == "cooked" and "ctime" in entry["why"] and entry["cache"] == "miss", entry
    _, fresh, _ = cook(str(src), "-o", str(tmp_path / "fresh"), "--cache", cache, str(tmp_path / "r3.json"))
    _, uncached, _ = cook(str(src), "-o", str(tmp_path / "uncached"), "--no-cache", str(tmp_path / "r4.json"))
    got, want = textures(fresh)["t1_albedo.bmp"], textures(uncached)["t1_albedo.bmp"]
    assert _payload_hash(tmp_path / "fresh", got["index"]) == _payload_hash(tmp_path / "uncached", want["index"])
    assert _payload_hash(tmp_path / "out", entry["index"]) == _payload_hash(tmp_path / "uncached", want["index"])


def test_a_record_that_is_a_fifo_or_a_link_to_a_device_is_ignored_with_a_warning(tmp_path):
    src = project(tmp_path / "src")
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    record = tmp_path / "out" / RECORD
    for make, named in ((os.mkfifo, "FIFO"), (lambda p: os.symlink("/dev/zero", p), "symbolic link")):
        record.unlink()
        make(record)
        code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))  # bounded: run_oxcook times out
        assert code == 0 and named in err and "Traceback" not in err, err
        assert {t["status"] for t in textures(report).values()} == {"cooked"}  # nothing vouched for: every input checked again


def test_after_a_compaction_the_unchanged_inputs_are_still_unchanged(tmp_path):
    """Compaction renumbers rows and rewrites the index: it carries the record over, so the next cook is still a no-op."""
    src = project(tmp_path / "src")
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r1.json"))[0] == 0
    bmp(src / "t2_albedo.bmp", 222)  # a stale row for compaction to drop, so the rows after it move
    assert cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r2.json"))[0] == 0
    compacted = run_oxcook("compact", str(tmp_path / "out"))
    assert compacted.returncode == 0 and "freed" in compacted.stdout, compacted.stderr
    before = files_with_times(tmp_path / "out")
    code, report, err = cook(str(src), "-o", str(tmp_path / "out"), str(tmp_path / "r3.json"))
    assert code == 0 and "build-record" not in err, err
    assert {t["status"] for t in textures(report).values()} == {"unchanged"}
    assert files_with_times(tmp_path / "out") == before
    sidecars = {s: unpack_otex((tmp_path / "out" / otex_relpath(s)).read_bytes()).resource_index for s in textures(report)}
    assert {s: t["index"] for s, t in textures(report).items()} == sidecars  # the record's rows are the compacted ones


def _plan_then_cook(src: Path, root: Path, between) -> dict[str, str]:
    """Plan a cook of ``src`` into ``root`` as ``oxcook cook`` does, run ``between()``, then the textures' job with
    the plan's verdicts (in this process); each texture's status."""
    from oxcook.coordinator import AssetImporter, Config, TextureImportRequest, expand_sources
    from oxcook.coordinator._types import ImportOptions, TextureSettings
    from oxcook.coordinator.cli._up_to_date import plan_cook
    from oxcook.worker import default_encoder_target

    settings = TextureSettings(quality="fast")
    found = expand_sources([src], settings)
    plan = plan_cook(root, found, settings, default_encoder_target())
    assert plan.textures_to_cook and plan.textures_planned is not None
    between()
    request = TextureImportRequest(textures=tuple(found.textures), cooked_root=root, options=ImportOptions(textures=settings), planned=plan.textures_planned)
    report = AssetImporter(Config(thread_pool_size=2)).import_to_loose_cooked(request)
    assert report.success, report.diagnostics
    return {t.source_id: t.status for t in report.textures}


def test_a_texture_edited_after_planning_is_never_vouched_for_with_its_old_row(tmp_path):
    """The job takes the plan's verdicts when the root's record is the one they were made against: an input edited
    after the plan stamped it keeps its old stamps in the record, so the next cook cooks it, and the root ends as a
    full re-cook of the edited sources leaves it."""
    src = project(tmp_path / "src")
    root, full = tmp_path / "out", tmp_path / "full"
    assert cook(str(src), "-o", str(root), str(tmp_path / "r1.json"))[0] == 0
    shutil.copytree(root, full)
    bmp(src / "t1_albedo.bmp", 101)
    status = _plan_then_cook(src, root, lambda: bmp(src / "t2_albedo.bmp", 102))
    assert status["t1_albedo.bmp"] == "cooked"
    code, report, err = cook(str(src), "-o", str(root), str(tmp_path / "r2.json"))
    assert code == 0, err
    edited_late = textures(report)["t2_albedo.bmp"]
    assert status["t2_albedo.bmp"] == "cooked" or edited_late["status"] == "cooked"  # by this cook's job or the next cook
    code, report, err = cook(str(src), "-o", str(root), str(tmp_path / "r3.json"))
    assert code == 0 and report["totals"]["unchanged"] == 4, err
    assert cook(str(src), "-o", str(full), "--rebuild", str(tmp_path / "r4.json"))[0] == 0
    assert snapshot(root) == snapshot(full)


def test_the_plans_verdicts_are_not_used_against_a_record_written_after_the_plan(tmp_path):
    """Another cook commits into the root between the plan and the job: the job stats every input again."""
    src = project(tmp_path / "src")
    root = tmp_path / "out"
    assert cook(str(src), "-o", str(root), str(tmp_path / "r1.json"))[0] == 0
    bmp(src / "t1_albedo.bmp", 101)

    def another_cook_then_an_edit() -> None:
        assert cook(str(src), "-o", str(root), str(tmp_path / "r2.json"))[0] == 0  # cooks t1, writes a new record
        bmp(src / "t2_albedo.bmp", 102)

    status = _plan_then_cook(src, root, another_cook_then_an_edit)
    assert status["t1_albedo.bmp"] == "unchanged" and status["t2_albedo.bmp"] == "cooked"
    assert status["t0_albedo.bmp"] == status["t3_albedo.bmp"] == "unchanged"


def test_the_plan_says_once_as_soon_as_it_finds_work_and_never_for_a_no_op(tmp_path):
    """``on_work`` lets the command start the pool's processes while the plan still stats the other inputs."""
    from oxcook.coordinator import expand_sources
    from oxcook.coordinator._types import TextureSettings
    from oxcook.coordinator.cli._up_to_date import plan_cook
    from oxcook.worker import default_encoder_target

    src, root = project(tmp_path / "src"), tmp_path / "out"
    settings = TextureSettings(quality="fast")
    calls: list[int] = []

    def plan():
        return plan_cook(root, expand_sources([src], settings), settings, default_encoder_target(), on_work=lambda: calls.append(1))

    assert plan().textures_to_cook and calls == [1]  # a fresh root
    assert cook(str(src), "-o", str(root), str(tmp_path / "r1.json"))[0] == 0
    calls.clear()
    assert plan().nothing_to_do and calls == []
    bmp(src / "t0_albedo.bmp", 100)
    bmp(src / "t2_albedo.bmp", 102)
    assert plan().textures_to_cook and calls == [1]
