"""Benchmark: what the quality figures cost, as a share of the cook (goal at the default quality: <= 5 %).

Cooks each benchmark photo (``bench/cook_local.py``'s, at their own 2048²) and
a normal map in this process, with the figures on and off in turn (on, off, on,
off, ...: the machine drifts), and prints per texture the median cook time of
each (wall clock, and the process's CPU time, which other work on a shared
machine disturbs less), the ratios ``on / off - 1`` of those medians and the
median of each pair's CPU ratio ("paired"), and the figures' own stage
time (``timings_ms["quality"]``: decoding each distinct block and comparing it)
as a share of the cook with them. The photos' total is the figure the goal is
about; the normal map's angle errors are printed apart.

Run: ``python bench/quality.py [--repeat 5] [--quality default] [--assets ../shared/assets]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cook_local import PHOTOS  # noqa: E402
from oxcook.worker.cook import Bc7Quality, cook_texture, preset_desc, quality_figures  # noqa: E402

NORMAL_MAP = "gltf/WaterBottle/WaterBottle_normal.png"


def timed(source: bytes, desc, quality: bool) -> tuple[float, float, float, object]:
    """Wall seconds of one cook, its CPU seconds, seconds of its quality stage, and the cooked texture."""
    start, cpu = time.perf_counter(), time.process_time()
    cooked = cook_texture(source, desc, quality=quality)
    return time.perf_counter() - start, time.process_time() - cpu, cooked.timings_ms.get("quality", 0.0) / 1000.0, cooked


def measure(source: bytes, desc, repeat: int) -> tuple[list[float], object]:
    """Medians of wall seconds with and without the figures, CPU seconds with and without, quality-stage
    seconds, and of each pair's CPU ratio with / without; and the figures."""
    columns: list[list[float]] = [[], [], [], [], [], []]
    cooked = None
    for _ in range(repeat):
        wall_on, cpu_on, stage, cooked = timed(source, desc, True)
        wall_off, cpu_off, _, _ = timed(source, desc, False)
        for column, value in zip(columns, (wall_on, wall_off, cpu_on, cpu_off, stage, cpu_on / cpu_off)):
            column.append(value)
    return [statistics.median(c) for c in columns], quality_figures(cooked.quality)


def row(name: str, on: float, off: float, cpu_on: float, cpu_off: float, stage: float, paired: float | None, note: str) -> str:
    shown = f"{paired - 1:9.1%}" if paired is not None else " " * 9
    return f"{name:58} {on:7.2f} {off:7.2f} {on / off - 1:9.1%} {cpu_on / cpu_off - 1:9.1%} {shown} {stage / on:7.1%}  {note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quality", choices=("fast", "default", "high"), default="default")
    parser.add_argument("--assets", type=Path, default=Path(os.environ.get("OXCOOK_SHARED_ASSETS", Path(__file__).resolve().parents[2] / "shared/assets")))
    args = parser.parse_args()
    quality = Bc7Quality[args.quality.upper()]
    print(f"quality figures on vs off, BC7 {args.quality}, median of {args.repeat} (one process)")
    print(f"{'texture':58} {'on s':>7} {'off s':>7} {'wall +':>9} {'CPU +':>9} {'paired':>9} {'stage':>7}  figures")
    totals = [0.0] * 5
    cases = [(rel, "albedo") for rel in PHOTOS] + [(NORMAL_MAP, "normal")]
    for rel, preset in cases:
        desc = preset_desc(preset, source_id=rel, bc7_quality=quality)
        medians, figures = measure((args.assets / rel).read_bytes(), desc, args.repeat)
        if preset == "albedo":
            totals = [t + m for t, m in zip(totals, medians)]
        print(row(f"{rel} ({preset})", *medians, ", ".join(f"{k} {v}" for k, v in figures.to_dict().items())))
        if preset == "albedo" and rel == PHOTOS[-1]:
            print(row("photos, total", *totals, None, "(goal: <= 5 %)"))


if __name__ == "__main__":
    main()
