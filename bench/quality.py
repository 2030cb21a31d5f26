"""Benchmark: what the quality figures cost, as a share of the cook (goal at the default quality: <= 5 %).

Cooks each benchmark photo (``bench/cook_local.py``'s, at their own 2048²) and
a normal map in this process, with the figures on and off in turn (on, off, on,
off, ...: the machine drifts), and prints per texture the median cook time of
each, the ratio ``on / off - 1`` and the figures' own stage time
(``timings_ms["quality"]``: decoding every band and comparing it) as a share of
the cook with them — the steadier of the two figures on a shared machine. The
photos' total is the figure the goal is about; the normal map's angle errors
cost more and are printed apart.

Run: ``python bench/quality.py [--repeat 3] [--quality default] [--assets ../shared/assets]``
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


def timed(source: bytes, desc, quality: bool) -> tuple[float, float, object]:
    """Seconds of one cook, seconds of its quality stage, and the cooked texture."""
    start = time.perf_counter()
    cooked = cook_texture(source, desc, quality=quality)
    return time.perf_counter() - start, cooked.timings_ms.get("quality", 0.0) / 1000.0, cooked


def measure(source: bytes, desc, repeat: int) -> tuple[float, float, float, object]:
    """Median seconds with and without the figures, median quality-stage seconds, and the figures."""
    on, off, stage = [], [], []
    cooked = None
    for _ in range(repeat):
        seconds, quality_s, cooked = timed(source, desc, True)
        on.append(seconds)
        stage.append(quality_s)
        off.append(timed(source, desc, False)[0])
    return statistics.median(on), statistics.median(off), statistics.median(stage), quality_figures(cooked.quality)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quality", choices=("fast", "default", "high"), default="default")
    parser.add_argument("--assets", type=Path, default=Path(os.environ.get("OXCOOK_SHARED_ASSETS", Path(__file__).resolve().parents[2] / "shared/assets")))
    args = parser.parse_args()
    quality = Bc7Quality[args.quality.upper()]
    print(f"quality figures on vs off, BC7 {args.quality}, median of {args.repeat} (one process)")
    print(f"{'texture':58} {'on s':>7} {'off s':>7} {'on/off-1':>9} {'stage':>7}  figures")
    totals = [0.0, 0.0, 0.0]
    cases = [(rel, "albedo") for rel in PHOTOS] + [(NORMAL_MAP, "normal")]
    for rel, preset in cases:
        desc = preset_desc(preset, source_id=rel, bc7_quality=quality)
        on, off, stage, figures = measure((args.assets / rel).read_bytes(), desc, args.repeat)
        if preset == "albedo":
            totals = [totals[0] + on, totals[1] + off, totals[2] + stage]
        shown = ", ".join(f"{k} {v}" for k, v in figures.to_dict().items())
        print(f"{rel + ' (' + preset + ')':58} {on:7.2f} {off:7.2f} {on / off - 1:9.1%} {stage / on:7.1%}  {shown}")
        if preset == "albedo" and rel == PHOTOS[-1]:
            on_t, off_t, stage_t = totals
            print(f"{'photos, total':58} {on_t:7.2f} {off_t:7.2f} {on_t / off_t - 1:9.1%} {stage_t / on_t:7.1%}  (goal: <= 5 %)")


if __name__ == "__main__":
    main()
