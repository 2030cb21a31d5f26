"""Benchmark: what one coordinator costs per texture on the farm, and the farm against the local pool on tiny textures.

On this machine, with a private redis-server and two single-process ``oxcook
worker`` processes (bench/_farm_services.py), it cooks ``--n`` 32² textures
(``--quality fast``, no cache) through the farm and through the local pool
with as many processes, and prints:

* the coordinator's CPU per texture on the farm path: user + system time of the
  ``oxcook cook`` process (``getrusage(RUSAGE_CHILDREN)`` around it; the
  workers run outside it), over all textures, and at the margin (minus a cook of
  ``--few`` textures: the fixed cost of starting, planning and committing);
  goal <= 1.0 ms;
* wall time farm / local (goal <= 1.5); the local figure's CPU includes its pool.

CPU time is the steadier figure on a loaded machine; wall times are medians
of ``--repeat`` runs.

Run: ``python bench/farm_scale.py [--n 2000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._farm_services import farm  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_tiny(folder: Path, count: int, edge: int = 32) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (edge, edge, 3), dtype=np.uint8)).save(folder / f"t{i:05d}_albedo.png")
    return folder


def measured_cook(src: Path, root: Path, *args: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, its own and its reaped children's) of one ``oxcook cook``."""
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--quality", "fast", "--progress", "none", "--no-cache", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"cook failed: {proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--few", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oxcook-farm-scale-") as tmp:
        tmp = Path(tmp)
        many, few = make_tiny(tmp / "many", args.n), make_tiny(tmp / "few", args.few)
        with farm(tmp, args.workers) as broker:
            runs = {"local": [], "farm": [], "farm-few": []}
            for r in range(args.repeat):
                runs["local"].append(measured_cook(many, tmp / f"local{r}", "--workers", str(args.workers)))
                runs["farm"].append(measured_cook(many, tmp / f"farm{r}", "--broker", broker))
                runs["farm-few"].append(measured_cook(few, tmp / f"few{r}", "--broker", broker))
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    per = cpu["farm"] / args.n * 1000
    margin = (cpu["farm"] - cpu["farm-few"]) / (args.n - args.few) * 1000
    print(f"{args.n} textures of 32², quality fast, no cache; {args.workers} worker processes each side; medians of {args.repeat}")
    print(f"{'path':<10}{'wall s':>9}{'CPU s':>9}")
    for name in ("local", "farm"):
        print(f"{name:<10}{wall[name]:>9.2f}{cpu[name]:>9.2f}")
    print(f"coordinator CPU per texture on the farm: {per:.2f} ms over all, {margin:.2f} ms at the margin (goal <= 1.0)")
    print(f"farm / local wall: {wall['farm'] / wall['local']:.2f} (goal <= 1.5); local CPU includes its pool's processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
