"""Benchmark: ``oxcook compact`` against copying the same root (``cp -r`` and ``sync``).

In one run, on this machine: N textures (256², photographic noise) cooked into one root three times
with settings that change every payload (``--quality fast``, ``--format rgba8``, ``--format bc1``), so
about two thirds of its data bytes are stale. Each round copies that root afresh (untimed), then
times, in turns (each first every other round):

1. compact: ``oxcook compact`` of the copy, as the command a build pipeline runs;
2. copy: ``cp -r`` of the stale root and ``sync``.

It prints the medians and compact / copy (goal: <= 3.0), and checks that the compacted root
validates and that compacting it again frees nothing.

Run: ``python bench/compact.py [--n 300] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
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

from bench._installed import alternating, compile_sources  # noqa: E402

GOAL = 3.0  # compact / (cp -r + sync)
PASSES = (["--quality", "fast"], ["--format", "rgba8"], ["--format", "bc1"])


def oxcook(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "oxcook", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"oxcook {args[0]} failed: {proc.stderr}")
    return proc


def stale_root(tmp: Path, n: int) -> Path:
    src, root = tmp / "src", tmp / "stale"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(src / f"t{i:04d}_albedo.png", compress_level=1)
    for settings in PASSES:
        oxcook("cook", "--progress", "none", "--no-cache", *settings, str(src), "-o", str(root))
    return root


def du(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="oxcook-compact-bench-") as tmp:
        tmp = Path(tmp)
        stale = stale_root(tmp, args.n)
        before = du(stale)

        def compact(r: int) -> float:
            target = tmp / f"c{r}"
            shutil.copytree(stale, target)
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            oxcook("compact", str(target))
            took = time.perf_counter() - start
            if r == 0:
                check = oxcook("inspect", str(target))
                again = oxcook("compact", "--dry-run", str(target)).stdout
                if "would free 0 bytes" not in again:
                    raise SystemExit(f"compacting twice frees bytes: {again} {check.stdout[-200:]}")
                print(f"compacted: {before} → {du(target)} bytes on disk")
            shutil.rmtree(target)
            return took

        def copy(r: int) -> float:
            target = tmp / f"p{r}"
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            subprocess.run(["cp", "-r", str(stale), str(target)], check=True)
            subprocess.run(["sync"], check=True)
            took = time.perf_counter() - start
            shutil.rmtree(target)
            return took

        compacts, copies = alternating(args.repeat, compact, copy)
    c, p = statistics.median(compacts), statistics.median(copies)
    ratios = statistics.median(a / b for a, b in zip(compacts, copies, strict=True))
    print(f"{args.n} × 256² cooked three ways (two thirds stale), medians of {args.repeat}")
    print(f"compact {c:.3f} s   cp -r + sync {p:.3f} s   compact/copy {c / p:.2f} (paired {ratios:.2f}; goal <= {GOAL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
