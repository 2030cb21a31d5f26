"""Benchmark: one huge texture split across processes, locally and on the farm.

Writes one photo-like 8192² RGB PNG (``--size``), then times ``oxcook cook`` on
it with one compute process and with two: the local pool (``--workers 1`` /
``--workers 2``) and the farm (two private farms up at once, each a redis-server
with its own single-process ``oxcook worker``s: one, and two). Two processes
split the texture into two parts (``worker.split_bands``: the last part makes
the mip chain and encodes fewer level-0 bands); one process cannot split.
Prints wall times (medians), the ratio two/one (goal <= 0.55), the median of
the paired runs' ratios, and checks that every run wrote the same bytes. Also
prints one unsplit cook's stages, which bound the ratio: decoding is paid by
every part.

Run: ``python bench/split.py [--size 8192] [--quality default] [--repeat 1] [--no-farm] [--shared-storage]``
(``--shared-storage``: one more pair of farms, whose workers read the source by path instead of from
Redis — what the farm's transport of the source costs)
(runs alternate between one process and two, so a slow spell of the machine hits both)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._farm_services import farm  # noqa: E402
from bench._installed import alternating, compile_sources  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_source(path: Path, size: int) -> None:
    import imagecodecs

    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    img = np.stack([(np.sin(x / 37) + np.cos(y / 53)) * 60 + 128, np.sin((x + y) / 91) * 100 + 128, x / size * 255], axis=2)
    img += np.random.default_rng(1).normal(0, 8, img.shape).astype(np.float32)
    path.write_bytes(imagecodecs.png_encode(np.clip(img, 0, 255).astype(np.uint8), level=1))


def cook(src: Path, root: Path, quality: str, *extra: str) -> tuple[float, str, str]:
    """Wall seconds, the digest of the written texture data, and how the texture was cooked: its parts, the
    longest part's cook and the rest of its time in the job (waiting for a worker, travelling)."""
    report = root.with_suffix(".json")
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--quality", quality, "--progress", "none", "--no-cache", "--report", str(report), *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"cook failed: {proc.stderr}")
    seconds = time.perf_counter() - start
    texture = json.loads(report.read_text())["jobs"][0]["textures"][0]
    how = f"{texture['parts']} part(s), cook {texture['cook_ms'] / 1000:.1f} + queue {texture['queue_ms'] / 1000:.1f} s"
    return seconds, hashlib.sha256((root / "Resources" / "textures.data").read_bytes()).hexdigest(), how


def paired_cooks(src: Path, tmp: Path, quality: str, repeat: int, name: str, one: tuple[str, ...], two: tuple[str, ...]) -> tuple[float, float, float, set[str]]:
    """Cooks with one process and with two, in back-to-back pairs (each first in turn): the medians of
    each, the median of the pairs' two/one ratios, and the digests of every output. Prints every
    run's time and how its texture was cooked (a two-process run in one part did not split; a long queue
    with two parts means one waited for the other's worker)."""
    ones, twos = alternating(repeat, lambda i: cook(src, tmp / f"{name}1-{i}", quality, *one), lambda i: cook(src, tmp / f"{name}2-{i}", quality, *two))
    for a, b in zip(ones, twos):
        print(f"{name}: 1 process {a[0]:.2f} s ({a[2]}), 2 processes {b[0]:.2f} s ({b[2]})", flush=True)
    one_s, two_s = [run[0] for run in ones], [run[0] for run in twos]
    ratio = statistics.median(b / a for a, b in zip(one_s, two_s))
    return statistics.median(one_s), statistics.median(two_s), ratio, {run[1] for run in ones + twos}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--quality", default="default", choices=["fast", "default", "high"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-farm", action="store_true")
    parser.add_argument("--shared-storage", action="store_true", help="also a farm whose workers read the source by path")
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "huge_albedo.png"
        make_source(src, args.size)
        import dataclasses

        from oxcook.worker.cook import Bc7Quality, cook_texture, preset_desc

        stages = cook_texture(src.read_bytes(), dataclasses.replace(preset_desc("albedo", src.name), bc7_quality=Bc7Quality[args.quality.upper()])).timings_ms
        print(f"{args.size}² {args.quality}: one unsplit cook's stages (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items() if v >= 1), flush=True)
        one, two, ratio, digests = paired_cooks(src, tmp, args.quality, args.repeat, "local", ("--workers", "1"), ("--workers", "2"))
        rows = [("local pool", one, two, ratio)]
        if not args.no_farm:
            (tmp / "farm1").mkdir()
            (tmp / "farm2").mkdir()
            with farm(tmp / "farm1", 1) as one_worker, farm(tmp / "farm2", 2) as two_workers:  # the idle farm waits on its queue
                one, two, ratio, d = paired_cooks(src, tmp, args.quality, args.repeat, "farm", ("--broker", one_worker), ("--broker", two_workers))
                rows.append(("farm (loopback)", one, two, ratio))
                digests |= d
        if args.shared_storage:
            (tmp / "paths1").mkdir()
            (tmp / "paths2").mkdir()
            roots = ("--source-root", str(tmp))
            with farm(tmp / "paths1", 1, *roots) as one_worker, farm(tmp / "paths2", 2, *roots) as two_workers:
                one, two, ratio, d = paired_cooks(
                    src, tmp, args.quality, args.repeat, "paths", ("--broker", one_worker, "--shared-storage"), ("--broker", two_workers, "--shared-storage")
                )
                rows.append(("farm, by path", one, two, ratio))
                digests |= d
    print(f"{'backend':<18}{'1 process s':>13}{'2 processes s':>15}{'2/1':>8}{'paired':>9}")
    print("-" * 63)
    for name, a, b, paired in rows:
        print(f"{name:<18}{a:>13.2f}{b:>15.2f}{b / a:>8.3f}{paired:>9.3f}")
    print(f"bytes identical in every run: {'yes' if len(digests) == 1 else 'NO'} (goal: 2/1 <= 0.55; medians of {args.repeat};")
    print(" paired: the median of the two/one ratios of back-to-back pairs, each first in turn)")
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
