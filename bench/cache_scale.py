"""Benchmark: the local cook cache at N entries — pruning and the source records, against listing and one file.

In one run, on this machine, in a temporary folder:

1. pruning a cache of N entries that is within its size: by its usage log (what a cook does) against
   listing every entry (what ``oxcook cache prune`` does; the entries are written directly, since a
   put makes each durable);
2. the source records of N sources: one looked up and changed and its shard written back (what a
   cook that cooks one texture does) against reading and writing all of them as one JSON file.

Run: ``python bench/cache_scale.py [--n 100000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from oxcook.coordinator.cache import ShardedRecords  # noqa: E402
from oxcook.worker.cache import FolderTier  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    n = args.n
    root = Path(tempfile.mkdtemp(prefix="oxcook-cache-scale-"))
    try:
        tier = FolderTier(root)
        for i in range(n):
            path = tier._path(hashlib.sha256(str(i).encode()).hexdigest())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(200))
        start = time.perf_counter()
        tier.prune(10**12, listing=True)
        listed = time.perf_counter() - start
        tier.put("f" * 64, bytes(200))
        start = time.perf_counter()
        tier.prune(10**12)
        logged = time.perf_counter() - start

        record = {"key": "a" * 64, "source": "b" * 64, "settings": {f"f{i}": i for i in range(24)}}
        names = [f"/src/d{i % 100:02d}/t{i:06d}_albedo.png" for i in range(n)]
        store = ShardedRecords(root / "sources", lambda v: True, print)
        for name in names:
            store.put(name, record)
        store.save()
        start = time.perf_counter()
        again = ShardedRecords(root / "sources", lambda v: True, print)
        again.get(names[7])
        again.put(names[7], {**record, "key": "c" * 64})
        again.save()
        one = time.perf_counter() - start
        blob = json.dumps(dict.fromkeys(names, record), separators=(",", ":"))
        (root / "whole.json").write_text(blob)
        start = time.perf_counter()
        whole = json.loads((root / "whole.json").read_text())
        (root / "whole.json").write_text(json.dumps(whole, separators=(",", ":")))
        as_one = time.perf_counter() - start
    finally:
        shutil.rmtree(root)
    print(f"N = {n}")
    print(f"prune within the size: by the usage log {logged * 1000:.2f} ms, listing every entry {listed:.3f} s ({logged / listed:.5f})")
    print(f"one source record looked up and written back: {one * 1000:.1f} ms; all of them as one {len(blob) >> 20} MB JSON file read and written: {as_one:.2f} s ({one / as_one:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
