"""Benchmark: the cook cache — warm re-cooks, cache-hit throughput, and a re-cook after one edit.

In one run, on this machine, through the ``oxcook cook`` command a build pipeline runs:

1. warm / cold wall time for N textures (a cold cook fills an empty cache; a warm
   cook of the same sources into a fresh root finds every result) — goals
   <= 0.10 at N = 16 and <= 0.05 at N = 1000;
2. cache-hit throughput: textures per second of the warm cook (goal >= 500/s for small textures);
3. one edited source: re-cook time / (one texture's cold cook, start-up included) — goal <= 1.5.

Run: ``python bench/cache.py [--n 16 1000] [--size 256] [--quality fast] [--repeat 3]``. Medians of ``--repeat``.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._installed import compile_sources  # noqa: E402


def make_sources(folder: Path, n: int, size: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"t{i:04d}_albedo.png", compress_level=1)


QUALITY = ["--quality", "fast"]


def timed(*args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "oxcook", "cook", "--progress", "none", *QUALITY, *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"cook failed: {proc.stderr}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[16, 1000])
    parser.add_argument("--size", type=int, default=256, help="texture edge in pixels")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quality", choices=("fast", "default", "high"), default="fast")
    args = parser.parse_args()
    compile_sources()
    QUALITY[1] = args.quality
    rows = []
    with tempfile.TemporaryDirectory(prefix="oxcook-cache-bench-") as tmp:
        tmp = Path(tmp)
        for n in args.n:
            src = tmp / f"src{n}"
            make_sources(src, n, args.size)
            cold, warm, edited = [], [], []
            for r in range(args.repeat):
                cache = tmp / f"cache{n}-{r}"
                cold.append(timed(str(src), "-o", str(tmp / f"cold{n}-{r}"), "--cache", str(cache)))
                warm.append(timed(str(src), "-o", str(tmp / f"warm{n}-{r}"), "--cache", str(cache)))
                victim = src / f"t{r:04d}_albedo.png"
                Image.fromarray(np.random.default_rng(1000 + r).integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)).save(victim)
                edited.append(timed(str(src), "-o", str(tmp / f"edit{n}-{r}"), "--cache", str(cache)))
            single = tmp / f"one{n}"
            single.mkdir()
            Image.open(src / "t0000_albedo.png").save(single / "one_albedo.png")
            one = [timed(str(single), "-o", str(tmp / f"one{n}-{r}"), "--no-cache") for r in range(args.repeat)]
            rows.append((n, statistics.median(cold), statistics.median(warm), statistics.median(edited), statistics.median(one)))
    print(f"{args.size}² textures, {args.quality} quality, medians of {args.repeat}, local backend")
    print(f"{'N':>6}{'cold s':>9}{'warm s':>9}{'warm/cold':>11}{'hits/s':>9}{'edit-one s':>12}{'one cold s':>12}{'edit/one':>10}")
    for n, cold, warm, edited, one in rows:
        print(f"{n:>6}{cold:>9.2f}{warm:>9.2f}{warm / cold:>11.3f}{n / warm:>9.0f}{edited:>12.2f}{one:>12.2f}{edited / one:>10.2f}")
    print("(goals: warm/cold <= 0.10 at N=16 and <= 0.05 at N=1000; hits/s >= 500; edit/one <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
