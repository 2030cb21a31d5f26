"""Benchmark: the cook journal's share of the cooks where it records the most.

1. One glTF scene with ``--materials`` materials (20 000), each used by one
   primitive of a one-triangle mesh, cooked into a fresh root: a descriptor
   and a record per material.
2. ``--textures`` small textures (2 000, 16²) cooked, then cooked again into
   the same root: the second cook replaces every descriptor and sidecar, so
   each is backed up and journaled first.

Journal time is the wall time spent inside the journal (``CookJournal.begin``,
``will_write_all``, ``move_aside``, ``commit``), measured in the same process
as the cook; the goal is <= 5 % of the cook's wall time.

Run: ``python bench/journal.py [--materials 20000] [--textures 2000]``
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oxcook.coordinator.cli import main as oxcook  # noqa: E402
from oxcook.coordinator.emit import CookJournal  # noqa: E402


class JournalClock:
    """Adds up the wall time spent in the journal's methods, from any thread."""

    METHODS = ("begin", "will_write_all", "move_aside", "commit")

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        for name in self.METHODS:
            wrapper = self._timed(getattr(CookJournal, name))  # begin: bound to the class; the rest: plain functions
            setattr(CookJournal, name, staticmethod(wrapper) if name == "begin" else wrapper)

    def _timed(self, original):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - start

        return timed

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def many_materials_scene(folder: Path, count: int) -> Path:
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(positions), "uri": "data:application/octet-stream;base64," + base64.b64encode(positions).decode()}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]}],
        "materials": [{"name": f"m{i}", "pbrMetallicRoughness": {"baseColorFactor": [i % 7 / 7, i % 11 / 11, i % 13 / 13, 1]}} for i in range(count)],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "material": i} for i in range(count)]}],
        "nodes": [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
        "scene": 0,
    }
    path = folder / "materials.gltf"
    path.write_text(json.dumps(doc))
    return path


def cook(clock: JournalClock, *args: str) -> tuple[float, float]:
    clock.take()
    start = time.perf_counter()
    code = oxcook(["cook", *args, "--progress", "none", "--no-cache", "--quality", "fast"])
    wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"cook failed with exit {code}")
    return wall, clock.take()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--materials", type=int, default=20_000)
    parser.add_argument("--textures", type=int, default=2_000)
    args = parser.parse_args()
    clock = JournalClock()
    rows = []
    with tempfile.TemporaryDirectory(prefix="oxcook-journal-") as tmp_name:
        tmp = Path(tmp_name)
        scene = many_materials_scene(tmp, args.materials)
        rows.append((f"{args.materials} materials, fresh root", *cook(clock, str(scene), "-o", str(tmp / "scene"))))
        src = tmp / "textures"
        src.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.textures):
            Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src / f"t{i:05d}_albedo.png")
        rows.append((f"{args.textures} textures, first cook", *cook(clock, str(src), "-o", str(tmp / "tex"))))
        rows.append((f"{args.textures} textures, re-cook", *cook(clock, str(src), "-o", str(tmp / "tex"))))
    print(f"{'cook':<36}{'wall s':>9}{'journal s':>11}{'share':>8}")
    print("-" * 64)
    for name, wall, journal in rows:
        print(f"{name:<36}{wall:>9.2f}{journal:>11.3f}{journal / wall:>8.1%}")
    print("(journal = time inside CookJournal.begin/will_write_all/move_aside/commit; goal <= 5 % of the cook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
