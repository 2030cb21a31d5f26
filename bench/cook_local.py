"""Benchmark: the local backend against the raw encoder on every core, and coordinator memory.

Makes N distinct 2048² textures from the shared photos (shifted copies, so
nothing deduplicates), cooks them with ``oxcook cook`` (local process pool, one
worker per core), and in the same run measures the raw BC7 encoder on one of
each photo (every mip level, one core) just before and just after each N's cooks,
and rates the cooks against the mean of the two (the machine drifts). Prints:

* throughput (textures/s) and the ratio ``throughput / (cores × raw encoder rate)``
  (goal >= 0.95), the raw rate measured through oxcook's encoder door (each distinct
  4x4 block encoded once) and, for comparison, through the binding on whole levels;
* the coordinator's peak RSS for each N (goal: flat in N, <= 1.1x from N = 64 to 1 000).

Run: ``python bench/cook_local.py [--n 64 256] [--size 2048] [--quality default] [--repeat 1]``
(``--n 64 1000 --size 256 --quality fast`` measures the coordinator's memory against N in a minute)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._installed import compile_sources  # noqa: E402
from bench.cook_stages import raw_encode_ms  # noqa: E402
from oxcook.coordinator import Config  # noqa: E402

PHOTOS = [
    "gltf/AlphaBlendModeTest/MatBed_baseColor.jpg",
    "gltf/WaterBottle/WaterBottle_baseColor.png",
    "gltf/WaterBottle/WaterBottle_occlusionRoughnessMetallic.png",
    "gltf/AlphaBlendModeTest/MatBed_occlusionRoughnessMetallic.jpg",
]

# VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child would
# report the benchmark's own peak. The cook runs through the command's own entry
# point (fork server started first, exit without teardown), read at its exit.
DRIVER = """
import atexit, sys
def peak():
    hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print("MAXRSS_KB", hwm.split()[1], file=sys.stderr, flush=True)
atexit.register(peak)
sys.argv[0] = "oxcook"
from oxcook.coordinator.__main__ import main
sys.exit(main())
"""


def make_textures(assets: Path, out: Path, n: int, size: int = 2048) -> list[Path]:
    bases = [np.asarray(Image.open(assets / p).convert("RGB").resize((size, size))) for p in PHOTOS]
    paths = []
    for i in range(n):
        img = np.roll(bases[i % len(bases)], shift=(i * 37) % size, axis=1)
        path = out / f"tex{i:04d}_albedo.jpg"
        Image.fromarray(img).save(path, quality=95)
        paths.append(path)
    return paths


def baselines(textures: list[Path], quality: str, cores: int) -> tuple[float, float, float]:
    """ms per texture of the encoder alone: on one core through oxcook's door, through the binding on
    whole levels, and through the door with every core encoding at once (the mean over one of each
    photo: the cook cycles through them)."""
    kinds = range(min(len(PHOTOS), len(textures)))
    raw_ms = statistics.fmean(raw_encode_ms(textures[i].read_bytes(), "albedo", quality=quality) for i in kinds)
    plain_ms = statistics.fmean(raw_encode_ms(textures[i].read_bytes(), "albedo", quality=quality, plain=True) for i in kinds)
    # what this machine's cores give together (shared caches, clocks)
    with multiprocessing.get_context("forkserver").Pool(cores) as pool:
        loaded_ms = statistics.fmean(pool.starmap(raw_encode_ms, [(textures[i].read_bytes(), "albedo", quality) for i in kinds for _ in range(cores)]))
    return raw_ms, plain_ms, loaded_ms


def cook(src: Path, root: Path, quality: str, workers: int) -> tuple[float, int, dict]:
    report = root.with_suffix(".json")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, "cook", str(src), "-o", str(root), "--quality", quality, "--workers", str(workers), "--progress", "none", "--no-cache", "--report", str(report)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cook failed ({proc.returncode}):\n{proc.stderr}")
    rss_kb = int(next(line.split()[1] for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB")))
    return elapsed, rss_kb, json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--quality", default="default", choices=("fast", "default", "high"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--size", type=int, default=2048, help="texture edge (a smaller one measures coordinator memory at large N quickly)")
    parser.add_argument("--assets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "assets")
    args = parser.parse_args()
    compile_sources()
    cores = Config().thread_pool_size
    with tempfile.TemporaryDirectory(prefix="oxcook-bench-") as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        src.mkdir()
        textures = make_textures(args.assets, src, max(args.n), args.size)
        before = baselines(textures, args.quality, cores)
        print(f"raw encoder ({args.quality}), per {args.size}² texture with mips: {before[0]:.0f} ms on one core through oxcook's door (each distinct block once), "
              f"{before[1]:.0f} ms through the binding on whole levels, {before[2]:.0f} ms through the door with all {cores} cores encoding at once (measured again after each N)")
        print(f"{'N':>6}{'seconds':>10}{'tex/s':>9}{'ratio':>8}{'vs plain':>10}{'vs loaded':>11}{'peak RSS MB':>13}{'door ms before/after':>22}")
        for n in args.n:
            subset = tmp / f"n{n}"
            subset.mkdir()
            for path in textures[:n]:
                os.link(path, subset / path.name)
            runs = []
            for r in range(args.repeat):
                root = tmp / f"root{n}_{r}"
                runs.append(cook(subset, root, args.quality, cores))
            after = baselines(textures, args.quality, cores)
            raw_ms, plain_ms, loaded_ms = ((a + b) / 2 for a, b in zip(before, after))  # the baseline bracketing the cooks: the machine drifts
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs) / 1024
            rate = n / seconds
            ratios = (rate * ms / 1000.0 / cores for ms in (raw_ms, plain_ms, loaded_ms))
            print(f"{n:>6}{seconds:>10.1f}{rate:>9.3f}" + "".join(f"{r:>{w}.3f}" for r, w in zip(ratios, (8, 10, 11))) + f"{rss:>13.1f}{before[0]:>13.0f}/{after[0]:<8.0f}")
            before = after
    print("(ratio = throughput / (cores x raw encoder rate through oxcook's door, one core), goal >= 0.95, the rate the mean of its")
    print(" measurements just before and just after the cooks; vs plain: against the binding on whole levels;")
    print(" vs loaded: against the door's rate measured with every core encoding at once;")
    print(" peak RSS of the coordinator process, goal <= 1.1x its peak at N = 64)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
