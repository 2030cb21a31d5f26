"""Benchmark: what one `oxcook cook` costs besides cooking — start-up and exit.

Cooks four 64² PNGs (milliseconds of work) again and again and times, from
launch, the command's own exit and the moment its output pipes close (what a
build step that reads oxcook's output waits for: the pool's fork server holds
them until its own exit). With ``--against DIR`` (another checkout of oxcook,
e.g. ``git worktree add /tmp/base <commit>``) it alternates runs of the two, each first in turn,
so a slow spell of the machine hits both. Both are byte-compiled first, as an
install leaves them (``bench/_installed.py``).

Run: ``python bench/startup.py [--runs 12] [--against DIR]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._installed import alternating, compile_sources  # noqa: E402


def timed_cook(tree: Path, src: Path, out: Path) -> tuple[float, float]:
    """Seconds from launch to the command's exit, and to its output pipes closing."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(out), "--progress", "none", "--no-cache"], cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    exited: list[float] = []
    watcher = threading.Thread(target=lambda: (proc.wait(), exited.append(time.perf_counter())))
    watcher.start()
    _, err = proc.communicate()
    closed = time.perf_counter()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"cook failed in {tree}: {err.decode(errors='replace')}")
    return exited[0] - start, closed - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--against", type=Path, help="another checkout of oxcook to alternate with")
    args = parser.parse_args()
    compile_sources()
    trees = {"this checkout": REPO}
    if args.against:
        compile_sources(args.against)
        trees[str(args.against)] = args.against
    with tempfile.TemporaryDirectory(prefix="oxcook-startup-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for i in range(4):
            Image.fromarray(np.random.default_rng(i).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(src / f"t{i}_albedo.png")
        runs = alternating(args.runs, *(lambda r, tree=tree: timed_cook(tree, src, Path(tmp) / "out") for tree in trees.values()))
    times = dict(zip(trees, runs))
    print(f"{'checkout':<40}{'exit ms':>10}{'pipes closed ms':>17}")
    for name, runs in times.items():
        print(f"{name:<40}{statistics.median(r[0] for r in runs) * 1000:>10.0f}{statistics.median(r[1] for r in runs) * 1000:>17.0f}")
    print(f"(medians of {args.runs}; four 64² textures, local pool, cache off)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
