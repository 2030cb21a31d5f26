"""Benchmark: the Celery farm against the local backend, payload intake, and per-task cost.

In one run, on this machine, with a private redis-server and oxcook workers:

1. the same corpus cooked by the local backend (one process per core) and by
   the farm with as many worker processes — ratio farm/local (goal >= 0.85);
2. coordinator payload intake: MB/s of results read back through the farm's
   path (BLPOP + GETDEL of stored payloads, the items' other keys deleted in a batch) vs a plain Redis GET of the same
   sizes (goal >= 0.9);
3. per-task fixed cost: wall time per 64² texture through the farm, minus the
   local cook time of the same texture (goal <= 5 ms).

Run: ``python bench/farm.py [--n 16] [--quality fast] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench._farm_services import farm  # noqa: E402
from bench._installed import compile_sources  # noqa: E402
from bench.cook_local import make_textures  # noqa: E402
from oxcook.coordinator import Config  # noqa: E402
from oxcook.worker.farm import keys  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def timed_cook(src: Path, root: Path, quality: str, broker: str | None) -> float:
    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--quality", quality, "--progress", "none", "--no-cache"]
    if broker:
        cmd += ["--broker", broker]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"cook failed: {proc.stderr}")
    return time.perf_counter() - start


INTAKE_ROUNDS = 7


async def intake(url: str, sizes: list[int], rounds: int = INTAKE_ROUNDS) -> tuple[float, float]:
    """MB/s through the farm's result path (BLPOP + GETDEL, other keys deleted in a batch) vs plain GET, same
    payloads: the medians of ``rounds`` passes of each, alternating (one pass is ~0.1 s: the machine's swings show)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    payloads = [os.urandom(s) for s in sizes]
    total = sum(sizes) / 2**20
    job = "bench"
    plain_rates, farm_rates = [], []
    for _ in range(rounds):
        for i, p in enumerate(payloads):
            await client.set(f"bench:get:{i}", p)
            await client.set(keys.result(job, str(i)), p)
            await client.rpush(keys.done(job), str(i))
        start = time.perf_counter()
        for i in range(len(payloads)):
            await client.get(f"bench:get:{i}")
        plain_rates.append(total / (time.perf_counter() - start))
        start = time.perf_counter()
        spent = []
        for _ in payloads:  # what FarmBackend's reader does for each result
            _, key = await client.blpop([keys.done(job)], timeout=1)
            name = key.decode()
            await client.getdel(keys.result(job, name))
            spent += (keys.work(job, name), keys.attempts(job, name), keys.lease(job, name))
        await client.delete(*spent)
        farm_rates.append(total / (time.perf_counter() - start))
    await client.delete(*[f"bench:get:{i}" for i in range(len(payloads))])
    await client.aclose()
    return statistics.median(farm_rates), statistics.median(plain_rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--small", type=int, default=64, help="number of 64² textures for the per-task cost")
    parser.add_argument("--quality", default="fast", choices=("fast", "default", "high"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assets", type=Path, default=REPO.parent / "shared" / "assets")
    args = parser.parse_args()
    compile_sources()
    cores = Config().thread_pool_size
    with tempfile.TemporaryDirectory(prefix="oxcook-farm-bench-") as tmp, farm(Path(tmp), cores) as broker:
        tmp = Path(tmp)
        big = tmp / "big"
        big.mkdir()
        make_textures(args.assets, big, args.n)
        small = tmp / "small"
        small.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.small):
            Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(small / f"s{i:03d}_albedo.png")
        rows = []
        for label, src in (("2048² x%d" % args.n, big), ("64² x%d" % args.small, small)):
            local = [timed_cook(src, tmp / f"l{label}{r}", args.quality, None) for r in range(args.repeat)]
            remote = [timed_cook(src, tmp / f"f{label}{r}", args.quality, broker) for r in range(args.repeat)]
            rows.append((label, statistics.median(local), statistics.median(remote)))
        print(f"{cores} worker processes each side, quality {args.quality}, medians of {args.repeat}")
        print(f"{'corpus':<14}{'local s':>10}{'farm s':>10}{'farm/local speed':>18}")
        for label, local, remote in rows:
            print(f"{label:<14}{local:>10.2f}{remote:>10.2f}{local / remote:>18.3f}")
        small_local, small_farm = rows[1][1], rows[1][2]
        print(f"per-task fixed cost on 64²: {(small_farm - small_local) / args.small * 1000:.2f} ms per texture (farm - local)")
        sizes = [5_595_904] * 32  # a 2048² BC7 payload with mips
        farm_rate, plain_rate = asyncio.run(intake(broker, sizes))
        print(f"payload intake (medians of {INTAKE_ROUNDS} passes each): farm path {farm_rate:.0f} MB/s, plain GET {plain_rate:.0f} MB/s, ratio {farm_rate / plain_rate:.3f}")
        print("(goals: farm/local >= 0.85; intake ratio >= 0.9; per-task cost <= 5 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
