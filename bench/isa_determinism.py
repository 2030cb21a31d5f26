"""Does ispc_texcomp's output depend on the instruction set its kernels run with?

ispc builds each kernel for several targets (SSE2, SSE4, AVX, AVX2) and, called
through the binding, picks one at run time from the CPU — so a farm of mixed
machines could write different bytes. oxcook calls one pinned target's kernel
(``worker.encoder_target``). This script encodes the same real images with
every target this CPU can run, at every BC7 quality oxcook uses (opaque and
alpha) and with BC1/BC3/BC4/BC5, and counts the blocks that differ from what
the binding's run-time choice writes.

Run: ``python bench/isa_determinism.py [--assets ../shared/assets]``. It prints
one row per format and quality, one column per target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ispc_texcomp
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oxcook.formats import FORMAT_INFO, Format  # noqa: E402
from oxcook.worker.cook import BC7_PROFILES, Bc7Quality, encode_blocks, encoder_target, supported_encoder_targets  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
IMAGES = ("gltf/WaterBottle/WaterBottle_baseColor.png", "gltf/AlphaBlendModeTest/AlphaBlendLabels.png", "gltf/WaterBottle/WaterBottle_normal.png")
_BINDING = {
    Format.BC1_UNORM: ispc_texcomp.compress_blocks_bc1,
    Format.BC3_UNORM: ispc_texcomp.compress_blocks_bc3,
    Format.BC4_UNORM: ispc_texcomp.compress_blocks_bc4,
    Format.BC5_UNORM: ispc_texcomp.compress_blocks_bc5,
}


def run_time_choice(fmt: Format, rgba: np.ndarray, quality: Bc7Quality) -> bytes:
    """What the binding writes (ispc's dispatcher picks the target from the CPU)."""
    channels = {Format.BC4_UNORM: 1, Format.BC5_UNORM: 2}.get(fmt, 4)
    pixels = np.ascontiguousarray(rgba[..., :channels])
    h, w = pixels.shape[:2]
    surface = ispc_texcomp.RGBASurface(memoryview(pixels).cast("B"), w, h, w * channels)
    if fmt == Format.BC7_UNORM:
        profile = BC7_PROFILES[quality][bool((rgba[..., 3] < 255).any())]
        return bytes(ispc_texcomp.compress_blocks_bc7(surface, ispc_texcomp.BC7EncSettings.from_profile(profile)))
    return bytes(_BINDING[fmt](surface))[: (w // 4) * (h // 4) * FORMAT_INFO[fmt].bytes_per_block]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=REPO.parent / "shared" / "assets")
    args = parser.parse_args()
    targets = supported_encoder_targets()
    images = [np.ascontiguousarray(np.asarray(Image.open(args.assets / rel).convert("RGBA").resize((512, 512)))) for rel in IMAGES]
    cases = [(Format.BC7_UNORM, q) for q in (Bc7Quality.FAST, Bc7Quality.DEFAULT, Bc7Quality.HIGH)]
    cases += [(fmt, Bc7Quality.NONE) for fmt in _BINDING]
    print(f"ispc_texcomp {ispc_texcomp.__version__}: 4x4 blocks that differ from the run-time choice ({len(images)} images, 512x512, opaque and alpha)")
    print(f"{'format':<18}" + "".join(f"{t:>8}" for t in targets))
    differs = set()
    for fmt, quality in cases:
        counts = []
        for target in targets:
            n = 0
            for rgba in images:
                with encoder_target(target):
                    ours = np.frombuffer(encode_blocks(fmt, rgba, quality), np.uint8)
                theirs = np.frombuffer(run_time_choice(fmt, rgba, quality), np.uint8)
                bpb = FORMAT_INFO[fmt].bytes_per_block
                n += int(np.count_nonzero((ours.reshape(-1, bpb) != theirs.reshape(-1, bpb)).any(axis=1)))
            counts.append(n)
            if n:
                differs.add(target)
        label = f"{fmt.name.split('_')[0]} {quality.name.lower()}" if quality != Bc7Quality.NONE else fmt.name.split("_")[0]
        print(f"{label:<18}" + "".join(f"{c:>8}" for c in counts))
    same = [t for t in targets if t not in differs]
    print(f"targets matching this CPU's run-time choice: {', '.join(same) or 'none'}; differing: {', '.join(sorted(differs)) or 'none'}")
    print("=> the bytes depend on the target: oxcook pins one (default avx2) in every work item and cache key" if differs else "=> every target writes the same bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
