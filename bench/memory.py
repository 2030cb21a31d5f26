"""Benchmark: the peak memory of one texture cook, in the worker and in the coordinator, against the budget's estimates.

For each input kind this writes a source image, then measures two fresh
processes, each reading its own peak RSS (``VmHWM``) minus its RSS just before
the work:

* **worker**: what a local pool process runs for one work item
  (``run_in_pool_process`` on the encoded item, by path) and the pickling of
  its result that sends it back; estimate: ``worker.CookCost.estimate``, the
  number the budget checks before decoding;
* **coordinator**: ``oxcook cook`` of that one file (a cold cache in a
  temporary folder, two processes, the texture split in two so its parts are
  joined here); estimate: ``coordinator.result_estimate``, what the
  coordinator's budget reserves for it.

Then the coordinator alone for generated glTF scenes (:func:`write_scene`:
primitives sharing one accessor set, and scenes sharing nothing), against the
scene estimate its budget checks before the vertex data is read
(``coordinator.importers._scene_budget``).

The goal is every ratio < 1: the estimates are upper bounds. Sources: 1-bit
PNGs (a 16384² one is 32 KB), smooth RGB and 16-bit RGBA PNGs, an RLE
Radiance HDR and a half-float EXR.

Run: ``python bench/memory.py [--large] [--quality fast]`` (``--large`` adds 8192² and 16384² 1-bit PNGs
and an 8192² HDR: several GB and minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_RSS = r"""
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
"""

WORKER = _RSS + r"""
import dataclasses, json, os, sys
from multiprocessing.reduction import ForkingPickler
from oxcook.worker import run_in_pool_process
from oxcook.worker.cook import Bc7Quality, preset_desc
from oxcook.worker.wire import TextureWork, decode, encode

os.environ["OXCOOK_SOURCE_ROOTS"] = os.sep  # as a pool process reads the files its coordinator resolved
path, preset, quality = sys.argv[1:4]
desc = preset_desc(preset, path)
if desc.bc7_quality != Bc7Quality.NONE:
    desc = dataclasses.replace(desc, bc7_quality=Bc7Quality[quality.upper()])
message = encode(TextureWork("bench:texture1", path, desc, paths=(os.path.abspath(path),)))
before = rss("VmRSS:")
sent = ForkingPickler.dumps(run_in_pool_process(message, os.devnull + ".absent"))  # what the pool does to a result
peak = rss("VmHWM:") - before
print(json.dumps({"peak": peak, "sent": len(sent), "ok": decode(ForkingPickler.loads(sent)).ok}))
"""

COORDINATOR = _RSS + r"""
import json, sys
if __name__ == "__main__":
    from oxcook.coordinator.cli._main import main
    import oxcook.coordinator._service, oxcook.worker.cook._stages, oxcook.worker.cook._quality  # the code a cook loads: not its data
    path, preset, quality, root, cache = sys.argv[1:6]
    before = rss("VmRSS:")
    code = main(["cook", path, "-o", root, "--preset", preset, "--quality", quality, "--progress", "none", "--workers", "2",
                 "--split-above", "1", "--cache", cache])
    print(json.dumps({"peak": rss("VmHWM:") - before, "code": code}))
"""

SCENE_COORDINATOR = _RSS + r"""
import json, sys
if __name__ == "__main__":
    from oxcook.coordinator.cli._main import main
    import oxcook.coordinator._service, oxcook.worker.cook._stages, oxcook.worker.cook._mesh  # the code a cook loads: not its data
    path, root, cache = sys.argv[1:4]
    before = rss("VmRSS:")
    code = main(["cook", path, "-o", root, "--progress", "none", "--workers", "2", "--cache", cache])
    print(json.dumps({"peak": rss("VmHWM:") - before, "code": code}))
"""


def write_scene(folder: Path, name: str, *, vertices: int, meshes: int = 1, primitives: int = 1, shared: bool = True) -> Path:
    """A glTF (``name.gltf`` and ``name.bin``) of ``meshes`` meshes of ``primitives`` primitives each, one node a mesh.

    Every primitive has positions, normals, UVs and a triangle list over ``vertices`` vertices; with ``shared``
    they all read the same four accessors, otherwise each has its own (different data).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(vertices)
    blob, views, accessors = bytearray(), [], []

    def accessor(array: np.ndarray, kind: str, component: int, **extra) -> int:
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": array.nbytes})
        blob.extend(array.tobytes())
        accessors.append({"bufferView": len(views) - 1, "componentType": component, "count": len(array), "type": kind, **extra})
        return len(accessors) - 1

    def attributes() -> dict:
        positions = rng.uniform(-1.0, 1.0, (vertices, 3)).astype(np.float32)
        normals = rng.normal(size=(vertices, 3)).astype(np.float32)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        uvs = rng.uniform(0.0, 1.0, (vertices, 2)).astype(np.float32)
        first = np.arange(vertices - 2, dtype=np.uint32)
        indices = np.stack([first, first + 1, first + 2], axis=1).reshape(-1)
        return {
            "attributes": {
                "POSITION": accessor(positions, "VEC3", 5126, min=positions.min(axis=0).tolist(), max=positions.max(axis=0).tolist()),
                "NORMAL": accessor(normals, "VEC3", 5126),
                "TEXCOORD_0": accessor(uvs, "VEC2", 5126),
            },
            "indices": accessor(indices, "SCALAR", 5125),
        }

    common = attributes() if shared else None
    doc_meshes = [{"name": f"mesh{m}", "primitives": [dict(common or attributes()) for _ in range(primitives)]} for m in range(meshes)]
    (folder / f"{name}.bin").write_bytes(bytes(blob))
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": list(range(meshes))}],
        "nodes": [{"name": f"node{m}", "mesh": m, "translation": [float(m), 0.0, 0.0]} for m in range(meshes)],
        "meshes": doc_meshes,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"uri": f"{name}.bin", "byteLength": len(blob)}],
    }
    path = folder / f"{name}.gltf"
    path.write_text(json.dumps(doc))
    return path


def _png(path: Path, array: np.ndarray) -> Path:
    import imagecodecs

    path.write_bytes(imagecodecs.png_encode(array, level=1))
    return path


def _hdr(path: Path, size: int) -> Path:
    import imagecodecs

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    path.write_bytes(imagecodecs.rgbe_encode(np.stack([np.sin(x * 40) + 1.5, np.cos(y * 30) + 1.5, x * 4 + 0.1], axis=2)))  # run-length encoded scanlines
    return path


def make_sources(folder: Path, large: bool) -> list[tuple[str, Path, str, int, bool]]:
    """``(name, path, preset, source bytes per pixel, float source)`` for each case."""
    cases = []
    for size in (2048, 8192, 16384) if large else (2048,):
        path = folder / f"bits{size}.png"
        Image.new("1", (size, size)).save(path, optimize=True)
        cases.append((f"1-bit PNG {size}² data", path, "data", 1, False))
        if size == 2048:
            cases.append((f"1-bit PNG {size}² albedo", path, "albedo", 1, False))
    y, x = np.mgrid[0:4096, 0:4096].astype(np.float32)
    rgb = np.stack([np.sin(x / 37) * 100 + 128, np.cos(y / 53) * 100 + 128, x / 16], axis=2).astype(np.uint8)
    cases.append(("RGB PNG 4096² albedo", _png(folder / "rgb4k.png", rgb), "albedo", 3, False))
    cases.append(("RGB PNG 4096² ui (RGBA8)", _png(folder / "rgb4k_ui.png", rgb), "ui", 3, False))
    rgba16 = np.concatenate([rgb, rgb[..., :1]], axis=2).astype(np.uint16) * 257
    cases.append(("RGBA16 PNG 4096² alpha-test", _png(folder / "rgba16.png", rgba16), "albedo-alpha-test", 8, False))
    import OpenEXR

    half = np.concatenate([rgb, rgb[..., :1]], axis=2)[:2048, :2048].astype(np.float16) / 16
    exr = folder / "sky.exr"
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGBA": half}).write(str(exr))
    cases.append(("EXR half 2048² hdr-env", exr, "hdr-env", 16, True))
    for size in (2048, 8192) if large else (2048,):
        hdr = _hdr(folder / f"sky{size}.hdr", size)
        cases.append((f"Radiance HDR {size}² hdr-env", hdr, "hdr-env", 12, True))
        cases.append((f"Radiance HDR {size}² albedo", hdr, "albedo", 12, True))
    return cases


SCENES = [  # (name, write_scene arguments): glTF scenes whose geometry is all the coordinator holds
    ("300 primitives, 1 accessor set", dict(vertices=100_000, primitives=300)),
    ("16 meshes sharing nothing", dict(vertices=200_000, meshes=16, shared=False)),
    ("200 primitives sharing nothing", dict(vertices=5_000, primitives=200, shared=False)),
    ("2 primitives of 1M vertices", dict(vertices=1_000_000, primitives=2, shared=False)),
]


def _child(script: str, *args: str) -> dict | str:
    env = {**os.environ, "OXCOOK_MEMORY_BUDGET": "64G", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        return (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[-1]
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add 8192² and 16384² sources")
    parser.add_argument("--quality", default="fast", choices=["fast", "default", "high"])
    args = parser.parse_args()
    from oxcook.coordinator import Config, result_estimate
    from oxcook.coordinator.importers import gltf_scene_estimate
    from oxcook.worker.cook import cook_cost, image_size, preset_desc

    print(f"{'case':<30}{'worker MB':>10}{'estimate':>9}{'ratio':>7}{'coord. MB':>11}{'estimate':>9}{'ratio':>7}")
    print("-" * 83)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, path, preset, source_bpp, is_float) in enumerate(make_sources(Path(tmp), args.large)):
            size = image_size(path.read_bytes()[:262144], path.name)
            desc = preset_desc(preset)
            work = _child(WORKER, str(path), preset, args.quality)
            coord = _child(COORDINATOR, str(path), preset, args.quality, f"{tmp}/root{n}", f"{tmp}/cache{n}")
            if isinstance(work, str) or isinstance(coord, str) or coord["code"] or not work["ok"]:
                print(f"{name:<30} failed: {work if isinstance(work, str) else coord}")
                continue
            w_est = cook_cost(desc).estimate(*size, source_bpp, float_source=is_float, file_bytes=path.stat().st_size)
            c_est = result_estimate(desc, size, 1)
            worst = max(worst, work["peak"] / w_est, coord["peak"] / c_est)
            print(
                f"{name:<30}{work['peak'] / 2**20:>10.0f}{w_est / 2**20:>9.0f}{work['peak'] / w_est:>7.2f}"
                f"{coord['peak'] / 2**20:>11.0f}{c_est / 2**20:>9.0f}{coord['peak'] / c_est:>7.2f}"
            )
    print(f"\n{'scene':<30}{'coord. MB':>10}{'estimate':>9}{'ratio':>7}")
    print("-" * 56)
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, shape) in enumerate(SCENES):
            path = write_scene(Path(tmp) / f"scene{n}", "scene", **shape)
            coord = _child(SCENE_COORDINATOR, str(path), f"{tmp}/root{n}", f"{tmp}/cache{n}")
            if isinstance(coord, str) or coord["code"]:
                print(f"{name:<30} failed: {coord}")
                continue
            estimate = gltf_scene_estimate(path, Config().texture_queue_capacity)
            worst = max(worst, coord["peak"] / estimate)
            print(f"{name:<30}{coord['peak'] / 2**20:>10.0f}{estimate / 2**20:>9.0f}{coord['peak'] / estimate:>7.2f}")
    print("(peak = VmHWM - VmRSS before the work, one fresh process each; MB = 2**20 bytes)")
    print(f"largest peak/estimate: {worst:.2f}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
