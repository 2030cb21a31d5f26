"""A real ``oxcook worker`` whose encode is a sleep, for bench/farm_scale.py only: ``python -m bench._sleepy_worker worker …``.

Everything but the cook is the product's: Celery and its messages, the tasks
(``oxcook.cook_texture``, ``oxcook.cook_chunk``), the work items and source
blobs read from Redis, leases, heartbeats, and the results stored and
published. Only the cook step (``run_work``) is replaced:

* the first texture of a size (its source's header) is cooked for real and its
  result kept in ``$OXCOOK_SIM_DIR/<w>x<h>.result`` (the product's msgpack wire);
* every later texture of that size sleeps that size's modelled encode time
  (``$OXCOOK_SIM_ENCODE``: ``edge:seconds,…``, keyed by the source's width) and
  returns the kept result re-addressed to the item — the bench's sources of a
  size have the same pixels, so it is the bytes a real cook would return;
* each slept item's start and end (``time.time()``) are appended to
  ``$OXCOOK_SIM_DIR/times-<pid>.txt``: the bench computes the farm's
  throughput and busy share from them.

``worker --threads N`` runs the same worker with Celery's threads pool of N
threads in one process instead of prefork processes: N slots that each sleep
the modelled encode, for farms larger than the machine has room for as
processes (their Celery and Redis upkeep then shares one interpreter).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

from oxcook.worker import run_work
from oxcook.worker.cook import HEADER_BYTES, image_size
from oxcook.worker.wire import TextureResult, TextureWork, answer, decode, encode
from oxcook.worker.farm import celery_app

SIM_DIR = os.environ.get("OXCOOK_SIM_DIR", "")
ENCODE_S = {int(edge): float(seconds) for edge, _, seconds in (p.partition(":") for p in os.environ.get("OXCOOK_SIM_ENCODE", "").split(",") if p)}
_kept: dict[str, TextureResult] = {}


def _kept_result(name: str) -> TextureResult | None:
    if name not in _kept:
        path = os.path.join(SIM_DIR, name + ".result")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as fh:
            _kept[name] = decode(fh.read(), expect=TextureResult)
    return _kept[name]


def sleepy(work, cancel=None):
    start = time.time()
    if not isinstance(work, TextureWork) or len(work.sources) != 1:
        return run_work(work, cancel=cancel)
    size = image_size(work.sources[0][:HEADER_BYTES], work.source_id)
    if size is None or size[0] not in ENCODE_S:
        return run_work(work, cancel=cancel)
    name = f"{size[0]}x{size[1]}"
    kept = _kept_result(name)
    if kept is None:  # the first of its size: cooked for real, and kept for every later one
        result = run_work(work, cancel=cancel)
        if result.ok:
            staged = os.path.join(SIM_DIR, f"{name}.{os.getpid()}.tmp")
            with open(staged, "wb") as fh:
                fh.write(encode(dataclasses.replace(result, lease="")))
            os.replace(staged, os.path.join(SIM_DIR, name + ".result"))
        return result
    time.sleep(ENCODE_S[size[0]])
    end = time.time()
    with open(os.path.join(SIM_DIR, f"times-{os.getpid()}.txt"), "a") as fh:
        fh.write(f"{start:.6f} {end:.6f}\n")
    return dataclasses.replace(answer(work, kept), cook_ms=(end - start) * 1000.0)


def serve_threads(argv: list[str]) -> int:
    """``worker --threads N --hostname H --loglevel L``: the product worker's Celery options, threads pool."""
    threads, hostname, loglevel = (argv[argv.index(flag) + 1] for flag in ("--threads", "--hostname", "--loglevel"))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    stopped = celery_app.serve(["worker", "--pool", "threads", "--concurrency", threads, "--events", "--prefetch-multiplier", "1", "-O", "fair", "--loglevel", loglevel, "--hostname", hostname])
    return stopped.exit_code


if __name__ == "__main__":
    celery_app.run_work_noting_output = sleepy  # what the farm task cooks with; forked pool processes inherit it
    if "--threads" in sys.argv:
        sys.exit(serve_threads(sys.argv[1:]))
    from oxcook.coordinator.cli import main

    sys.exit(main())
