"""``oxcook cook --dry-run``: the plan of a cook — each input's settings and where they came from, and whether
the build record or the cook cache answers it — with nothing written anywhere.

Real image files, real cooks through the CLI, a real shared-folder cache tier.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oxcook.coordinator import TextureSettings, expand_sources
from oxcook.coordinator.importers._sources import merge_settings
from tests.farm_fixtures import REPO, run_oxcook

MANIFEST = """\
[defaults]
mips = 4

[[textures]]
glob = "walls/*.png"
format = "rgba8"

[[textures]]
glob = "walls/brick*.png"
filter = "kaiser"
"""


def png(path: Path, seed: int, size: int = 32) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def project(folder: Path) -> Path:
    """A manifest over ``walls/`` (two rules and [defaults]) and a normal map named by its suffix."""
    png(folder / "walls" / "brick_albedo.png", 1)
    png(folder / "walls" / "plaster_albedo.png", 2)
    png(folder / "rock_n.png", 3, 64)
    (folder / "textures.toml").write_text(MANIFEST)
    return folder / "textures.toml"


def dry(*args: str) -> subprocess.CompletedProcess:
    return run_oxcook("cook", "--dry-run", "--progress", "none", *args)


def plan(*args: str) -> dict[str, dict]:
    """The JSON plan (``--log-format json``: one object per input on stdout), by source."""
    result = dry("--log-format", "json", *args)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(line["event"] == "plan" for line in lines)
    return {line["source"]: line for line in lines if line["kind"] != "summary"}


def cook(*args: str) -> subprocess.CompletedProcess:
    result = run_oxcook("cook", "--progress", "none", "--workers", "2", *args)
    assert result.returncode == 0, result.stderr
    return result


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry below ``folder``, files with bytes and mtime, folders and links too (nothing may appear, change or go)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        out[path.relative_to(folder).as_posix()] = (kind, st.st_mtime_ns, path.read_bytes() if kind == "file" else b"")
    return out


# --- where each setting came from (pure merge) --------------------------------------------------------


def test_merge_settings_names_the_layer_each_setting_came_from():
    merged, origins = merge_settings(
        [
            ("m.toml [defaults]", TextureSettings(format="bc7", mips="4")),
            ("m.toml rule 1", TextureSettings(format="rgba8")),
            ("m.toml rule 2", TextureSettings(filter="kaiser", format="")),  # "" is unset, as in TextureSettings.over
            ("command line", TextureSettings(quality="fast")),
        ]
    )
    assert merged == TextureSettings(format="rgba8", mips="4", filter="kaiser", quality="fast")
    assert origins == {"format": "m.toml rule 1", "mips": "m.toml [defaults]", "filter": "m.toml rule 2", "quality": "command line"}


def test_expanded_textures_carry_their_settings_origins(tmp_path):
    manifest = project(tmp_path / "p")
    found = expand_sources([manifest], TextureSettings(quality="fast", mips="2"))
    origins = {t.source_id: t.origins for t in found.textures}
    rules = f"{manifest} rule"
    assert origins["walls/brick_albedo.png"] == {
        "preset": "file name",
        "format": f'{rules} 1 (glob "walls/*.png")',
        "filter": f'{rules} 2 (glob "walls/brick*.png")',
        "mips": "command line",  # the command line beats [defaults]
        "quality": "command line",
    }
    assert origins["rock_n.png"] == {"preset": "file name", "mips": "command line", "quality": "command line"}
    found = expand_sources([manifest], TextureSettings(preset="data"))
    assert {t.origins["preset"] for t in found.textures} == {"command line"}
    assert found.textures[0].origins["mips"] == f"{manifest} [defaults]"


# --- the plan -----------------------------------------------------------------------------------------


def test_the_plan_names_the_rule_the_file_name_and_the_command_line(tmp_path):
    manifest = project(tmp_path / "p")
    out = tmp_path / "out"
    rows = plan(str(manifest), "-o", str(out), "--quality", "fast")
    brick, plaster, rock = rows["walls/brick_albedo.png"], rows["walls/plaster_albedo.png"], rows["rock_n.png"]
    assert brick["settings"]["format"] == f'{manifest} rule 1 (glob "walls/*.png")' and brick["format"] == "rgba8"
    assert brick["settings"]["filter"] == f'{manifest} rule 2 (glob "walls/brick*.png")'
    assert "filter" not in plaster["settings"]  # rule 2 does not match it: its filter is its preset's
    assert brick["settings"]["mips"] == f"{manifest} [defaults]" and brick["mips"] == 4
    assert rock["preset"] == "normal" and rock["settings"]["preset"] == "file name"
    assert rock["settings"]["quality"] == "command line" and rock["quality"] == "fast" and rock["format"] == "bc7"
    assert (rock["width"], rock["height"], rock["mips"]) == (64, 64, 4)  # [defaults] mips = 4 caps its 7 levels
    assert {r["plan"] for r in rows.values()} == {"cook"} and rock["reason"].startswith("new input")
    # the table says the same to a person
    table = dry(str(manifest), "-o", str(out), "--quality", "fast")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("rock_n.png"))
    assert lines[at].split()[:6] == ["rock_n.png", "normal", "bc7", "fast", "4", "64x64"] and "cook (new input" in lines[at]
    assert lines[at + 1].split(":", 1) == ["    settings from", f" preset: file name; mips: {manifest} [defaults]; quality: command line"]
    assert 'format: ' + f'{manifest} rule 1 (glob "walls/*.png")' in table.stdout
    assert "3 to cook" in table.stdout and not out.exists()


def test_after_a_cook_everything_is_unchanged_and_an_edit_is_the_one_to_cook(tmp_path):
    manifest = project(tmp_path / "p")
    out, cache = tmp_path / "out", tmp_path / "cache"
    cook(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache))
    rows = plan(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache))
    assert {r["plan"] for r in rows.values()} == {"unchanged"}
    assert rows["rock_n.png"]["format"] == "bc7" and rows["rock_n.png"]["mips"] == 4  # the record's facts

    png(tmp_path / "p" / "rock_n.png", 99, 64)  # new content: neither the record nor the cache has it
    rows = plan(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache))
    assert rows["rock_n.png"]["plan"] == "cook" and "source changed" in rows["rock_n.png"]["reason"]
    assert "cache: source changed" in rows["rock_n.png"]["reason"]
    assert {rows[s]["plan"] for s in ("walls/brick_albedo.png", "walls/plaster_albedo.png")} == {"unchanged"}

    png(tmp_path / "p" / "rock_n.png", 3, 64)  # back to the bytes cooked: a new stamp, but the cache has them
    rows = plan(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache))
    assert rows["rock_n.png"]["plan"] == "cache-hit" and rows["rock_n.png"]["tier"] == "local"

    rows = plan(str(manifest), "-o", str(out), "--quality", "high", "--cache", str(cache))  # another BC7 effort: the BC7 texture only
    assert {s: r["plan"] for s, r in rows.items()} == {"rock_n.png": "cook", "walls/brick_albedo.png": "unchanged", "walls/plaster_albedo.png": "unchanged"}
    assert "settings changed" in rows["rock_n.png"]["reason"] and "quality: fast → high" in rows["rock_n.png"]["reason"]


def test_a_cache_filled_by_a_cook_into_another_root_answers_the_plan(tmp_path):
    manifest = project(tmp_path / "p")
    cache, shared = tmp_path / "cache", tmp_path / "shared"
    cook(str(manifest), "-o", str(tmp_path / "a"), "--quality", "fast", "--cache", str(cache), "--shared-cache", str(shared))
    rows = plan(str(manifest), "-o", str(tmp_path / "b"), "--quality", "fast", "--cache", str(cache))
    assert {(r["plan"], r["tier"]) for r in rows.values()} == {("cache-hit", "local")}
    rows = plan(str(manifest), "-o", str(tmp_path / "b"), "--quality", "fast", "--cache", str(tmp_path / "empty"), "--shared-cache", str(shared))
    assert {(r["plan"], r["tier"]) for r in rows.values()} == {("cache-hit", "shared")}
    rows = plan(str(manifest), "-o", str(tmp_path / "b"), "--quality", "fast", "--no-cache")
    assert {r["plan"] for r in rows.values()} == {"cook"} and "cache off" in rows["rock_n.png"]["reason"]
    table = dry(str(manifest), "-o", str(tmp_path / "b"), "--quality", "fast", "--cache", str(cache))
    assert table.stdout.count("cache hit (local)") == 3
    assert not (tmp_path / "b").exists() and not (tmp_path / "empty").exists()


def test_a_dry_run_changes_no_byte_and_no_time_in_the_root_or_the_caches(tmp_path):
    manifest = project(tmp_path / "p")
    out, cache, shared = tmp_path / "out", tmp_path / "cache", tmp_path / "shared"
    cook(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache), "--shared-cache", str(shared))
    png(tmp_path / "p" / "walls" / "brick_albedo.png", 7)  # one to cook, so the cache is asked too
    (tmp_path / "p" / "walls" / "gone_albedo.png").unlink(missing_ok=True)
    before = {name: tree(folder) for name, folder in (("root", out), ("cache", cache), ("shared", shared), ("sources", tmp_path / "p"))}
    assert any(name.startswith(".oxcook/") for name in before["root"]) and any(".oxc" in name for name in before["cache"])
    for log_format in ("text", "json"):
        result = dry(str(manifest), "-o", str(out), "--quality", "fast", "--cache", str(cache), "--shared-cache", str(shared), "--log-format", log_format)
        assert result.returncode == 0, result.stderr
    after = {name: tree(folder) for name, folder in (("root", out), ("cache", cache), ("shared", shared), ("sources", tmp_path / "p"))}
    assert after == before


def test_a_dry_run_into_a_new_folder_creates_nothing(tmp_path):
    manifest = project(tmp_path / "p")
    out, cache = tmp_path / "new" / "out", tmp_path / "new-cache"
    result = dry(str(manifest), "-o", str(out), "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "new").exists() and not cache.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


@pytest.mark.parametrize(
    "args, named",
    [
        (["--quality", "bogus"], "--quality"),
        (["--format", "rgb9"], "format"),
        (["--mips", "lots"], "mips"),
        (["--report", "{tmp}/r.json"], "--report"),
        (["--junit", "{tmp}/j.xml"], "--junit"),
        (["--no-quality", "--min-psnr", "30"], "--no-quality"),
    ],
)
def test_usage_errors_with_dry_run_still_exit_2(tmp_path, args, named):
    manifest = project(tmp_path / "p")
    result = dry(str(manifest), "-o", str(tmp_path / "out"), *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr and result.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.json").exists() and not (tmp_path / "j.xml").exists()


def test_an_output_that_is_a_file_is_refused_with_dry_run(tmp_path):
    manifest = project(tmp_path / "p")
    (tmp_path / "out").write_text("not a root")
    result = dry(str(manifest), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "is a file" in result.stderr


def test_bad_textures_appear_with_their_problem(tmp_path, shared_assets):
    src = tmp_path / "src"
    png(src / "good_albedo.png", 1)
    for name in ("made_empty.png", "pillow_broken.png", "pngsuite_xs1n0g01_bad_signature.png", "pngsuite_xcsn0g01_bad_idat_crc.png"):
        shutil.copy(shared_assets / "bad" / name, src / name)
    rows = plan(str(src), "-o", str(tmp_path / "out"))
    assert rows["good_albedo.png"]["plan"] == "cook" and not rows["good_albedo.png"]["problem"]
    assert rows["made_empty.png"]["plan"] == "fail" and "empty" in rows["made_empty.png"]["problem"]
    assert rows["pngsuite_xs1n0g01_bad_signature.png"]["plan"] == "fail"
    assert "not an image format oxcook reads" in rows["pngsuite_xs1n0g01_bad_signature.png"]["problem"]
    assert rows["pillow_broken.png"]["plan"] == "fail" and "header" in rows["pillow_broken.png"]["problem"]
    bad_crc = rows["pngsuite_xcsn0g01_bad_idat_crc.png"]  # its header is sound: only decoding finds the bad CRC
    assert bad_crc["plan"] == "cook" and (bad_crc["width"], bad_crc["height"]) == (32, 32)
    table = dry(str(src), "-o", str(tmp_path / "out"))
    assert table.returncode == 0 and "Traceback" not in table.stderr
    assert "made_empty.png" in table.stdout and "the file is empty" in table.stdout
    assert not (tmp_path / "out").exists()


def test_scenes_and_missing_inputs_are_in_the_plan(tmp_path, shared_assets):
    src = tmp_path / "src"
    shutil.copytree(shared_assets / "gltf" / "BoxTextured-Binary", src / "box")
    png(src / "a_albedo.png", 1)
    png(src / "b_albedo.png", 2)
    out = tmp_path / "out"
    rows = plan(str(src), "-o", str(out))
    scene = next(r for r in rows.values() if r["kind"] == "scene")
    assert scene["plan"] == "cook" and scene["reason"] == "new input" and scene["source"].endswith(".glb")
    cook(str(src), "-o", str(out), "--quality", "fast")
    (src / "b_albedo.png").unlink()
    rows = plan(str(src), "-o", str(out), "--quality", "fast")
    assert {r["kind"]: r["plan"] for r in rows.values() if r["kind"] != "texture"} == {"scene": "unchanged", "missing": "keep"}
    assert rows["b_albedo.png"]["kind"] == "missing" and rows["a_albedo.png"]["plan"] == "unchanged"
    assert plan(str(src), "-o", str(out), "--quality", "fast", "--prune")["b_albedo.png"]["plan"] == "prune"
    scene = next(r for r in plan(str(src), "-o", str(out)).values() if r["kind"] == "scene")  # a scene is cooked under the command line's options
    assert scene["plan"] == "cook" and scene["reason"] == "settings changed"


def test_a_plan_of_unchanged_inputs_loads_no_cooking_stack(tmp_path):
    manifest = project(tmp_path / "p")
    out = tmp_path / "out"
    cook(str(manifest), "-o", str(out), "--quality", "fast")
    command = [sys.executable, "-X", "importtime", "-m", "oxcook", "cook", "--dry-run", str(manifest), "-o", str(out), "--quality", "fast"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "oxcook.coordinator.cli._cook" in loaded
    for heavy in ("numpy", "PIL", "ispc_texcomp", "celery", "oxcook.coordinator._service", "oxcook.coordinator._fork_server"):
        assert heavy not in loaded, heavy


def test_a_plan_of_new_png_textures_loads_no_numpy_pillow_or_celery(tmp_path):
    manifest = project(tmp_path / "p")
    command = [sys.executable, "-X", "importtime", "-m", "oxcook", "cook", "--dry-run", str(manifest), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    for heavy in ("numpy", "PIL", "imagecodecs", "celery", "oxcook.worker._bcn", "oxcook.coordinator._service", "oxcook.coordinator._fork_server"):
        assert heavy not in loaded, heavy
