"""Benchmark: the peak memory of one texture cook against the budget's estimate of it.

Each case writes its source image, then cooks it in a fresh process
(``cook_texture``, the code a worker runs) and reads that process's peak RSS
(``VmHWM``) minus its RSS just before the cook. Prints the measured peak, the
estimate the memory budget checks before decoding (``CookCost``), their ratio
(goal: < 1, the estimate is an upper bound) and peak bytes per source pixel.
Sources are made here: 1-bit PNGs (a 16384² one is 32 KB), smooth RGB and
16-bit RGBA PNGs, a half-float EXR.

Run: ``python bench/memory.py [--large] [--quality fast]`` (``--large`` adds 16384²; minutes at default quality)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_CHILD = r"""
import json, sys
import dataclasses
from oxcook.worker import cook_texture, preset_desc, Bc7Quality

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

path, preset, quality = sys.argv[1:4]
data = open(path, "rb").read()
desc = preset_desc(preset, path)
if desc.bc7_quality != Bc7Quality.NONE:
    desc = dataclasses.replace(desc, bc7_quality=Bc7Quality[quality.upper()])
before = rss("VmRSS:")
cooked = cook_texture(data, desc)
print(json.dumps({"peak": rss("VmHWM:") - before, "width": cooked.width, "height": cooked.height, "payload": len(cooked.payload)}))
"""


def _png(path: Path, array: np.ndarray) -> Path:
    import imagecodecs

    path.write_bytes(imagecodecs.png_encode(array, level=1))
    return path


def make_sources(folder: Path, large: bool) -> list[tuple[str, Path, str, int, bool]]:
    """``(name, path, preset, source bytes per pixel, float source)`` for each case."""
    cases = []
    for size in (8192, 16384) if large else (8192,):
        path = folder / f"bits{size}.png"
        Image.new("1", (size, size)).save(path, optimize=True)
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
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add a 16384² source")
    parser.add_argument("--quality", default="fast", choices=["fast", "default", "high"])
    args = parser.parse_args()
    from oxcook.worker import cook_cost, preset_desc

    print(f"{'case':<32}{'peak MB':>10}{'estimate MB':>13}{'peak/est':>10}{'B/pixel':>9}")
    print("-" * 74)
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, preset, source_bpp, is_float in make_sources(Path(tmp), args.large):
            env = {"OXCOOK_MEMORY_BUDGET": "64G"}
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), preset, args.quality], capture_output=True, text=True, env={**__import__("os").environ, **env})
            if out.returncode:
                print(f"{name:<32} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            m = json.loads(out.stdout)
            estimate = cook_cost(preset_desc(preset)).estimate(m["width"], m["height"], source_bpp, float_source=is_float)
            pixels = m["width"] * m["height"]
            print(f"{name:<32}{m['peak'] / 2**20:>10.0f}{estimate / 2**20:>13.0f}{m['peak'] / estimate:>10.2f}{m['peak'] / pixels:>9.2f}")
    print("(peak = VmHWM - VmRSS before the cook, one fresh process per case; estimate = worker._budget.CookCost, checked before decoding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
