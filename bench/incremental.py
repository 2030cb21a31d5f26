"""Benchmark: incremental cooking — a project that did not change re-cooks like a no-op ``ninja``.

In one run, on this machine, through the ``oxcook cook`` command a build pipeline runs, for N tiny
(16²) textures in 100 folders, ``--quality fast``, the local cook cache on:

1. cold: a first cook into a new root;
2. no-op: the same command again (nothing changed) — goal: <= 1.5 s at N = 10 000, <= 6 s at 100 000;
3. edit-one: one texture edited, the same command again — goal: <= a one-texture cold cook + 0.5 s;
4. one: that one texture cooked alone into a new root (its cold cook, start-up included).

Each line prints the ratio of the measured median to its goal (<= 1.0 meets it). Medians of
``--repeat`` rounds (each round edits another texture). The cold cook is timed once per N.

Run: ``python bench/incremental.py [--n 1000 10000] [--large] [--repeat 3]`` (``--large`` adds 100 000).
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

NO_OP_GOAL = {10_000: 1.5, 100_000: 6.0}  # seconds for the whole command
EDIT_SLACK = 0.5  # seconds over a one-texture cold cook


def make_sources(folder: Path, n: int, size: int = 16) -> list[Path]:
    """``n`` PNGs in 100 folders, each its own pixels."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        sub = folder / f"d{i % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"t{i:06d}_albedo.png"
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path, compress_level=1)
        paths.append(path)
    return paths


def timed(*args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "oxcook", "cook", "--progress", "none", "--quality", "fast", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"cook failed: {proc.stderr}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--large", action="store_true", help="also N = 100 000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compile_sources()
    sizes = args.n + ([100_000] if args.large else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="oxcook-incremental-bench-") as tmp:
        tmp = Path(tmp)
        for n in sizes:
            src = tmp / f"src{n}"
            paths = make_sources(src, n)
            cache = ["--cache", str(tmp / f"cache{n}")]
            root = str(tmp / f"root{n}")
            cold = timed(str(src), "-o", root, *cache)
            noop, edit, one = [], [], []
            for r in range(args.repeat):
                noop.append(timed(str(src), "-o", root, *cache))
                victim = paths[(r * 7919) % n]
                Image.fromarray(np.random.default_rng(10_000 + r).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(victim, compress_level=1)
                edit.append(timed(str(src), "-o", root, *cache))
                alone = tmp / f"one{n}-{r}"
                alone.mkdir()
                (alone / victim.name).write_bytes(victim.read_bytes())
                one.append(timed(str(alone), "-o", str(tmp / f"oneroot{n}-{r}"), "--no-cache"))
            rows.append((n, cold, statistics.median(noop), statistics.median(edit), statistics.median(one)))
    print(f"16² textures in 100 folders, --quality fast, local backend and cache; cold once, the rest medians of {args.repeat}")
    print(f"{'N':>7}{'cold s':>9}{'no-op s':>9}{'no-op/cold':>12}{'no-op/goal':>12}{'edit-one s':>12}{'one s':>8}{'edit/goal':>11}")
    for n, cold, noop, edit, one in rows:
        goal = NO_OP_GOAL.get(n)
        noop_ratio = f"{noop / goal:>12.2f}" if goal else f"{'-':>12}"
        print(f"{n:>7}{cold:>9.2f}{noop:>9.2f}{noop / cold:>12.3f}{noop_ratio}{edit:>12.2f}{one:>8.2f}{edit / (one + EDIT_SLACK):>11.2f}")
    print(f"(goals: no-op <= {NO_OP_GOAL[10_000]} s at N=10000 and <= {NO_OP_GOAL[100_000]} s at N=100000; edit-one <= one + {EDIT_SLACK} s; ratios <= 1.0 meet them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
