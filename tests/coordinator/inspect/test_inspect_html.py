"""``oxcook inspect --html``: a real cooked root drawn as a page, checked in a headless Chromium;
report ordering and source comparison; damaged rows as placeholders; invalid roots."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import pytest

from oxcook import formats as f
from oxcook.coordinator.cli import main
from tests.helpers import snapshot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOURCES = {
    "hopper_albedo.png": "images/png/hopper.png",  # BC7 sRGB
    "transparent_albedo.png": "images/png/transparent.png",  # alpha
    "checkerboard_normal.png": "fbx/textures/checkerboard_normal.png",  # normal preset
    "venice_sunset_1k.hdr": "images/hdr/venice_sunset_1k.hdr",  # RGBA16F
    "photo.jpg": "images/jpeg/testorig.jpg",  # 'data': RGBA8
    "broken.png": "bad/pillow_broken.png",  # fails: the fallback row
}


@pytest.fixture(scope="module")
def cooked(tmp_path_factory, shared_assets):
    """A root cooked from real files and a glTF scene, with its --report."""
    base = tmp_path_factory.mktemp("inspect")
    src = base / "src"
    src.mkdir()
    for name, rel in SOURCES.items():
        shutil.copy(shared_assets / rel, src / name)
    root, report = base / "root", base / "cook.json"
    code = main(["cook", "--progress", "none", "--quality", "fast", str(src), str(shared_assets / "gltf/BoxTextured/BoxTextured.gltf"), "-o", str(root), "--report", str(report)])
    assert code == 1  # broken.png failed
    return root, report, src


def inspect_html(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oxcook", "inspect", "--progress", "none", *args], capture_output=True, text=True, timeout=300)


def rows_of(root) -> int:
    return (root / "Resources/textures.table").stat().st_size // f.TEXTURE_RESOURCE_DESC[f.Epoch.B].SIZE


def chromium_dom(url: str, profile) -> tuple[str, str]:
    """The DOM Chromium holds once the page settled, and its log (console messages included)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    proc = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000",
            "--dump-dom", url,
        ],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def page_check(page, profile) -> dict:
    """The page's own self-check (``#check``): every picture loaded once, script errors, cards."""
    dom, log = chromium_dom(page.as_uri() + "#check", profile)
    m = re.search(r'<pre id="check" data-done="yes">(.*?)</pre>', dom, re.S)
    assert m, "the page's self-check did not finish"
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    return {**json.loads(html.unescape(m[1])), "dom": dom, "console": console}


def test_the_browser_log_shows_a_page_error(tmp_path):
    """The console check below can see a script error: a page that throws one shows it in the log."""
    page = tmp_path / "throws.html"
    page.write_text("<!doctype html><title>t</title><script>throw new Error('probe-error-7')</script>")
    _, log = chromium_dom(page.as_uri(), tmp_path / "profile")
    assert "probe-error-7" in log


def test_page_renders_every_texture_in_a_browser(cooked, tmp_path):
    root, _, _ = cooked
    before = snapshot(root)
    proc = inspect_html(str(root), "--html", str(tmp_path / "page"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(root) == before  # inspect never writes into the root
    check = page_check(tmp_path / "page/index.html", tmp_path / "profile")
    assert check["errors"] == [] and check["console"] == []
    assert check["failed"] == [] and check["loaded"] == check["images"] > rows_of(root)
    assert check["cards"] == rows_of(root)
    dom = check["dom"]
    for i in range(rows_of(root)):
        assert f'id="tex-{i}"' in dom and f'src="t{i}.png"' in dom, i
    for view in ("alpha", "shaded", "mips"):  # transparent_albedo, checkerboard_normal, every chain
        assert re.search(rf'src="t\d+-{view}.png"', dom), view
    assert 'loading="lazy"' in dom and 'id="filter"' in dom
    assert "BC7_UNORM_SRGB" in dom and "RGBA16_FLOAT" in dom and "normal map" in dom
    assert "base_color_texture" in dom and "Texture.omat" in dom  # BoxTextured's material, with its slot
    assert "1 geometry" in dom and "1 scenes" in dom and "3 nodes" in dom


def test_pictures_are_bounded_and_named_by_row(cooked, tmp_path):
    from PIL import Image

    root, _, _ = cooked
    assert inspect_html(str(root), "--html", str(tmp_path / "page")).returncode == 0
    names = sorted(p.name for p in (tmp_path / "page").iterdir())
    assert all(re.fullmatch(r"t\d+(-(mips|alpha|shaded|source|error))?\.png|index\.html", n) for n in names), names
    for name in names:
        if name.endswith(".png") and "-mips" not in name:
            with Image.open(tmp_path / "page" / name) as im:
                assert max(im.size) <= 256, name


def test_report_orders_worst_first_and_compares_sources(cooked, tmp_path):
    root, report_path, src = cooked
    report = json.loads(report_path.read_text())
    # quality figures in the shape a cook writes them, set here so the order is known: the lower PSNR sorts first
    figures = {"hopper_albedo.png": 31.5, "transparent_albedo.png": 44.25, "checkerboard_normal.png": 38.0}
    for job in report["jobs"]:
        for entry in job["textures"]:
            if entry["source"] in figures:
                entry["quality"] = {"psnr_db": figures[entry["source"]]}
    edited = tmp_path / "cook.json"
    edited.write_text(json.dumps(report))
    proc = inspect_html(str(root), "--html", str(tmp_path / "page"), "--report", str(edited), "--sources", str(src))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "page/index.html").read_text()
    titles = re.findall(r'<article class="card texture[^"]*" id="tex-\d+"[^>]*><h3>\[\d+\] ([^<]*)</h3>', text)
    assert titles[0] == "broken.png"  # failed: the fallback row, first
    assert "photo.jpg" in titles[1:3]  # warned (no preset in its name)
    assert titles.index("hopper_albedo.png") < titles.index("checkerboard_normal.png") < titles.index("transparent_albedo.png")
    assert "psnr_db" in text and "31.50" in text
    assert "cache off" in text and "texture-preset-guessed" in text
    hopper = int(re.search(r'id="tex-(\d+)"[^>]*><h3>\[\d+\] hopper_albedo.png', text)[1])
    assert (tmp_path / f"page/t{hopper}-source.png").is_file() and (tmp_path / f"page/t{hopper}-error.png").is_file()
    measured = float(re.search(rf'id="tex-{hopper}".*?PSNR vs source \(RGB as drawn\)</dt><dd>([\d.]+) dB', text, re.S)[1])
    assert 30.0 < measured < 60.0


def test_report_that_is_not_one_exits_2(cooked, tmp_path):
    root, _, _ = cooked
    bad = tmp_path / "r.json"
    for content in ("{", '{"schema_version": 2, "jobs": [{"textures": [{"index": "x"}]}]}', '{"schema_version": 99, "jobs": []}'):
        bad.write_text(content)
        proc = inspect_html(str(root), "--html", str(tmp_path / "page"), "--report", str(bad))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and str(bad) in proc.stderr, proc.stderr


def _damage(root, how: str) -> int:
    """Break the BC7 row of hopper_albedo one way; returns its index."""
    row_size = f.TEXTURE_RESOURCE_DESC[f.Epoch.B].SIZE
    table_path, data_path = root / "Resources/textures.table", root / "Resources/textures.data"
    index = f.unpack_otex((root / f.otex_relpath("hopper_albedo.png")).read_bytes()).resource_index
    table = bytearray(table_path.read_bytes())
    row = f.TEXTURE_RESOURCE_DESC[f.Epoch.B].unpack(table, index * row_size)
    if how == "bad-offset":
        table[index * row_size : (index + 1) * row_size] = f.TEXTURE_RESOURCE_DESC[f.Epoch.B].pack(row._replace(data_offset=1 << 40))
        table_path.write_bytes(table)
    elif how == "garbage-payload":
        with open(data_path, "r+b") as fh:
            fh.seek(row.data_offset)
            fh.write(b"\xa5" * 64)
    elif how == "garbage-layout":  # the magic survives: the layout table lies
        with open(data_path, "r+b") as fh:
            fh.seek(row.data_offset + f.TEXTURE_PAYLOAD_HEADER.SIZE)
            fh.write(b"\xff" * 24)
    elif how == "truncated":
        with open(data_path, "r+b") as fh:
            fh.truncate(row.data_offset + 700)
    return index


@pytest.mark.parametrize("how", ["bad-offset", "garbage-payload", "garbage-layout", "truncated"])
def test_damaged_row_is_a_named_placeholder_and_exits_1(cooked, tmp_path, how):
    root = tmp_path / "root"
    shutil.copytree(cooked[0], root)
    index = _damage(root, how)
    proc = inspect_html(str(root), "--html", str(tmp_path / "page"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"texture row {index} does not read" in proc.stdout
    text = (tmp_path / "page/index.html").read_text()
    assert f'aria-label="row {index} unreadable"' in text
    assert f'src="t{index}.png"' not in text
    assert 'class="problems"' in text  # the validator's findings at the top
    others = [i for i in range(rows_of(root)) if i != index]
    assert all(f'src="t{i}.png"' in text for i in others if i < index or how != "truncated")


def test_damaged_page_still_loads_cleanly_in_a_browser(cooked, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(cooked[0], root)
    index = _damage(root, "garbage-payload")
    assert inspect_html(str(root), "--html", str(tmp_path / "page")).returncode == 1
    check = page_check(tmp_path / "page/index.html", tmp_path / "profile")
    assert check["errors"] == [] and check["console"] == [] and check["failed"] == []
    assert check["cards"] == rows_of(root) and f"row {index} does not read" in check["dom"]


def test_invalid_root_lists_its_errors_at_the_top(cooked, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(cooked[0], root)
    with open(root / "Resources/buffers.data", "ab") as fh:
        fh.write(b"\0")
    proc = inspect_html(str(root), "--html", str(tmp_path / "page"))
    assert proc.returncode == 1 and "file-size" in proc.stdout
    text = (tmp_path / "page/index.html").read_text()
    top = text[: text.index('id="textures"')]
    assert "INVALID (1 error(s))" in top and "file-size" in top and "Resources/buffers.data" in top
    assert all(f'src="t{i}.png"' in text for i in range(rows_of(root)))  # still shows what it can


def test_not_a_container_writes_a_page_of_its_errors_and_exits_2(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root/container.index.bin").write_bytes(b"\xff" * 1000)
    proc = inspect_html(str(tmp_path / "root"), "--html", str(tmp_path / "page"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    text = (tmp_path / "page/index.html").read_text()
    assert "NOT A CONTAINER" in text and "container.index.bin" in text[: text.index('id="textures"')]


def test_names_from_the_container_are_escaped(tmp_path):
    """A material's virtual path is data: markup in it is shown as text, never run."""
    from oxcook.coordinator.inspect._catalog import Catalog, MaterialInfo
    from oxcook.coordinator.inspect._page import PageFacts, render_page

    evil = '/.cooked/<img src=x onerror="alert(1)">.omat'
    page = render_page(PageFacts("r<oot>", True, True, ()), Catalog((), (MaterialInfo(evil, slots=()),), (), ()), [])
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "r&lt;oot&gt;" in page


@pytest.mark.parametrize("where", ["inside", "root itself"])
def test_page_folder_inside_the_root_is_refused(cooked, tmp_path, where):
    root = cooked[0]
    out = root / "page" if where == "inside" else root
    before = snapshot(root)
    proc = inspect_html(str(root), "--html", str(out))
    assert proc.returncode == 2 and "inside the cooked root" in proc.stderr
    assert snapshot(root) == before


def test_filter_box_hides_what_does_not_match(cooked, tmp_path):
    """``#filter=`` fills the filter box on load: the one normal map and the material's slot stay."""
    root, _, _ = cooked
    assert inspect_html(str(root), "--html", str(tmp_path / "page")).returncode == 0
    dom, log = chromium_dom((tmp_path / "page/index.html").as_uri() + "#filter=normal", tmp_path / "profile")
    assert "Uncaught" not in log
    cards = re.findall(r'<article class="card texture[^"]*" id="tex-(\d+)"([^>]*)>', dom)
    shown = [i for i, attrs in cards if "hidden" not in attrs]
    normal = f.unpack_otex((root / f.otex_relpath("checkerboard_normal.png")).read_bytes()).resource_index
    assert len(cards) == rows_of(root) and shown == [str(normal)]
    counted = re.search(r'<span id="shown"[^>]*>(\d+) of (\d+) shown</span>', dom)
    assert counted and counted.groups() == ("1", str(rows_of(root) + 3))  # the material, geometry and scene are filtered too


def test_progress_lines_like_the_cook(cooked, tmp_path):
    root, _, _ = cooked
    proc = subprocess.run(
        [sys.executable, "-m", "oxcook", "inspect", str(root), "--html", str(tmp_path / "page"), "--progress", "lines"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0
    assert f"textures  {rows_of(root)}/{rows_of(root)} done" in proc.stderr and "pictures of" in proc.stderr


def test_a_report_of_another_root_is_named_at_the_top(cooked, tmp_path):
    root, report_path, _ = cooked
    report = json.loads(report_path.read_text())
    entry = next(e for j in report["jobs"] for e in j["textures"] if e["source"] == "photo.jpg")
    entry["size"] = [9, 9]
    report["jobs"][-1]["textures"].append({**entry, "source": "elsewhere.png", "index": 500})
    edited = tmp_path / "cook.json"
    edited.write_text(json.dumps(report))
    assert inspect_html(str(root), "--html", str(tmp_path / "page"), "--report", str(edited)).returncode == 0
    text = (tmp_path / "page/index.html").read_text()
    top = text[: text.index('id="textures"')]
    assert "photo.jpg is 9x9" in top and "elsewhere.png is row 500" in top


def test_control_characters_in_names_are_shown_escaped(tmp_path):
    """A file name may hold an ESC or a newline: the page shows them as ``\\x1b`` and ``\\n``, never the raw characters."""
    import numpy as np

    from tests.helpers import png_bytes

    src = tmp_path / "src"
    src.mkdir()
    name = "esc\x1b[31mred\nline_albedo.png"
    (src / name).write_bytes(png_bytes(np.full((8, 8, 4), 200, np.uint8)))
    report = tmp_path / "cook.json"
    assert main(["cook", "--progress", "none", "--quality", "fast", "--no-cache", str(src), "-o", str(tmp_path / "root"), "--report", str(report)]) == 0
    proc = inspect_html(str(tmp_path / "root"), "--html", str(tmp_path / "page"), "--report", str(report), "--sources", str(src))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "page/index.html").read_text()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    shown = "esc\\x1b[31mred\\nline_albedo.png"
    assert f"<h3>[1] {shown}</h3>" in text
    assert f"<dd>{shown} — preset albedo" in text and f"{src}/{shown}</dd>" in text
    assert f'data-search="1 {shown}' in text  # the filter box searches what is shown


# The page of 2 000 tiny textures is usable (script run, first screen of pictures loaded: the page's own
# data-ready-ms mark) within this many milliseconds of the navigation's start: `python bench/inspect_page.py
# --n 2000 --size 16` measured a median of READY_MEDIAN_MS on the 2-core VM (docs/performance.md); the bound
# allows three times that, for a machine shared with other work.
READY_MEDIAN_MS = 680
READY_BOUND_MS = 3 * READY_MEDIAN_MS
MANY = 2000


@pytest.fixture(scope="session")
def many_textures(tmp_path_factory):
    """A root of MANY distinct 16x16 textures, cooked once for the session (bench/inspect_page.py's)."""
    from bench.inspect_page import build_root

    return build_root(tmp_path_factory.mktemp("many"), MANY, 16)


@pytest.mark.slow
def test_a_page_of_2000_textures_opens_within_its_bound(many_textures, tmp_path):
    from bench.inspect_page import open_page, write_page

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = write_page(many_textures, tmp_path / "page")
    opened = open_page(page, tmp_path / "profile", binary=CHROMIUM, filter_text="tex01999_albedo")
    assert opened.ready_ms <= READY_BOUND_MS, opened.ready_ms
    assert opened.cards_at_ready < MANY  # the first screen only: the rest wait as inert markup
    assert opened.loaded > 0 and opened.shown == 1
    assert sorted(opened.ids) == sorted(f"tex-{i}" for i in range(rows_of(many_textures)))  # every texture, once
    assert rows_of(many_textures) == MANY + 1  # and the fallback row
    assert set(re.findall(r'<article class="card texture[^"]*" id="(tex-\d+)"', page.read_text())) == set(opened.ids)  # in the file, too
    followed = open_page(page, tmp_path / "profile2", binary=CHROMIUM, fragment="#tex-1999")  # a link to a card not yet shown
    assert followed.cards_at_ready == MANY + 1
