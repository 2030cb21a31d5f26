"""Benchmark: `oxcook cook` against what a user would write instead — a multiprocessing.Pool around
Pillow, numpy box mips and the same ispc BC7 encoder at the same quality.

Both are run as commands (interpreter start-up and imports included on both sides) on the same
files, in the same run, with 1 process and with every core. The files are four real textures
of the shared assets (photographic albedo, a map atlas, two packed ORM maps), resized and shifted
so nothing deduplicates as a whole file. The script writes each texture's BC7 levels to a file,
as a real one would; oxcook runs with its cache off (this measures cooking, not caching).

The table prints each wall time and script_time / oxcook_time (above 1: oxcook is faster),
medians of --repeat, the median of the ratios of back-to-back pairs (each side first in turn),
and the quality check of the goal: per texture, the PSNR of level 0 decoded (texture2ddecoder)
against the source, oxcook's minus the script's (goal: no texture below -0.1 dB).

Run: ``python bench/vs_script.py [--n 16] [--size 1024] [--quality default] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._installed import alternating, compile_sources  # noqa: E402

PROFILES = {"fast": "ultrafast", "default": "veryfast", "high": "basic"}
PHOTOS = [
    "gltf/AlphaBlendModeTest/MatBed_baseColor.jpg",
    "gltf/WaterBottle/WaterBottle_baseColor.png",
    "gltf/WaterBottle/WaterBottle_occlusionRoughnessMetallic.png",
    "gltf/AlphaBlendModeTest/MatBed_occlusionRoughnessMetallic.jpg",
]


def _script_one(args: tuple[str, str, str]) -> None:
    """The hand-rolled cook of one file: decode, sRGB box mips (in gamma space, as such scripts do), BC7, one file out."""
    import ispc_texcomp

    path, out_dir, quality = args
    level = np.asarray(Image.open(path).convert("RGBA"), dtype=np.uint8)
    settings = ispc_texcomp.BC7EncSettings.from_profile(PROFILES[quality])
    with open(Path(out_dir) / (Path(path).stem + ".bc7"), "wb") as out:
        while True:
            h, w = level.shape[:2]
            padded = np.pad(level, ((0, -h % 4), (0, -w % 4), (0, 0)), mode="edge")
            surface = ispc_texcomp.RGBASurface(memoryview(np.ascontiguousarray(padded)).cast("B"), padded.shape[1], padded.shape[0])
            out.write(ispc_texcomp.compress_blocks_bc7(surface, settings))
            if h == 1 and w == 1:
                return
            h2, w2 = max(1, h // 2), max(1, w // 2)
            f = level[: h2 * 2 if h > 1 else 1, : w2 * 2 if w > 1 else 1].astype(np.float32)
            if h > 1:
                f = (f[0::2] + f[1::2]) / 2
            if w > 1:
                f = (f[:, 0::2] + f[:, 1::2]) / 2
            level = np.clip(f + 0.5, 0, 255).astype(np.uint8)


def _script_main(out_dir: str, processes: int, quality: str, files: list[str]) -> None:
    with Pool(processes) as pool:
        pool.map(_script_one, [(f, out_dir, quality) for f in files])


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return time.perf_counter() - start


def script(files: list[str], out: Path, processes: int, quality: str) -> float:
    out.mkdir()
    return _timed([sys.executable, __file__, "--as-script", str(out), str(processes), quality, *files])


def oxcook(folder: Path, root: Path, processes: int, quality: str) -> float:
    cmd = [sys.executable, "-m", "oxcook", "cook", str(folder), "-o", str(root), "--progress", "none", "--no-cache", "--quality", quality]
    return _timed(cmd + ["--workers", str(processes), "--preset", "albedo", "--report", str(root) + ".json"])


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def _decode_bc7(data: bytes, width: int, height: int) -> np.ndarray:
    import texture2ddecoder  # the test extra: an independent decoder

    return np.frombuffer(texture2ddecoder.decode_bc7(data, width, height), np.uint8).reshape(height, width, 4)[..., [2, 1, 0]]


def psnr_deltas(src: Path, script_out: Path, root: Path, size: int) -> list[float]:
    """Per texture: level-0 PSNR against the source, oxcook's minus the script's."""
    from oxcook import formats as f

    row_layout = f.TEXTURE_RESOURCE_DESC[f.Epoch.B]
    table = (root / "Resources/textures.table").read_bytes()
    data = (root / "Resources/textures.data").read_bytes()
    deltas = []
    for t in json.loads(Path(str(root) + ".json").read_text())["jobs"][0]["textures"]:
        row = row_layout.unpack(table, t["index"] * row_layout.SIZE)
        payload = data[row.data_offset : row.data_offset + row.size_bytes]
        parsed = f.parse_payload(payload)
        level0 = parsed.layouts[0]
        start = parsed.header.data_offset_bytes + level0.offset_bytes
        ours = _decode_bc7(payload[start : start + size * size], size, size)
        theirs = _decode_bc7((script_out / (Path(t["source"]).stem + ".bc7")).read_bytes()[: size * size], size, size)
        reference = np.asarray(Image.open(src / t["source"]).convert("RGB"))
        deltas.append(_psnr(ours, reference) - _psnr(theirs, reference))
    return deltas


def distinct_share(files: list[str]) -> float:
    """The share of level-0 4x4 blocks that are distinct within their image (what the encoder must really encode)."""
    from oxcook.worker.cook import distinct_blocks

    total = distinct = 0
    for path in files:
        pixels = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGBA")))
        reps, _ = distinct_blocks(pixels)
        total += pixels.shape[0] * pixels.shape[1] // 16
        distinct += reps.shape[0] * reps.shape[1] // 16
    return distinct / total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--quality", choices=tuple(PROFILES), default="default")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assets", type=Path, default=REPO.parent / "shared" / "assets")
    args = parser.parse_args()
    compile_sources()
    cores = len(os.sched_getaffinity(0))
    photos = [np.asarray(Image.open(args.assets / p).convert("RGB").resize((args.size, args.size))) for p in PHOTOS]
    rows, deltas = [], []
    with tempfile.TemporaryDirectory(prefix="oxcook-vs-script-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for i in range(args.n):
            Image.fromarray(np.roll(photos[i % len(photos)], i * 37, axis=1)).save(src / f"t{i:03d}.jpg", quality=95)
        files = sorted(str(p) for p in src.iterdir())
        for processes in sorted({1, cores}):
            s, o = alternating(  # in pairs, each side first in turn
                args.repeat,
                lambda r: script(files, Path(tmp) / f"script{processes}-{r}", processes, args.quality),
                lambda r: oxcook(src, Path(tmp) / f"root{processes}-{r}", processes, args.quality),
            )
            rows.append((processes, statistics.median(s), statistics.median(o), statistics.median(a / b for a, b in zip(s, o))))
            print(f"{processes} process(es), every run in order (script, oxcook): " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(s, o)), flush=True)
        deltas = psnr_deltas(src, Path(tmp) / f"script{cores}-0", Path(tmp) / f"root{cores}-0", args.size)
        share = distinct_share(files)
    print(f"{args.n} x {args.size}² JPEGs ({len(PHOTOS)} real textures, {share:.0%} of their blocks distinct), BC7 {args.quality} ({PROFILES[args.quality]}), medians of {args.repeat}")
    print(f"{'processes':>10}{'script s':>10}{'oxcook s':>10}{'script/oxcook':>15}{'paired':>9}")
    for processes, s, o, paired in rows:
        print(f"{processes:>10}{s:>10.2f}{o:>10.2f}{s / o:>15.3f}{paired:>9.3f}")
    print(f"level-0 PSNR, oxcook minus script: min {min(deltas):+.3f} dB, median {statistics.median(deltas):+.3f} dB over {len(deltas)} textures")
    print("(goal: >= 1.05 at 1 process and at all cores; PSNR no worse than -0.1 dB on any texture;")
    print(" paired: the median of each pair's script/oxcook, the two run back to back: less swayed by the machine's slow spells)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--as-script"]:
        _script_main(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
        sys.exit(0)
    sys.exit(main())
