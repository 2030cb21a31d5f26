"""The one door to the compiled block encoder (``ispc_texcomp``, Intel's ISPC Texture Compressor).

Chosen from the measurements in issue 3: it is the fastest BC7 encoder on PyPI
at every quality (veryfast: 1.5 Mpix/s at 44.7 dB on one core) and releases the
GIL. Facts the wrapper must respect, all checked here before each call:

* input is contiguous RGBA8 (BC6H: RGBA float16), with dimensions that are
  multiples of 4 — other sizes are *silently* truncated, so edges are padded by
  replication first;
* the plain BC7 profiles ignore alpha: the ``alpha_*`` profiles are used when
  any alpha < 255;
* it has no sRGB weighting: the sRGB format tag is the caller's business;
* BC1 returns ``w·h`` bytes instead of ``w·h/2``: only the first half is blocks.
"""

from __future__ import annotations

import ispc_texcomp
import numpy as np

from formats import FORMAT_INFO, Format

from ._desc import Bc7Quality

if not ispc_texcomp.__version__.startswith("1."):
    raise ImportError(f"oxcook needs ispc_texcomp 1.x, found {ispc_texcomp.__version__}")

# our quality level -> (opaque profile, alpha profile); see the issue-3 table
BC7_PROFILES = {
    Bc7Quality.FAST: ("ultrafast", "alpha_ultrafast"),
    Bc7Quality.DEFAULT: ("veryfast", "alpha_veryfast"),
    Bc7Quality.HIGH: ("basic", "alpha_basic"),
}
_BC7_SETTINGS = {
    (q, alpha): ispc_texcomp.BC7EncSettings.from_profile(profiles[alpha]) for q, profiles in BC7_PROFILES.items() for alpha in (False, True)
}
_BC6H_SETTINGS = ispc_texcomp.BC6HEncSettings.from_profile("basic")

ENCODABLE = frozenset(
    {
        Format.BC1_UNORM,
        Format.BC1_UNORM_SRGB,
        Format.BC3_UNORM,
        Format.BC3_UNORM_SRGB,
        Format.BC4_UNORM,
        Format.BC5_UNORM,
        Format.BC6H_UF16,
        Format.BC7_UNORM,
        Format.BC7_UNORM_SRGB,
    }
)


_INPUT_CHANNELS = {Format.BC4_UNORM: 1, Format.BC5_UNORM: 2}  # the encoder reads R8 / RG8 surfaces


class EncoderError(Exception):
    """The encoder rejected its input or returned the wrong number of bytes."""


def pad_to_blocks(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` (h, w, c) padded to multiples of 4 by replicating the last row and column."""
    h, w = pixels.shape[:2]
    ph, pw = (-h) % 4, (-w) % 4
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(pixels)
    return np.pad(pixels, ((0, ph), (0, pw), (0, 0)), mode="edge")


def encode_blocks(fmt: Format, pixels: np.ndarray, quality: Bc7Quality = Bc7Quality.DEFAULT) -> bytes:
    """Block-compress one surface.

    Args:
        fmt: an :data:`ENCODABLE` format.
        pixels: ``(h, w, 4)`` uint8 (float16 for BC6H), any size.
        quality: BC7 effort.

    Raises:
        EncoderError: wrong input shape or dtype, or an output of the wrong size.
    """
    if fmt not in ENCODABLE:
        raise EncoderError(f"{Format(fmt).name} has no encoder")
    want = np.float16 if fmt == Format.BC6H_UF16 else np.uint8
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != want:
        raise EncoderError(f"encoder input must be (h, w, 4) {np.dtype(want).name}, got {pixels.shape} {pixels.dtype}")
    channels = _INPUT_CHANNELS.get(fmt, 4)
    padded = pad_to_blocks(pixels[..., :channels])
    h, w = padded.shape[:2]
    surface = ispc_texcomp.RGBASurface(memoryview(np.ascontiguousarray(padded)).cast("B"), w, h, w * channels * padded.itemsize)
    if fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB):
        has_alpha = bool((pixels[..., 3] < 255).any())
        out = ispc_texcomp.compress_blocks_bc7(surface, _BC7_SETTINGS[(quality, has_alpha)])
    elif fmt in (Format.BC1_UNORM, Format.BC1_UNORM_SRGB):
        out = ispc_texcomp.compress_blocks_bc1(surface)[: (w // 4) * (h // 4) * 8]
    elif fmt in (Format.BC3_UNORM, Format.BC3_UNORM_SRGB):
        out = ispc_texcomp.compress_blocks_bc3(surface)
    elif fmt == Format.BC4_UNORM:
        out = ispc_texcomp.compress_blocks_bc4(surface)
    elif fmt == Format.BC5_UNORM:
        out = ispc_texcomp.compress_blocks_bc5(surface)
    else:
        out = ispc_texcomp.compress_blocks_bc6h(surface, _BC6H_SETTINGS)
    expected = (w // 4) * (h // 4) * FORMAT_INFO[fmt].bytes_per_block
    if len(out) != expected:
        raise EncoderError(f"encoder returned {len(out)} bytes for {w}x{h} {Format(fmt).name}, expected {expected}")
    return bytes(out)
