"""Benchmark: `oxcook cook` against what a user would write instead — a multiprocessing.Pool around
Pillow, numpy box mips and the same ispc BC7 encoder at the same quality.

Both cook the same files, in the same run, with 1 process and with every core; the table prints
each wall time and script_time / oxcook_time (above 1: oxcook is faster), medians of --repeat.
oxcook runs with its cache off (this measures cooking, not caching).

Run: ``python bench/vs_script.py [--n 16] [--size 1024] [--quality default] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PROFILES = {"fast": "ultrafast", "default": "veryfast", "high": "basic"}


def _script_one(args: tuple[str, str]) -> int:
    """The hand-rolled cook of one file: decode, sRGB box mips (in gamma space, as such scripts do), BC7."""
    import ispc_texcomp

    path, quality = args
    level = np.asarray(Image.open(path).convert("RGBA"), dtype=np.uint8)
    settings = ispc_texcomp.BC7EncSettings.from_profile(PROFILES[quality])
    out = 0
    while True:
        h, w = level.shape[:2]
        padded = np.pad(level, ((0, -h % 4), (0, -w % 4), (0, 0)), mode="edge")
        surface = ispc_texcomp.RGBASurface(memoryview(np.ascontiguousarray(padded)).cast("B"), padded.shape[1], padded.shape[0])
        out += len(ispc_texcomp.compress_blocks_bc7(surface, settings))
        if h == 1 and w == 1:
            return out
        h2, w2 = max(1, h // 2), max(1, w // 2)
        f = level[: h2 * 2 if h > 1 else 1, : w2 * 2 if w > 1 else 1].astype(np.float32)
        if h > 1:
            f = (f[0::2] + f[1::2]) / 2
        if w > 1:
            f = (f[:, 0::2] + f[:, 1::2]) / 2
        level = np.clip(f + 0.5, 0, 255).astype(np.uint8)


def script(files: list[str], processes: int, quality: str) -> float:
    start = time.perf_counter()
    with Pool(processes) as pool:
        pool.map(_script_one, [(f, quality) for f in files])
    return time.perf_counter() - start


def oxcook(folder: Path, root: Path, processes: int, quality: str) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "coordinator", "cook", str(folder), "-o", str(root), "--progress", "none", "--no-cache", "--quality", quality, "--workers", str(processes), "--preset", "albedo"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--quality", choices=tuple(PROFILES), default="default")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assets", type=Path, default=REPO.parent / "shared" / "assets")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    photo = np.asarray(Image.open(args.assets / "gltf/WaterBottle/WaterBottle_baseColor.png").convert("RGB").resize((args.size, args.size)))
    rows = []
    with tempfile.TemporaryDirectory(prefix="oxcook-vs-script-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for i in range(args.n):
            Image.fromarray(np.roll(photo, i * 37, axis=1)).save(src / f"t{i:03d}.jpg", quality=95)
        files = sorted(str(p) for p in src.iterdir())
        for processes in sorted({1, cores}):
            s = [script(files, processes, args.quality) for _ in range(args.repeat)]
            o = [oxcook(src, Path(tmp) / f"root{processes}-{r}", processes, args.quality) for r in range(args.repeat)]
            rows.append((processes, statistics.median(s), statistics.median(o)))
    print(f"{args.n} x {args.size}² JPEGs, BC7 {args.quality} ({PROFILES[args.quality]}), medians of {args.repeat}")
    print(f"{'processes':>10}{'script s':>10}{'oxcook s':>10}{'script/oxcook':>15}")
    for processes, s, o in rows:
        print(f"{processes:>10}{s:>10.2f}{o:>10.2f}{s / o:>15.3f}")
    print("(goal: >= 1.05 at 1 process and at all cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
