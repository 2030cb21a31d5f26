"""The one door to the compiled block encoder (``ispc_texcomp``, Intel's ISPC Texture Compressor).

Chosen by measurement: it is the fastest BC7 encoder on PyPI
at every quality (veryfast: 1.5 Mpix/s at 44.7 dB on one core) and releases the
GIL. Facts the wrapper must respect, all checked here before each call:

* input is contiguous RGBA8 (BC6H: RGBA float16), with dimensions that are
  multiples of 4 — other sizes are *silently* truncated, so edges are padded by
  replication first;
* the plain BC7 profiles ignore alpha: the ``alpha_*`` profiles are used when
  any alpha < 255;
* it has no sRGB weighting: the sRGB format tag is the caller's business;
* its kernels are built for several instruction sets (SSE2, SSE4, AVX, AVX2)
  and the binding lets ispc pick one at run time — and the bytes differ between
  them (``python bench/isa_determinism.py``: on 3 real 512² images, BC7
  veryfast differs in 1827 blocks between the AVX2 kernel and the SSE ones). So
  oxcook never lets the CPU choose: it calls the kernel of one *pinned* target
  (``CompressBlocksBC7_ispc_avx2`` …, exported by the extension) through
  ctypes, the coordinator names that target in every work item (and in every
  cache key), and a worker whose CPU lacks it fails the item by name instead of
  writing other bytes.

Each 4x4 block is encoded on its own (checked in ``tests/worker/cook/test_bcn.py``:
the bytes of a block do not depend on its neighbours or its place), so
:func:`encode_blocks` hands the kernel each *distinct* block once and copies
the result to its repeats — the bytes of the plain call on the whole surface,
in a fraction of the time on real textures (flat areas, atlases' padding,
masks: 40-60 % of the blocks of the shared WaterBottle maps are distinct).
Only kernels slow enough for it to pay are given reduced surfaces (BC7 at
default and high quality, BC6H), and only when enough blocks repeat.
:func:`encode_surfaces` does the same across several surfaces at once (the
bands of a level): a block repeated in any of them is encoded once, and each
surface still gets the bytes it would get alone (its own BC7 profile).
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import ispc_texcomp
import numpy as np

from oxcook.formats import FORMAT_INFO, Format

from ._desc import Bc7Quality
from ._targets import DEFAULT_TARGET, TARGETS

if not ispc_texcomp.__version__.startswith("1."):
    raise ImportError(f"oxcook needs ispc_texcomp 1.x, found {ispc_texcomp.__version__}")

# our quality level -> (opaque profile, alpha profile), chosen by measured speed and PSNR
BC7_PROFILES = {
    Bc7Quality.FAST: ("ultrafast", "alpha_ultrafast"),
    Bc7Quality.DEFAULT: ("veryfast", "alpha_veryfast"),
    Bc7Quality.HIGH: ("basic", "alpha_basic"),
}

_TARGET = contextvars.ContextVar("oxcook_encoder_target", default=DEFAULT_TARGET)


class _Surface(ctypes.Structure):  # ispc_texcomp.h: rgba_surface
    _fields_ = [("ptr", ctypes.c_void_p), ("width", ctypes.c_int32), ("height", ctypes.c_int32), ("stride", ctypes.c_int32)]


class _Bc7Settings(ctypes.Structure):  # ispc_texcomp.h: bc7_enc_settings
    _fields_ = [
        ("mode_selection", ctypes.c_bool * 4),
        ("refineIterations", ctypes.c_int * 8),
        ("skip_mode2", ctypes.c_bool),
        ("fastSkipTreshold_mode1", ctypes.c_int),
        ("fastSkipTreshold_mode3", ctypes.c_int),
        ("fastSkipTreshold_mode7", ctypes.c_int),
        ("mode45_channel0", ctypes.c_int),
        ("refineIterations_channel", ctypes.c_int),
        ("channels", ctypes.c_int),
    ]


class _Bc6hSettings(ctypes.Structure):  # ispc_texcomp.h: bc6h_enc_settings
    _fields_ = [
        ("slow_mode", ctypes.c_bool),
        ("fast_mode", ctypes.c_bool),
        ("refineIterations_1p", ctypes.c_int),
        ("refineIterations_2p", ctypes.c_int),
        ("fastSkipTreshold", ctypes.c_int),
    ]


# Intel's GetProfile_* values (ispc_texcomp.cpp), field for field: mode_selection, refineIterations,
# skip_mode2, fastSkipTreshold_mode1/3/7, mode45_channel0, refineIterations_channel, channels.
# The binding's settings objects cannot be read back whole (its repr shows mode45_channel0, a
# channel index, as a bool), so the values are declared here and checked against the binding
# at import (``_check_against_binding``).
_BC7_PROFILE_VALUES = {
    "ultrafast": ([0, 0, 0, 1], [2, 2, 2, 1, 2, 2, 1, 0], 1, (3, 1, 0), 0, 0, 3),
    "veryfast": ([0, 1, 0, 1], [2, 2, 2, 1, 2, 2, 1, 0], 1, (3, 1, 0), 0, 0, 3),
    "basic": ([1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 0], 1, (12, 8, 0), 0, 2, 3),
    "alpha_ultrafast": ([0, 0, 1, 1], [2, 1, 2, 1, 1, 1, 2, 2], 1, (0, 0, 4), 3, 1, 4),
    "alpha_veryfast": ([0, 1, 1, 1], [2, 1, 2, 1, 2, 2, 2, 2], 1, (0, 0, 4), 3, 2, 4),
    "alpha_basic": ([1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2], 1, (12, 8, 8), 0, 2, 4),
}


def _bc7_settings(profile: str) -> _Bc7Settings:
    modes, refine, skip2, (t1, t3, t7), mode45, refine_channel, channels = _BC7_PROFILE_VALUES[profile]
    out = _Bc7Settings(skip_mode2=bool(skip2), fastSkipTreshold_mode1=t1, fastSkipTreshold_mode3=t3, fastSkipTreshold_mode7=t7)
    out.mode_selection[:] = [bool(m) for m in modes]
    out.refineIterations[:] = refine
    out.mode45_channel0, out.refineIterations_channel, out.channels = mode45, refine_channel, channels
    return out


_BC7_SETTINGS = {(q, alpha): _bc7_settings(profiles[alpha]) for q, profiles in BC7_PROFILES.items() for alpha in (False, True)}
_BC6H_SETTINGS = _Bc6hSettings(slow_mode=False, fast_mode=False, refineIterations_1p=2, refineIterations_2p=2, fastSkipTreshold=4)  # "basic"
_KERNELS = ctypes.CDLL(str(next(Path(ispc_texcomp.__file__).parent.glob("_ispc_texcomp*.so"))))
_KERNEL_NAMES = {
    Format.BC1_UNORM: "BC1", Format.BC1_UNORM_SRGB: "BC1", Format.BC3_UNORM: "BC3", Format.BC3_UNORM_SRGB: "BC3",
    Format.BC4_UNORM: "BC4", Format.BC5_UNORM: "BC5", Format.BC6H_UF16: "BC6H", Format.BC7_UNORM: "BC7", Format.BC7_UNORM_SRGB: "BC7",
}  # fmt: skip


@functools.cache
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            return frozenset(next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), []))
    except OSError:
        return frozenset()


def supported_targets() -> tuple[str, ...]:
    """The pinned targets this machine's CPU can run."""
    return tuple(t for t, flags in TARGETS.items() if set(flags) <= _cpu_flags())


@contextlib.contextmanager
def encoder_target(target: str):
    """Encode with ``target``'s kernels inside the block (a work item says which)."""
    token = _TARGET.set(target)
    try:
        yield
    finally:
        _TARGET.reset(token)


def _kernel(fmt: Format, target: str):
    if target not in TARGETS:
        raise EncoderError(f"unknown encoder target {target!r}; known: {', '.join(TARGETS)}")
    if target not in supported_targets():
        raise EncoderError(
            f"this machine's CPU cannot run the {target} encoder that the job pinned (it runs {', '.join(supported_targets()) or 'none'}); "
            "targets write different bytes, so it does not substitute one: run the job on other workers or pin another "
            "target on the coordinator (OXCOOK_ENCODER_TARGET)"
        )
    return getattr(_KERNELS, f"CompressBlocks{_KERNEL_NAMES[fmt]}_ispc_{target}")

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


def _splitmix64(count: int) -> np.ndarray:
    state, out = 0x0DDC0FFEE, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        out.append(z ^ (z >> 31))
    return np.array(out, dtype=np.uint64)


_HASH_WEIGHTS = _splitmix64(16)  # one odd-ish 64-bit weight per 8-byte word of a block (a float16 RGBA block has 16)


def _block_rows(surface: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The 4x4 blocks of ``surface`` (h and w multiples of 4) in raster order, one row of bytes each (into ``out``)."""
    h, w, c = surface.shape
    count = (h // 4) * (w // 4)
    blocks = surface.reshape(h // 4, 4, w // 4, 4, c).swapaxes(1, 2)
    if out is None:
        return np.ascontiguousarray(blocks).reshape(count, -1).view(np.uint8)
    out.view(surface.dtype).reshape(h // 4, w // 4, 4, 4, c)[...] = blocks
    return out


def _distinct_rows(blocks: np.ndarray, worth_below: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct rows of ``blocks`` and, for every row, the index of its copy among them; ``None`` when
    none repeats or the distinct rows are ``worth_below`` of all or more (see :func:`distinct_blocks`)."""
    count = len(blocks)
    hashes = blocks.view(np.uint64) @ _HASH_WEIGHTS[: blocks.shape[1] // 8]  # wraps modulo 2**64
    order = np.argsort(hashes)  # numpy's vectorised quicksort: a 2048² photo's 262 144 hashes in ~7 ms, the stable sort's ~31
    ordered = hashes[order]
    starts = np.empty(count, bool)  # in hash order: where a group of equal hashes starts
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    distinct = int(np.count_nonzero(starts))
    if distinct >= count * worth_below:
        return None
    # the groups numbered by where they are first met (each group's smallest block index):
    # the copies keep raster order, so the gathers below walk memory forwards, not at random
    first = np.zeros(count, bool)
    firsts = np.minimum.reduceat(order, np.flatnonzero(starts))
    first[firsts] = True
    number = (np.cumsum(first) - 1)[firsts]  # per group, in hash order
    inverse = np.empty(count, np.intp)
    inverse[order] = number[np.cumsum(starts) - 1]
    reps = blocks[first]
    if not np.array_equal(reps[inverse].view(np.uint64), blocks.view(np.uint64)):
        return None
    return reps, inverse


def _strip(rows: np.ndarray, dtype: np.dtype, channels: int) -> np.ndarray:
    """Block rows laid side by side as a surface 4 pixels high: what the kernel reads."""
    return np.ascontiguousarray(rows.view(dtype).reshape(len(rows), 4, 4, channels).swapaxes(0, 1).reshape(4, 4 * len(rows), channels))


def distinct_blocks(surface: np.ndarray, *, worth_below: float = 1.0) -> tuple[np.ndarray, np.ndarray | None]:
    """The distinct 4x4 blocks of ``surface`` (h and w multiples of 4) as a 4-row strip, and for every
    block (in raster order) the index of its copy in the strip; ``(surface, None)`` when no block
    repeats, or when the distinct blocks are ``worth_below`` of all or more (too few repeats to pay
    for the gathering).

    Blocks are grouped by a 64-bit hash of their bytes and every block is then
    compared with the one that stands for its group: a collision cannot merge
    two different blocks (it only costs the reduction: the surface is returned as it is).
    """
    found = _distinct_rows(_block_rows(surface), worth_below)
    if found is None:
        return surface, None
    reps, inverse = found
    return _strip(reps, surface.dtype, surface.shape[2]), inverse


# The share of distinct blocks below which reducing a surface pays, per kernel: an encode of ~7 µs a
# block (BC7 default, this machine) pays back the ~0.1 µs a block of hashing and sorting from ~2 %
# of repeats; BC7 fast (~0.4 µs) and BC1-BC5 (< 0.1 µs) are never reduced.
_REDUCE_BELOW = {("BC7", Bc7Quality.DEFAULT): 0.97, ("BC7", Bc7Quality.HIGH): 0.99, ("BC6H", None): 0.97}


def _reduce_below(fmt: Format, quality: Bc7Quality) -> float:
    bc7 = fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)
    return _REDUCE_BELOW.get((_KERNEL_NAMES[fmt], quality if bc7 else None), 0.0)


def finds_repeats(fmt: Format, quality: Bc7Quality) -> bool:
    """Whether :func:`encode_surfaces` looks for repeated blocks in surfaces of ``fmt`` at ``quality``."""
    return _reduce_below(fmt, quality) > 0.0


def encode_blocks(fmt: Format, pixels: np.ndarray, quality: Bc7Quality = Bc7Quality.DEFAULT) -> bytes:
    """Block-compress one surface.

    Args:
        fmt: an :data:`ENCODABLE` format.
        pixels: ``(h, w, 4)`` uint8 (float16 for BC6H), any size.
        quality: BC7 effort.

    Raises:
        EncoderError: wrong input shape or dtype, or an output of the wrong size.
    """
    return encode_surfaces(fmt, [pixels], quality)[0]


def encode_surfaces(
    fmt: Format, surfaces: Sequence[np.ndarray], quality: Bc7Quality = Bc7Quality.DEFAULT, *, rows: Sequence[tuple[int, int]] | None = None
) -> list[bytes]:
    """Block-compress several surfaces (the bands of a level), each to the bytes :func:`encode_blocks`
    gives it alone, every distinct block among those sharing a kernel profile encoded once. With
    ``rows``, only rows ``first``..``end`` of each surface (``first`` a multiple of 4) are
    encoded, to those rows' share of the whole surface's bytes (its profile is chosen from all of it).

    Raises:
        EncoderError: as :func:`encode_blocks`.
    """
    return encode_shared(fmt, surfaces, quality, rows=rows)[0]


@dataclass(frozen=True)
class SharedBlocks:
    """Surfaces encoded together through their distinct blocks: what measuring each distinct block once needs.

    ``source`` holds the distinct blocks as the kernel read them (one row of bytes
    a block: 4x4 texels of the surface's dtype and channels, row by row),
    ``encoded`` their bytes, and ``blocks`` maps a surface's position in the
    call to the index among them of each of its blocks, ``(blocks high, blocks
    wide)`` over its extent padded to whole blocks.
    """

    source: np.ndarray  # (distinct, 16 * channels * itemsize) uint8
    encoded: np.ndarray  # (distinct, bytes per block) uint8
    blocks: dict[int, np.ndarray]


def encode_shared(
    fmt: Format, surfaces: Sequence[np.ndarray], quality: Bc7Quality = Bc7Quality.DEFAULT, *, rows: Sequence[tuple[int, int]] | None = None
) -> tuple[list[bytes], list[SharedBlocks]]:
    """:func:`encode_surfaces`, and for every group of surfaces encoded through their distinct blocks the
    :class:`SharedBlocks` it used (none when no group was reduced).

    Raises:
        EncoderError: as :func:`encode_blocks`.
    """
    if fmt not in ENCODABLE:
        raise EncoderError(f"{Format(fmt).name} has no encoder")
    want = np.float16 if fmt == Format.BC6H_UF16 else np.uint8
    for pixels in surfaces:
        if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != want:
            raise EncoderError(f"encoder input must be (h, w, 4) {np.dtype(want).name}, got {pixels.shape} {pixels.dtype}")
    channels = _INPUT_CHANNELS.get(fmt, 4)
    kernel = _kernel(fmt, _TARGET.get())
    bc7 = fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)
    worth = _reduce_below(fmt, quality)
    # the plain BC7 profiles ignore alpha: a surface with any alpha < 255 takes the alpha profile
    groups: dict[bool, list[int]] = {}
    for i, pixels in enumerate(surfaces):
        groups.setdefault(bc7 and bool((pixels[..., 3] < 255).any()), []).append(i)
    out: list[bytes] = [b""] * len(surfaces)
    shared: list[SharedBlocks] = []
    for alpha, members in groups.items():
        settings = (ctypes.byref(_BC7_SETTINGS[(quality, alpha)]),) if bc7 else (ctypes.byref(_BC6H_SETTINGS),) if fmt == Format.BC6H_UF16 else ()
        cut = [surfaces[i] if rows is None else surfaces[i][rows[i][0] : rows[i][1]] for i in members]
        padded = [np.ascontiguousarray(pad_to_blocks(surface[..., :channels])) for surface in cut]
        found = _distinct_rows(_joined_block_rows(padded), worth) if worth else None
        if found is None:
            for i, surface in zip(members, padded):
                out[i] = _run(kernel, surface, settings, fmt)
            continue
        reps, inverse = found
        encoded = np.frombuffer(_run(kernel, _strip(reps, padded[0].dtype, channels), settings, fmt), np.uint8).reshape(-1, FORMAT_INFO[fmt].bytes_per_block)
        at, blocks = 0, {}
        for i, surface in zip(members, padded):
            high, wide = surface.shape[0] // 4, surface.shape[1] // 4
            blocks[i] = inverse[at : at + high * wide].reshape(high, wide)
            out[i] = encoded[blocks[i].reshape(-1)].tobytes()
            at += high * wide
        shared.append(SharedBlocks(reps, encoded, blocks))
    return out, shared


def _joined_block_rows(surfaces: Sequence[np.ndarray]) -> np.ndarray:
    """The block rows of several surfaces, one after another, in one array."""
    if len(surfaces) == 1:
        return _block_rows(surfaces[0])
    counts = [(s.shape[0] // 4) * (s.shape[1] // 4) for s in surfaces]
    rows = np.empty((sum(counts), 16 * surfaces[0].shape[2] * surfaces[0].itemsize), np.uint8)
    at = 0
    for surface, count in zip(surfaces, counts):
        _block_rows(surface, rows[at : at + count])
        at += count
    return rows


def _run(kernel, surface: np.ndarray, settings: tuple, fmt: Format) -> bytes:
    """One kernel call on a contiguous surface."""
    h, w, c = surface.shape
    out = ctypes.create_string_buffer((w // 4) * (h // 4) * FORMAT_INFO[fmt].bytes_per_block)
    kernel(ctypes.byref(_Surface(surface.ctypes.data, w, h, w * c * surface.itemsize)), out, *settings)
    return out.raw


def _check_against_binding() -> None:
    """Our kernel calls must write exactly what the binding writes on this CPU for every profile we use."""
    pattern = ((np.arange(16 * 16 * 4, dtype=np.uint32) * 2654435761) >> 13).astype(np.uint8).reshape(16, 16, 4)  # varied bytes, no RNG to import
    pattern[:8, :, 3] = 255  # opaque and translucent blocks
    for (quality, alpha), settings in _BC7_SETTINGS.items():
        profile = BC7_PROFILES[quality][alpha]
        surface = ispc_texcomp.RGBASurface(memoryview(pattern).cast("B"), 16, 16, 64)
        theirs = bytes(ispc_texcomp.compress_blocks_bc7(surface, ispc_texcomp.BC7EncSettings.from_profile(profile)))
        ours = ctypes.create_string_buffer(len(theirs))
        _KERNELS.CompressBlocksBC7_ispc(ctypes.byref(_Surface(pattern.ctypes.data, 16, 16, 64)), ours, ctypes.byref(settings))
        if ours.raw != theirs:
            raise ImportError(f"ispc_texcomp {ispc_texcomp.__version__}: the {profile} profile no longer matches oxcook's declaration")


_check_against_binding()
