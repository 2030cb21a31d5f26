"""The memory budget's estimate of a cook is an upper bound of its real peak, for every input kind.

Each case cooks in a fresh process what a pool process runs for one work item
(``bench.memory.WORKER``: the item by path, its result pickled to be sent back)
and compares that process's peak RSS with the estimate the budget checks before
decoding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.memory import WORKER
from oxcook.worker.cook import cook_cost, preset_desc

REPO = Path(__file__).resolve().parents[3]


def _png(path: Path, array: np.ndarray) -> Path:
    import imagecodecs

    path.write_bytes(imagecodecs.png_encode(array, level=1))
    return path


def _smooth(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.stack([np.sin(x / 37) * 100 + 128, np.cos(y / 53) * 100 + 128, x * 255 / size], axis=2).astype(np.uint8)


def one_bit(folder: Path, size: int) -> Path:
    path = folder / "bits.png"
    Image.new("1", (size, size)).save(path, optimize=True)
    return path


def rgb8(folder: Path, size: int) -> Path:
    return _png(folder / "rgb.png", _smooth(size))


def rgba16(folder: Path, size: int) -> Path:
    rgb = _smooth(size)
    return _png(folder / "rgba16.png", np.concatenate([rgb, rgb[..., :1]], axis=2).astype(np.uint16) * 257)


def radiance(folder: Path, size: int) -> Path:
    import imagecodecs

    path = folder / "sky.hdr"
    path.write_bytes(imagecodecs.rgbe_encode(_smooth(size).astype(np.float32) / 64 + 0.01))
    assert path.stat().st_size < size * size * 4  # run-length encoded scanlines
    return path


def exr_half(folder: Path, size: int) -> Path:
    import OpenEXR

    rgb = _smooth(size)
    path = folder / "sky.exr"
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGBA": np.concatenate([rgb, rgb[..., :1]], axis=2).astype(np.float16) / 16}).write(str(path))
    return path


# (source, size, preset, decoded bytes per pixel, float source)
KINDS = {
    "1-bit PNG, RGBA8 out": (one_bit, 8192, "data", 1, False),  # RGBA8 is the largest payload per pixel of an 8-bit source
    "1-bit PNG, BC7 out": (one_bit, 2048, "albedo", 1, False),
    "8-bit RGB PNG": (rgb8, 2048, "albedo", 3, False),
    "16-bit RGBA PNG, alpha coverage": (rgba16, 2048, "albedo-alpha-test", 8, False),
    "Radiance HDR (RLE), kept float": (radiance, 2048, "hdr-env", 12, True),
    "Radiance HDR (RLE), baked to BC7": (radiance, 2048, "albedo", 12, True),
    "EXR half": (exr_half, 2048, "hdr-env", 16, True),
}


def measured(script: str, *args: str) -> dict:
    env = {**os.environ, "OXCOOK_MEMORY_BUDGET": "64G", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_estimate_is_above_the_peak_of_a_pool_process_cook(tmp_path, kind):
    make, size, preset, source_bpp, is_float = KINDS[kind]
    path = make(tmp_path, size)
    result = measured(WORKER, str(path), preset, "fast")
    assert result["ok"]
    estimate = cook_cost(preset_desc(preset)).estimate(size, size, source_bpp, float_source=is_float, file_bytes=path.stat().st_size)
    assert result["peak"] <= estimate, f"{kind}: peak {result['peak'] / 2**20:.0f} MB over the estimate {estimate / 2**20:.0f} MB"
