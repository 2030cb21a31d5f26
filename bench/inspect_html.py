"""Benchmark: how long ``oxcook inspect ROOT --html DIR`` takes for a root of many tiny textures.

Makes N distinct 32x32 RGBA PNGs (noise from a fixed seed, so nothing deduplicates;
``*_albedo`` names, so BC7 with a 6-level chain), cooks them once with
``oxcook cook --quality fast``, then runs ``inspect --html`` on the root again and
again, each into a fresh folder, and prints the time of each run, the median, the
time per texture and the page's size. With ``--report`` the cook's report is passed
too (cache status, worst-first order); ``--sources`` adds the source comparison.

Run: ``python bench/inspect_html.py [--n 2000] [--runs 3] [--report] [--sources]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_sources(folder: Path, n: int, size: int = 32) -> None:
    """``n`` distinct ``size`` x ``size`` RGBA noise PNGs named ``tex00000_albedo.png`` …"""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 4), dtype=np.uint8)).save(folder / f"tex{i:05d}_albedo.png")


def inspect_html(root: Path, out: Path, extra: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "oxcook", "inspect", str(root), "--html", str(out), "--progress", "none", *extra], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"inspect --html failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="textures in the root")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--report", action="store_true", help="pass the cook's --report")
    parser.add_argument("--sources", action="store_true", help="with --report: compare with the sources too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oxcook-bench-inspect-") as tmp:
        base = Path(tmp)
        make_sources(base / "src", args.n)
        report = base / "cook.json"
        cook = [sys.executable, "-m", "oxcook", "cook", str(base / "src"), "-o", str(base / "root"), "--quality", "fast", "--no-cache", "--progress", "none", "-q", "--report", str(report)]
        started = time.perf_counter()
        subprocess.run(cook, check=True)
        print(f"cooked {args.n} textures of 32x32 in {time.perf_counter() - started:.1f} s")
        extra = ["--report", str(report)] if args.report else []
        extra += ["--sources", str(base / "src")] if args.report and args.sources else []
        times = []
        for run in range(args.runs):
            out = base / f"page{run}"
            times.append(inspect_html(base / "root", out, extra))
            files = list(out.iterdir())
            size = sum(p.stat().st_size for p in files)
            print(f"run {run + 1}: {times[-1]:.2f} s  ({len(files)} files, {size / 1e6:.1f} MB; index.html {(out / 'index.html').stat().st_size / 1e6:.1f} MB)")
        median = statistics.median(times)
        what = "with --report" + (" --sources" if args.sources else "") if args.report else "without a report"
        print(f"inspect --html, {args.n + 1} rows {what}: median {median:.2f} s, {median / (args.n + 1) * 1000:.2f} ms per texture")


if __name__ == "__main__":
    main()
