"""Benchmark: what one coordinator costs per texture on the farm, the farm against the local pool on tiny textures, and a large farm simulated.

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

**The simulated farm** (``--sim 8,32,128``): how many workers one coordinator
keeps busy, for three mixes — 2048² BC7 ``default`` (modelled encode 1.5 s),
512² BC7 ``fast`` (20 ms) and 64² UI (RGBA8, 1 ms).

* Real: the coordinator (``oxcook cook --broker … --window 4K --split-above 0
  --no-cache``, the product's own process), the redis-server on loopback, and K
  ``oxcook worker --concurrency 1`` processes (Celery's prefork: a parent and
  one pool process each) with all their Redis and Celery traffic — work items,
  source blobs, chunks, leases, heartbeats, events, results. Sources are real
  PNGs of the modelled size (same pixels, different bytes: no cache or blob
  store takes one for another), generated once per run.
* Simulated: only the encode. The workers run ``bench/_sleepy_worker.py``,
  which replaces the cook step by a sleep of the mix's modelled encode time and
  returns the result of one real cook of that mix, made once up front with the
  real cooker and re-addressed to each item: the coordinator checks every
  result against the header it read, hashes and places it as it would a real
  one. The machine's two cores then run the coordinator, Redis and the
  workers' Celery overhead, not encoding. The placed payloads are identical
  within a mix, so the container stores each once (dedup): the MB/s counts the
  payload bytes each result carries through Redis to the coordinator, not disk
  writes.
* Measured per mix and K: the coordinator's CPU per texture (its process's
  user + system time, ``wait4``; at the margin: minus the median of three cooks
  of one texture, its fixed cost; "all": over every texture); textures/s and
  MB/s at saturation, and the share of the K processes' time spent encoding
  ("busy") — both from the workers' own start/end stamps of every encode,
  between the 10th and 90th percentile of finish times (no ramp-up, no tail);
  latency from submission to result, ``queue_ms + cook_ms`` of the report
  (median, p95: it includes the wait in Celery's queue behind the window's
  other textures); Redis's peak ``used_memory`` during the cook (read every 20 ms:
  ``used_memory_peak`` is the server's since it started); the coordinator's
  peak RSS (``VmHWM``).
* "One coordinator feeds N workers": N is the largest K measured whose
  processes are busy >= 90 % of the time; when even the largest K is kept
  busy, N is at least that K. Printed beside it: the K up to which textures/s
  grew ~linearly (each step >= 90 % of K's ratio), the textures/s and busy
  share at every K, and two extrapolations from the same run: the
  coordinator's best measured rate R keeps ~R x encode / 0.9 workers 90 %
  busy, and at its marginal CPU per texture c one whole core (R = 1 / c) would
  keep ~encode / c / 0.9. On this machine the coordinator shares two cores
  with Redis, every worker's Celery upkeep and whatever else runs (the machine's
  CPU use with the farm idle is printed), so these are lower bounds for a
  coordinator on a machine of its own.
* K is grown in place (8, then 32, then 128 worker slots on the same Redis).
  Up to K = 32 each slot is a single-process prefork worker, as a real farm
  runs; 128 Celery prefork workers (256 processes, ~11 GB) fit this machine's
  memory but not its two cores (starting them takes minutes, and their idle
  upkeep alone keeps both cores busy), so above 32 the slots are modelled by
  workers of Celery's threads pool, ``THREADS`` slots a process, each slot
  sleeping the modelled encode (``bench/_sleepy_worker.py worker --threads``):
  the sleep is the encode model, so a thread is a fair stand-in for a process,
  while their Celery and Redis upkeep shares one interpreter per 16 slots (for
  short encodes such a process can lag behind its 16 slots: a lower bound). A K
  whose added processes would leave less than ``--reserve-gb`` of memory (by
  the measured memory per worker process) is not run, and said so. A cook that
  does not end within ``--sim-timeout`` seconds ends the simulation with the
  rows measured so far.
* ``--big N`` adds, on the first K, one job of N 64² UI textures against one of
  1 000 (the coordinator sets the pace there): the coordinator's peak RSS,
  Redis's peak and the ``oxcook:*`` keys left after each job, and the time a
  texture of each 1 000 took (from the workers' finish stamps, which follow
  placement within the job's window of 64: a texture is submitted only once
  one before it is placed).
* oxcook runs byte-compiled, as ``pip install .`` leaves it
  (``bench/_installed.py``).

Run: ``python bench/farm_scale.py [--n 2000] [--repeat 3] [--sim 8,32,128] [--sim-scale 1.0] [--sim-timeout 120] [--big 10000] [--no-tiny]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._farm_services import farm, farm_services  # noqa: E402
from bench._installed import compile_sources  # noqa: E402

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


@dataclass(frozen=True)
class Mix:
    """One kind of texture the simulated farm cooks: sources of ``edge``², cooked with ``quality``, encoding ``encode_s``."""

    label: str
    edge: int
    suffix: str
    quality: str
    encode_s: float

    def count(self, k: int, scale: float) -> int:
        """Textures in one run on ``k`` workers: two rounds of every worker for long encodes, else enough for
        ~1.5 s of the farm's ideal throughput (at least 300, at most 1000)."""
        if self.encode_s >= 0.5:
            return max(8, int(2 * k * scale))
        return int(min(1000, max(300, 1.5 * k / self.encode_s)) * scale)


MIXES = (
    Mix("2048² BC7 default", 2048, "_albedo", "default", 1.5),
    Mix("512² BC7 fast", 512, "_albedo", "fast", 0.020),
    Mix("64² UI", 64, "_ui", "fast", 0.001),
)


def png_family(edge: int, count: int, folder: Path, suffix: str, start: int = 0) -> Path:
    """``count`` PNGs of ``edge``² with the same pixels (a smooth pattern: small files) and different bytes (a text
    chunk naming each): real sources of the modelled size, written in milliseconds, which no cache or blob store
    takes for one another."""
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:edge, 0:edge]
    rgb = np.stack([(x * 255 // max(edge - 1, 1)), (y * 255 // max(edge - 1, 1)), ((x ^ y) & 255)], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    data = buf.getvalue()
    head, rest = data[:33], data[33:]  # signature and IHDR, then the rest
    for i in range(start, start + count):
        body = b"tEXt" + b"oxcook-sim\0" + str(i).encode()
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        (folder / f"s{i:05d}{suffix}.png").write_bytes(head + chunk + rest)
    return folder


def cpu_busy(seconds: float) -> float:
    """The share of this machine's CPU time spent busy over ``seconds`` (from /proc/stat)."""

    def sample():
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


class CookTimeout(Exception):
    """A simulated cook took longer than its bound (it was stopped)."""


def sim_cook(src: Path, root: Path, broker: str, quality: str, window: int, report: Path, timeout: float = 120.0) -> dict:
    """One ``oxcook cook`` on the farm: wall, CPU (user + system, ``wait4``) and peak RSS (``VmHWM``, read while it
    runs) of the coordinator's process, and Redis's peak ``used_memory`` meanwhile (read every 20 ms: ``INFO``'s
    ``used_memory_peak`` is the server's since it started)."""
    import redis

    cmd = [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--quality", quality, "--progress", "none", "--no-cache"]
    cmd += ["--broker", broker, "--window", str(window), "--split-above", "0", "--report", str(report)]
    client = redis.Redis.from_url(broker)
    peaks = {"rss": 0, "redis": client.info("memory")["used_memory"]}
    done = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)

    def watch() -> None:
        while not done.wait(0.02):
            try:
                hwm = next(line for line in open(f"/proc/{proc.pid}/status") if line.startswith("VmHWM:"))
                peaks["rss"] = max(peaks["rss"], int(hwm.split()[1]))
            except (OSError, StopIteration):
                pass
            peaks["redis"] = max(peaks["redis"], client.info("memory")["used_memory"])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    killer = threading.Timer(timeout, proc.terminate)
    killer.start()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    killer.cancel()
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    client.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if wall >= timeout:
        raise CookTimeout(f"{src.name}: no end within {timeout:.0f} s")
    if proc.returncode != 0:
        raise SystemExit(f"cook failed ({proc.returncode}): {stderr.decode(errors='replace')[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": peaks["rss"] / 1024, "redis_mb": peaks["redis"] / 2**20}


def farm_timeline(sim_dir: Path) -> list[tuple[float, float]]:
    """Every slept item's (start, end) since the last call, and the files emptied."""
    spans = []
    for path in sim_dir.glob("times-*.txt"):
        spans += [tuple(map(float, line.split())) for line in path.read_text().splitlines() if line]
        path.unlink()
    return sorted(spans, key=lambda s: s[1])


def saturation(spans: list[tuple[float, float]], k: int) -> tuple[float, float, float]:
    """Textures/s, and the share of the ``k`` processes' time spent encoding, over the middle of the run (between the
    10th and 90th percentile of finish times: no ramp-up, no tail), and that window's seconds. Textures/s counts the
    encoding time spent in the window in textures (a texture half encoded in it counts half)."""
    ends = [e for _, e in spans]
    lo, hi = ends[len(ends) // 10], ends[(len(ends) * 9) // 10]
    if hi <= lo:
        lo, hi = spans[0][0], ends[-1]
    busy = sum(max(0.0, min(e, hi) - max(s, lo)) for s, e in spans)
    each = statistics.mean(e - s for s, e in spans)  # textures encoded in the window, fractions counted: no rounding to whole rounds
    return busy / each / (hi - lo), busy / (k * (hi - lo)), hi - lo


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


THREADS = 16  # slots of one threads-pool sleepy worker: how K above PROCESS_K is modelled
PROCESS_K = 32  # up to this K, one single-process prefork worker per slot


def simulate(tmp: Path, ks: list[int], scale: float, reserve_gb: float, timeout: float, big: int = 0) -> list[dict]:
    """The simulated farm (see the module's docstring): every mix on every feasible ``k`` of ``ks``; rows of figures."""
    sim_dir = tmp / "sim"
    sim_dir.mkdir()
    encode = ",".join(f"{m.edge}:{m.encode_s}" for m in MIXES)
    rows = []
    with farm_services(tmp, OXCOOK_SIM_DIR=str(sim_dir), OXCOOK_SIM_ENCODE=encode) as services:
        # one real cook per mix, up front: the result every later texture of its mix returns
        for m in MIXES:
            warm = png_family(m.edge, 1, tmp / f"warm{m.edge}", m.suffix, start=99999)
            if not services.workers:
                services.grow(1, module="bench._sleepy_worker")
            sim_cook(warm, tmp / f"warm{m.edge}-out", services.url, m.quality, 8, tmp / "warm.json")
        # the coordinator's fixed cost (start, plan, commit): a cook of one texture, its code loaded before
        one = png_family(64, 1, tmp / "one", "_ui", start=99998)
        fixed = statistics.median(sim_cook(one, tmp / f"one{r}", services.url, "fast", 8, tmp / "one.json")["cpu"] for r in range(3))
        farm_timeline(sim_dir)
        per_worker_mb = None
        for k in ks:
            if per_worker_mb is not None:
                available = _available_mb()
                need = _processes_to_add(services.workers, k) * per_worker_mb
                if need > available - reserve_gb * 1024:
                    print(f"K={k}: not run: {k - services.workers} more workers need ~{need / 1024:.1f} GB, {available / 1024:.1f} GB available (keeping {reserve_gb:.0f} GB)", flush=True)
                    break
            before_mb, started = _available_mb(), time.perf_counter()
            grown = k - services.workers
            services.grow(k, module="bench._sleepy_worker", seconds=120, threads=THREADS if k > PROCESS_K else 0)
            startup = time.perf_counter() - started
            if grown > 0 and k <= PROCESS_K:
                per_worker_mb = max(per_worker_mb or 0.0, (before_mb - _available_mb()) / grown)
            idle_cpu = cpu_busy(1.0)
            print(f"K={k}: {grown} more workers ready in {startup:.0f} s; machine {idle_cpu * 100:.0f} % busy with the farm idle", flush=True)
            for m in MIXES:
                n = m.count(k, scale)
                src = png_family(m.edge, n, tmp / f"k{k}-{m.edge}", m.suffix)
                report = tmp / f"k{k}-{m.edge}.json"
                try:
                    run = sim_cook(src, tmp / f"k{k}-{m.edge}-out", services.url, m.quality, 4 * k, report, timeout)
                except CookTimeout as exc:
                    print(f"{m.label}, K={k}: stopped: {exc}; the simulation ends here", flush=True)
                    return rows
                textures = [t for job in json.loads(report.read_text())["jobs"] for t in job["textures"]]
                failed = sum(job["totals"]["failed"] for job in json.loads(report.read_text())["jobs"])
                if failed or len(textures) != n:
                    raise SystemExit(f"{m.label}, K={k}: {failed} of {len(textures)} textures failed ({n} sent)")
                latency = [t["queue_ms"] + t["cook_ms"] for t in textures]
                spans = farm_timeline(sim_dir)
                if len(spans) < n:
                    raise SystemExit(f"{m.label}, K={k}: {len(spans)} of {n} textures slept on the farm (the rest were cooked elsewhere)")
                rate, busy, window_s = saturation(spans, k)
                payload = max(t["bytes"] for t in textures)
                rows.append(
                    dict(
                        mix=m.label, encode_s=m.encode_s, k=k, n=n, window=4 * k, wall=run["wall"], cpu_all=run["cpu"] / n * 1000,
                        cpu_ms=(run["cpu"] - fixed) / (n - 1) * 1000,
                        rate=rate, mb_s=rate * payload / 2**20, busy=busy, p50=percentile(latency, 0.5), p95=percentile(latency, 0.95),
                        redis_mb=run["redis_mb"], rss_mb=run["rss_mb"], idle_cpu=idle_cpu, startup=startup, worker_mb=per_worker_mb, steady_s=window_s,
                    )
                )
                print(_row_text(rows[-1]), flush=True)
                for path in (src, tmp / f"k{k}-{m.edge}-out"):
                    shutil.rmtree(path)
            if big and k == ks[0]:
                rows.append(scale_check(services, tmp, sim_dir, big, k, max(timeout, big / 20)))
    return rows


def _processes_to_add(slots: int, k: int) -> int:
    """Worker processes that grow a simulated farm of ``slots`` to ``k``: one per slot up to ``PROCESS_K``, then
    threads-pool workers of ``THREADS`` slots each."""
    alone = max(0, min(k, PROCESS_K) - slots)
    return alone + -(-max(0, k - max(slots, PROCESS_K)) // THREADS)


def scale_check(services, tmp: Path, sim_dir: Path, big: int, k: int, timeout: float) -> dict:
    """One job of ``big`` textures against one of 1 000 on the same farm (64² UI: the coordinator sets the pace):
    the coordinator's peak RSS, Redis's peak memory and the keys a job leaves, and the placing pace of its first and
    last 1 000 textures — from the workers' finish stamps, which follow placement within the job's window (a
    texture is submitted only once one before it is placed)."""
    import redis

    mix = MIXES[2]
    runs = {}
    for n in (1000, big):
        src = png_family(mix.edge, n, tmp / f"big{n}", mix.suffix)
        run = sim_cook(src, tmp / f"big{n}-out", services.url, mix.quality, 64, tmp / f"big{n}.json", timeout)
        ends = [e for _, e in farm_timeline(sim_dir)]
        if len(ends) < n:
            raise SystemExit(f"scale check, {n} textures: {len(ends)} slept on the farm")
        client = redis.Redis.from_url(services.url)
        left = sum(1 for _ in client.scan_iter(match="oxcook:*"))
        client.close()
        blocks = [(ends[min(i + 1000, len(ends) - 1)] - ends[i]) / 1000 * 1000 for i in range(0, len(ends) - 1, 1000)]
        run.update(first_ms=(ends[999] - ends[0]) / 999 * 1000, last_ms=(ends[-1] - ends[-1000]) / 999 * 1000, keys_left=left, blocks=blocks)
        runs[n] = run
        print(
            f"scale, {n} textures: {run['wall']:.1f} s, coordinator {run['cpu'] / n * 1000:.2f} ms CPU a texture, peak RSS {run['rss_mb']:.0f} MB, "
            f"Redis peak {run['redis_mb']:.0f} MB, {left} keys left; first 1 000 at {run['first_ms']:.2f} ms a texture, last 1 000 at {run['last_ms']:.2f}"
            f" (each 1 000: {', '.join(f'{b:.2f}' for b in blocks)}; machine {cpu_busy(0.5) * 100:.0f} % busy after)",
            flush=True,
        )
        for path in (src, tmp / f"big{n}-out"):
            shutil.rmtree(path)
    return {"scale": runs, "k": k, "big": big}


def scale_text(check: dict) -> str:
    small, big = check["scale"][1000], check["scale"][check["big"]]
    return (
        f"one job of {check['big']} textures against one of 1000 (64² UI, K={check['k']}, window 64): coordinator peak RSS "
        f"{big['rss_mb']:.0f} MB against {small['rss_mb']:.0f} MB ({big['rss_mb'] / small['rss_mb']:.2f}x, goal <= 1.1); its last 1 000 "
        f"textures placed at {big['last_ms'] / big['first_ms']:.2f}x the time a texture of its first 1 000 (goal <= 1.0 within noise); "
        f"Redis peak {big['redis_mb']:.0f} MB against {small['redis_mb']:.0f}; keys left after each job: {small['keys_left']}, {big['keys_left']}"
    )


def _available_mb() -> float:
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


HEADER = f"{'mix':<19}{'K':>4}{'n':>6}{'CPU ms/tex':>11}{'(all)':>7}{'tex/s':>8}{'MB/s':>7}{'busy %':>7}{'p50 ms':>8}{'p95 ms':>8}{'redis MB':>9}{'RSS MB':>8}{'wall s':>7}"


def _row_text(r: dict) -> str:
    return (
        f"{r['mix']:<19}{r['k']:>4}{r['n']:>6}{r['cpu_ms']:>11.2f}{r['cpu_all']:>7.2f}{r['rate']:>8.1f}{r['mb_s']:>7.0f}{r['busy'] * 100:>7.0f}"
        f"{r['p50']:>8.0f}{r['p95']:>8.0f}{r['redis_mb']:>9.0f}{r['rss_mb']:>8.0f}{r['wall']:>7.1f}"
    )


def feeds(rows: list[dict], mix: Mix) -> str:
    """How many workers one coordinator keeps busy on ``mix``: the measured bound, and the extrapolation."""
    mine = sorted((r for r in rows if r["mix"] == mix.label), key=lambda r: r["k"])
    if not mine:
        return f"{mix.label}: not measured"
    busy = [r["k"] for r in mine if r["busy"] >= 0.9]
    linear = [mine[0]["k"]]
    for a, b in zip(mine, mine[1:]):
        if b["rate"] / a["rate"] >= 0.9 * b["k"] / a["k"] and b["busy"] >= 0.9:
            linear.append(b["k"])
        else:
            break
    top = max(mine, key=lambda r: r["rate"])
    by_rate = top["rate"] * mix.encode_s / 0.9
    by_cpu = mix.encode_s / (top["cpu_ms"] / 1000) / 0.9
    scaling = " -> ".join(f"K={r['k']}: {r['rate']:.0f}/s, {r['busy'] * 100:.0f} % busy" for r in mine)
    if busy and busy[-1] == mine[-1]["k"]:
        measured = f"keeps all {mine[-1]['k']} measured busy (>= 90 %): feeds at least {mine[-1]['k']}"
    elif busy:
        measured = f"feeds {busy[-1]} (busy >= 90 %), not {mine[len(busy)]['k']}" if len(busy) < len(mine) else f"feeds {busy[-1]}"
    else:
        measured = f"feeds fewer than {mine[0]['k']} (busy < 90 % already at K={mine[0]['k']})"
    return (
        f"{mix.label} (encode {mix.encode_s * 1000:g} ms): one coordinator {measured}; linear to K={linear[-1]}; "
        f"at its best rate ({top['rate']:.0f}/s) it would keep ~{by_rate:.0f} busy; its CPU alone (one core at {top['cpu_ms']:.2f} ms/texture) ~{by_cpu:.0f}\n    ({scaling})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--few", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sim", default="8,32,128", help="simulated farm sizes, comma-separated (empty: no simulation)")
    parser.add_argument("--sim-scale", type=float, default=1.0, help="scales the textures of each simulated run")
    parser.add_argument("--reserve-gb", type=float, default=4.0, help="memory left free when deciding whether a farm size fits")
    parser.add_argument("--sim-timeout", type=float, default=120.0, help="seconds one simulated cook may take")
    parser.add_argument("--no-tiny", action="store_true", help="only the simulation")
    parser.add_argument("--big", type=int, default=0, help="on the first simulated K, one job of this many textures against one of 1000 (0: none)")
    args = parser.parse_args()
    compile_sources()
    if not args.no_tiny:
        tiny(args)
    ks = [int(k) for k in args.sim.split(",") if k]
    if ks:
        with tempfile.TemporaryDirectory(prefix="oxcook-farm-sim-") as tmp:
            print(f"\nsimulated farm: K sleepy worker slots (single-process workers up to K={PROCESS_K}, then {THREADS}-thread workers; real Celery and Redis, encode = sleep of the modelled time), window 4K, no cache, no split", flush=True)
            print(HEADER, flush=True)
            rows = simulate(Path(tmp), ks, args.sim_scale, args.reserve_gb, args.sim_timeout, args.big)
        checks = [r for r in rows if "scale" in r]
        rows = [r for r in rows if "scale" not in r]
        print()
        print(HEADER)
        for r in rows:
            print(_row_text(r))
        for r in rows[:: len(MIXES)]:
            model = f"{min(r['k'], PROCESS_K)} single-process workers" + (f" and {-(-(r['k'] - PROCESS_K) // THREADS)} of {THREADS} threads" if r["k"] > PROCESS_K else "")
            print(f"K={r['k']} ({model}): ready in {r['startup']:.0f} s, ~{r['worker_mb']:.0f} MB a process; machine busy {r['idle_cpu'] * 100:.0f} % with the farm idle")
        for check in checks:
            print(scale_text(check))
        print("one coordinator feeds N workers (N: the largest K kept >= 90 % busy; the extrapolations from its best rate and its CPU per texture):")
        for m in MIXES:
            print("  " + feeds(rows, m))
    return 0


def tiny(args) -> None:
    with tempfile.TemporaryDirectory(prefix="oxcook-farm-scale-") as tmp:
        tmp = Path(tmp)
        many, few = make_tiny(tmp / "many", args.n), make_tiny(tmp / "few", args.few)
        with farm(tmp, args.workers) as broker:
            measured_cook(few, tmp / "warm", "--broker", broker)  # every worker process warm
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
    print(f"farm / local wall: {wall['farm'] / wall['local']:.2f} (goal <= 1.5); local CPU includes its pool's processes", flush=True)


if __name__ == "__main__":
    sys.exit(main())
