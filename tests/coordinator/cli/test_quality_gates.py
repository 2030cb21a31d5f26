"""Quality figures through ``oxcook cook`` and the gates on them: real photos, real cooks through the CLI.

The figures are in the report, the ``-v`` lines, the JSON log, JUnit and the
metrics; a cache hit has them without cooking; ``--no-quality`` has none and
writes the same bytes; a texture below a gate is an error (exit 1) and is still
written; a gate is no part of the cache key; a bad gate is exit 2.
"""

from __future__ import annotations

import json
import shutil
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oxcook import formats as f
from oxcook.coordinator import TextureSettings
from oxcook.coordinator.importers._gates import gate_failures
from oxcook.coordinator._types import QualityGates
from oxcook.worker.cook import QualityFigures
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import run_oxcook
from tests.helpers import read_report, read_texture, snapshot

KEY = str(uuid.UUID(bytes=f.new_source_key()))
PHOTOS = {"photo_albedo.jpg": "images/jpeg/testorig.jpg", "hopper_albedo.png": "images/png/hopper.png", "bottle_n.png": "gltf/WaterBottle/WaterBottle_normal.png"}


def cook(*args: str) -> object:
    return run_oxcook("cook", "--progress", "none", "--quality", "fast", "--source-key", KEY, *args)


@pytest.fixture
def src(tmp_path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name, rel in PHOTOS.items():
        shutil.copy(SHARED_ASSETS / rel, folder / name)
    return folder


def entries(report: Path) -> dict[str, dict]:
    return {t["source"]: t for t in read_report(report)["textures"]}


def test_figures_in_every_output_and_a_cache_hit_has_the_same(tmp_path, src):
    out, cache = tmp_path / "out", tmp_path / "cache"
    out.mkdir()
    cold = cook(str(src), "-o", str(tmp_path / "cold"), "--cache", str(cache), "--report", str(out / "cold.json"), "-v")
    assert cold.returncode == 0, cold.stderr
    figures = {name: e["quality"] for name, e in entries(out / "cold.json").items()}
    assert all(isinstance(q["psnr_db"], float) and 25.0 < q["psnr_db"] < 70.0 for q in figures.values()), figures
    assert set(figures["bottle_n.png"]["normal_error_deg"]) == {"mean", "p99"}
    assert "normal_error_deg" not in figures["photo_albedo.jpg"]
    assert "photo_albedo.jpg: cache miss (new source), cooked in" in cold.stderr
    assert f"PSNR {figures['photo_albedo.jpg']['psnr_db']:.2f} dB" in cold.stderr

    warm = cook(
        str(src), "-o", str(tmp_path / "warm"), "--cache", str(cache), "--report", str(out / "warm.json"),
        "--junit", str(out / "junit.xml"), "--metrics-file", str(out / "m.prom"), "--log-format", "json",
    )  # fmt: skip
    assert warm.returncode == 0, warm.stderr
    hits = entries(out / "warm.json")
    assert all(e["cache"] == "hit" and e["cook_ms"] == 0 for e in hits.values())
    assert {name: e["quality"] for name, e in hits.items()} == figures

    events = [json.loads(line) for line in warm.stderr.splitlines() if line.startswith("{")]
    assert {e["source"]: e["quality"] for e in events if e["event"] == "texture"} == figures
    cases = {c.get("name"): c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    properties = {p.get("name"): p.get("value") for p in cases["hopper_albedo.png"].iter("property")}
    assert properties["psnr_db"] == str(figures["hopper_albedo.png"]["psnr_db"])
    assert {p.get("name") for p in cases["bottle_n.png"].iter("property")} >= {"normal_error_deg_mean", "normal_error_deg_p99"}
    metrics = (out / "m.prom").read_text()
    assert "oxcook_texture_psnr_db_count 3.0" in metrics
    (total,) = [float(line.split()[1]) for line in metrics.splitlines() if line.startswith("oxcook_texture_psnr_db_sum ")]
    assert total == pytest.approx(sum(q["psnr_db"] for q in figures.values()))


def test_no_quality_has_no_figures_and_the_same_bytes(tmp_path, src):
    measured = cook(str(src), "-o", str(tmp_path / "measured"), "--no-cache", "--report", str(tmp_path / "a.json"))
    plain = cook(str(src), "-o", str(tmp_path / "plain"), "--no-cache", "--report", str(tmp_path / "b.json"), "--no-quality", "-v")
    assert measured.returncode == plain.returncode == 0, measured.stderr + plain.stderr
    assert all(e["quality"] is not None for e in entries(tmp_path / "a.json").values())
    assert all(e["quality"] is None for e in entries(tmp_path / "b.json").values())
    assert "PSNR" not in plain.stderr
    assert snapshot(tmp_path / "measured") == snapshot(tmp_path / "plain")  # the container, byte for byte


def test_an_entry_without_figures_is_cooked_again_once(tmp_path, src):
    cache = tmp_path / "cache"
    assert cook(str(src), "-o", str(tmp_path / "a"), "--cache", str(cache), "--no-quality").returncode == 0
    again = cook(str(src), "-o", str(tmp_path / "b"), "--cache", str(cache), "--report", str(tmp_path / "b.json"))
    assert again.returncode == 0, again.stderr
    assert {(e["cache"], e["miss_reason"]) for e in entries(tmp_path / "b.json").values()} == {("miss", "entry without quality figures")}
    third = cook(str(src), "-o", str(tmp_path / "c"), "--cache", str(cache), "--report", str(tmp_path / "c.json"), "--no-quality")
    assert {(e["cache"], e["quality"]) for e in entries(tmp_path / "c.json").values()} == {("hit", None)}
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b") == snapshot(tmp_path / "c")


def manifest(folder: Path, rules: str) -> Path:
    path = folder / "cook.toml"
    path.write_text(rules)
    return path


def test_a_texture_under_its_gate_is_an_error_and_still_written(tmp_path, src):
    cache = tmp_path / "cache"
    rules = '[[textures]]\nglob = "*_albedo.*"\nmin_psnr = 99\n[[textures]]\nglob = "*_n.png"\nmax_normal_error_deg = 0.001\n'
    result = cook(str(manifest(src, rules)), "-o", str(tmp_path / "root"), "--cache", str(cache), "--report", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"))
    assert result.returncode == 1, result.stderr
    report = entries(tmp_path / "r.json")
    for name in PHOTOS:
        (diag,) = [d for d in report[name]["diagnostics"] if d["severity"] == "error"]
        assert diag["code"] == "texture-quality-below-threshold" and diag["source_id"] == name
        assert report[name]["index"] > 0 and report[name]["bytes"] > 0  # written: valid data
        row, payload = read_texture(tmp_path / "root", report[name]["index"])
        assert row.size_bytes == len(payload) == report[name]["bytes"]
    photo = report["photo_albedo.jpg"]
    assert f"psnr_db {photo['quality']['psnr_db']:.2f} dB is below the gate min_psnr 99 dB" in photo["diagnostics"][0]["message"]
    assert "normal_error_deg p99" in report["bottle_n.png"]["diagnostics"][0]["message"] and "max_normal_error_deg 0.001" in result.stderr
    failures = [c.find("failure") for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")]
    assert {x.get("type") for x in failures} == {"texture-quality-below-threshold"}

    # the gate is no part of the cache key: moving it below the figures re-cooks nothing
    rules = '[[textures]]\nglob = "*"\nmin_psnr = 20\nmax_normal_error_deg = 30\n'
    passed = cook(str(manifest(src, rules)), "-o", str(tmp_path / "root"), "--cache", str(cache), "--report", str(tmp_path / "r2.json"))
    assert passed.returncode == 0, passed.stderr
    assert {e["cache"] for e in entries(tmp_path / "r2.json").values()} == {"hit"}

    cli = cook(str(src), "-o", str(tmp_path / "root"), "--cache", str(cache), "--min-psnr", "99")
    assert cli.returncode == 1 and cli.stderr.count("texture-quality-below-threshold") == 3, cli.stderr
    assert cook(str(src), "-o", str(tmp_path / "root"), "--cache", str(cache), "--min-psnr", "20").returncode == 0


@pytest.mark.parametrize(
    "rules, args, says",
    [
        ('[[textures]]\nglob = "*"\nmin_psnr = "high"\n', (), "min_psnr must be a number of dB"),
        ('[[textures]]\nglob = "*"\nmin_psnr = -3\n', (), "min_psnr must be a number of dB above 0"),
        ('[defaults]\nmax_normal_error_deg = 500\n', (), "max_normal_error_deg must be a number of degrees"),
        ('[defaults]\nmax_normal_error_deg = true\n', (), "max_normal_error_deg must be"),
        (None, ("--min-psnr", "nan"), "--min-psnr: must be a number"),
        (None, ("--min-psnr", "0"), "min_psnr must be a number of dB above 0"),
        (None, ("--min-psnr", "lots"), "is not a number"),
        (None, ("--min-psnr", "30", "--no-quality"), "--no-quality measures no figures"),
        ('[defaults]\nmin_psnr = 30\n', ("--no-quality",), "--no-quality measures no figures"),
    ],
)
def test_bad_gates_are_exit_2(tmp_path, src, rules, args, says):
    inputs = [str(manifest(src, rules))] if rules else [str(src)]
    result = cook(*inputs, "-o", str(tmp_path / "root"), "--no-cache", *args)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert not (tmp_path / "root" / "container.index.bin").exists()


def test_gate_decisions():
    figures = QualityFigures(38.5, normal_error_deg=(0.5, 2.5))
    assert gate_failures("t", figures, QualityGates()) == ()
    assert gate_failures("t", figures, QualityGates(min_psnr=38.5, max_normal_error_deg=2.5)) == ()
    (low,) = gate_failures("t", figures, QualityGates(min_psnr=40))
    assert low.code == "texture-quality-below-threshold" and "psnr_db 38.50 dB is below the gate min_psnr 40 dB" in low.message
    assert len(gate_failures("t", figures, QualityGates(min_psnr=40, max_normal_error_deg=1))) == 2
    exact = QualityFigures(float("inf"))
    assert gate_failures("t", exact, QualityGates(min_psnr=200, max_normal_error_deg=0.001)) == ()  # not a normal map: that gate does not apply
    assert TextureSettings(min_psnr=30).over(TextureSettings(min_psnr=40, max_normal_error_deg=2)).gates() == QualityGates(30, 2)
