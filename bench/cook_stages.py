"""Benchmark: milliseconds per cooking stage per preset, and oxcook's overhead over the raw encoder.

For a 2048² photo per preset, runs ``cook_texture`` and, in the same run, the
raw BC7 encoder on the very pixels oxcook hands it (every mip level), then
prints medians and the ratio ``cook_texture / raw encode`` (goal at the default
quality: <= 1.15). It also measures whether the encoder releases the GIL:
two threads encoding two surfaces vs one thread encoding both.

Run: ``python bench/cook_stages.py [--repeat 3] [--assets ../shared/assets]``
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oxcook.formats import Format  # noqa: E402
from oxcook.worker.cook import Bc7Quality, apply_content_processing, convert_to_working_format, cook_texture, decode_source, encode_blocks, encoder_input, generate_mips, plan_cook, preset_desc

STAGES = ("decode_source", "convert_to_working_format", "apply_content_processing", "generate_mips", "convert_to_output_format", "pack_subresources")
CASES = [
    ("albedo", "gltf/AlphaBlendModeTest/MatBed_baseColor.jpg"),
    ("albedo-alpha-test", "gltf/AlphaBlendModeTest/AlphaBlendLabels.png"),
    ("normal", "gltf/WaterBottle/WaterBottle_normal.png"),
    ("orm", "gltf/WaterBottle/WaterBottle_occlusionRoughnessMetallic.png"),
    ("emissive", "gltf/WaterBottle/WaterBottle_emissive.png"),
    ("ui", "gltf/WaterBottle/WaterBottle_baseColor.png"),
    ("hdr-env", "images/exr/KernerEnvLatLong.exr"),
]


def _plain_bc7(level: np.ndarray, quality: Bc7Quality) -> bytes:
    """One level through the binding as a script calls it: the whole padded surface, every block encoded."""
    import ispc_texcomp

    from oxcook.worker.cook import BC7_PROFILES

    padded = np.ascontiguousarray(np.pad(level, ((0, -level.shape[0] % 4), (0, -level.shape[1] % 4), (0, 0)), mode="edge"))
    profile = BC7_PROFILES[quality][bool((level[..., 3] < 255).any())]
    surface = ispc_texcomp.RGBASurface(memoryview(padded).cast("B"), padded.shape[1], padded.shape[0])
    return ispc_texcomp.compress_blocks_bc7(surface, ispc_texcomp.BC7EncSettings.from_profile(profile))


def raw_encode_ms(data: bytes, preset: str, quality: str = "default", *, plain: bool = False) -> float | None:
    """Time of the encoder alone on the levels oxcook would hand it: through oxcook's door (each distinct
    block once), or with ``plain`` through the binding on whole levels (every block, as a script would)."""
    desc = preset_desc(preset, "bench")
    if desc.bc7_quality != Bc7Quality.NONE:
        desc = dataclasses.replace(desc, bc7_quality={"fast": Bc7Quality.FAST, "default": Bc7Quality.DEFAULT, "high": Bc7Quality.HIGH}[quality])
    decoded = decode_source(data, desc)
    plan = plan_cook(desc, decoded)
    if plan.output_format not in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB):
        return None
    work = apply_content_processing(convert_to_working_format(decoded, plan), desc, plan)
    levels = [encoder_input(lv, i, work, plan) for i, lv in enumerate(generate_mips(work, desc, plan))]
    start = time.perf_counter()
    for level in levels:
        if plain:
            _plain_bc7(level, desc.bc7_quality)
        else:
            encode_blocks(plan.output_format, level, desc.bc7_quality)
    return (time.perf_counter() - start) * 1000.0


def gil_check(size: int = 512) -> tuple[float, float]:
    surfaces = [np.random.default_rng(i).integers(0, 256, (size, size, 4), dtype=np.uint8) for i in range(2)]
    for s in surfaces:
        s[..., 3] = 255
    start = time.perf_counter()
    for s in surfaces:
        encode_blocks(Format.BC7_UNORM, s, Bc7Quality.DEFAULT)
    serial = time.perf_counter() - start
    threads = [threading.Thread(target=encode_blocks, args=(Format.BC7_UNORM, s, Bc7Quality.DEFAULT)) for s in surfaces]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return serial, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "assets")
    args = parser.parse_args()
    header = f"{'preset':<18}{'size':>11}" + "".join(f"{s.split('_')[0][:8]:>10}" for s in STAGES) + f"{'total':>10}{'raw enc':>10}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for preset, rel in CASES:
        data = (args.assets / rel).read_bytes()
        runs, raws = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            cooked = cook_texture(data, preset_desc(preset, rel))
            runs.append(((time.perf_counter() - start) * 1000.0, cooked.timings_ms))
            raws.append(raw_encode_ms(data, preset))
        total = statistics.median(r[0] for r in runs)
        per_stage = [statistics.median(r[1].get(s, 0.0) for r in runs) for s in STAGES]
        raw = statistics.median(raws) if raws[0] is not None else None
        ratio = f"{total / raw:8.3f}" if raw else f"{'-':>8}"
        raw_txt = f"{raw:10.0f}" if raw else f"{'-':>10}"
        size = f"{cooked.width}x{cooked.height}"
        print(f"{preset:<18}{size:>11}" + "".join(f"{v:10.0f}" for v in per_stage) + f"{total:10.0f}{raw_txt}{ratio}")
    serial, threaded = gil_check()
    print()
    print(f"GIL: two 512² BC7 (default quality) encodes serial {serial * 1000:.0f} ms, two threads {threaded * 1000:.0f} ms, speed-up {serial / threaded:.2f}x")
    print("  -> the encoder releases the GIL" if serial / threaded > 1.5 else "  -> the encoder holds the GIL (use processes)")
    print("(times in ms, medians of", args.repeat, "runs; ratio = cook_texture / raw encoder on the same levels, goal <= 1.15 for BC7 presets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
