"""Rows of a layer between stages: source samples to working floats, content processing, output samples.

Pure per-row functions over numpy arrays, shared by the whole-image stages and
the banded cook in ``worker.cook._stages``, so both do the same arithmetic on every
row. ``plan`` is a :class:`~worker.cook._types.CookPlan`.
"""

from __future__ import annotations

import numpy as np

from oxcook.formats import Format

from ._color import float_to_unorm8, samples_to_float
from ._types import CookPlan
from ._desc import FLOAT_FORMATS, TextureImportDesc, TextureIntent
from ._mips import box_of, renormalize_normals
from ._pixels import columns_apart, copy_pixels

BAND_ROWS = 256  # rows per encoded band (64 block rows): the unit of encoding and of splitting (it decides bytes)
BATCH_PIXELS = 2048 * 2048  # complete bands of a level held to be encoded together, their repeats found once (memory only)
CHUNK_ROWS = 64  # level-0 rows made into working rows at a time (memory only: any chunking gives the same bytes)
HALF_MAX = 65504.0


HALF_FORMATS = frozenset({Format.RGBA16_FLOAT, Format.RG16_FLOAT, Format.R16_FLOAT, Format.BC6H_UF16, Format.BC6H_SF16})


UNIT_TOLERANCE = 0.01  # |length - 1| an 8-bit normal map may show and still count as unit length


UNCOMPRESSED_8BIT = {
    Format.RGBA8_UNORM: 4,
    Format.RGBA8_UNORM_SRGB: 4,
    Format.RG8_UNORM: 2,
    Format.R8_UNORM: 1,
}


FLOAT_CHANNELS = {
    Format.RGBA32_FLOAT: (np.float32, 4),
    Format.RGBA16_FLOAT: (np.float16, 4),
    Format.RG32_FLOAT: (np.float32, 2),
    Format.RG16_FLOAT: (np.float16, 2),
    Format.R32_FLOAT: (np.float32, 1),
    Format.R16_FLOAT: (np.float16, 1),
}


def to_rgba(samples: np.ndarray) -> np.ndarray:
    """Any channel count as RGBA in the source's dtype (grey replicated, opaque alpha added)."""
    c = samples.shape[2]
    if c == 4:
        return samples
    opaque = np.array(1.0 if samples.dtype.kind == "f" else np.iinfo(samples.dtype).max, dtype=samples.dtype)
    if c == 1:
        rgb = np.repeat(samples, 3, axis=2)
        alpha = np.broadcast_to(opaque, samples.shape)
    elif c == 2:
        rgb = np.repeat(samples[..., :1], 3, axis=2)
        alpha = samples[..., 1:2]
    elif c == 3:
        out = np.empty(samples.shape[:2] + (4,), samples.dtype)
        out[..., 3] = opaque
        copy_pixels(out, samples)
        return out
    else:
        return np.ascontiguousarray(samples[..., :4])
    return np.concatenate([rgb, alpha], axis=2)


def float_rows(samples: np.ndarray, plan: CookPlan) -> tuple[np.ndarray, int, int]:
    """Float source rows as RGBA float32 with non-finite and (for half outputs) out-of-range samples clamped, and both counts."""
    work = to_rgba(samples).astype(np.float32, copy=True)
    bad = int(np.count_nonzero(~np.isfinite(work)))
    if bad:
        np.nan_to_num(work, copy=False, nan=0.0, posinf=HALF_MAX, neginf=-HALF_MAX)
    beyond = 0
    if plan.output_format in HALF_FORMATS:
        beyond = int(np.count_nonzero(np.abs(work) > HALF_MAX))
        if beyond:
            np.clip(work, -HALF_MAX, HALF_MAX, out=work)
    return work, bad, beyond


def working_rows(samples: np.ndarray, plan: CookPlan) -> np.ndarray:
    """Stage 3 for some rows: RGBA float32, colour in linear light when ``plan.linear_work``."""
    if samples.dtype.kind == "f":
        return float_rows(samples, plan)[0]
    channels = samples.shape[2]
    work = np.empty(samples.shape[:2] + (4,), np.float32)
    if channels <= 2:  # grey (+ alpha): one conversion, replicated
        work[..., :3] = samples_to_float(samples[..., 0], srgb=plan.linear_work)[..., None]
    else:
        copy_pixels(work, samples_to_float(samples[..., :3], srgb=plan.linear_work))
    if channels in (2, 4):
        work[..., 3] = samples_to_float(samples[..., -1], srgb=False)
    else:
        work[..., 3] = 1.0
    return work


def halved_rows(samples: np.ndarray, plan: CookPlan) -> np.ndarray:
    """Level-1 working rows straight from 8-bit level-0 rows (an even number of them, of even width): the
    2x2 box of their :func:`working_rows`, value for value, without making those rows. The bytes of even
    and odd columns are first copied apart (whole pixels at a time), each sample is then looked up once,
    and the sums run at half size (a 2048² RGB level: 29 ms, against 39 ms through float rows, and no 64 MB float copy of it).
    For level-0 rows that content processing leaves as they are."""
    channels = samples.shape[2]
    even, odd = columns_apart(samples)
    colour = 3 if channels >= 3 else 1
    sums = box_of(samples_to_float(even[..., :colour], srgb=plan.linear_work), samples_to_float(odd[..., :colour], srgb=plan.linear_work))
    out = np.empty(sums.shape[:2] + (4,), np.float32)
    if colour == 3:
        copy_pixels(out, sums)
    else:  # grey: one box, replicated (the box of equal samples is equal)
        out[..., :3] = sums
    if channels in (2, 4):
        out[..., 3] = box_of(samples_to_float(even[..., -1], srgb=False), samples_to_float(odd[..., -1], srgb=False))
    else:
        out[..., 3] = 1.0  # the box of four 1.0s
    return out


def prepare_rows(px: np.ndarray, desc: TextureImportDesc, plan: CookPlan) -> None:
    """Stage 4 up to the normals' length check, in place: HDR bake, normal-map green flip."""
    if plan.bake_hdr:
        rgb = np.maximum(px[..., :3] * np.float32(2.0**desc.exposure_ev), 0.0)
        px[..., :3] = np.clip(rgb * (2.51 * rgb + 0.03) / (rgb * (2.43 * rgb + 0.59) + 0.14), 0.0, 1.0)
        np.clip(px[..., 3], 0.0, 1.0, out=px[..., 3])
    if desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green:
        px[..., 1] = 1.0 - px[..., 1]


def finish_rows(px: np.ndarray, plan: CookPlan, renormalize: bool) -> None:
    """The rest of stage 4, in place: normals renormalised (when the survey said so), premultiplied alpha."""
    if renormalize:
        renormalize_normals(px)
    if plan.premultiply:
        px[..., :3] *= px[..., 3:4]


def checks_normals(desc: TextureImportDesc) -> bool:
    # the engine renormalises mips 1..N only; authored maps are not always unit length
    return desc.intent == TextureIntent.NORMAL_TS and desc.renormalize_normals_in_mips


def mip_clamp(plan: CookPlan) -> tuple[float, float] | None:
    return None if plan.output_format in FLOAT_FORMATS else (0.0, 1.0)


def rgba8(rows: np.ndarray, plan: CookPlan) -> np.ndarray:
    """RGBA float rows as RGBA8: colour sRGB-encoded when the plan says so, alpha never."""
    srgb = plan.linear_work and plan.encode_srgb
    out = float_to_unorm8(rows, srgb=srgb)  # every sample in one pass over contiguous rows; alpha redone when it differs
    if srgb:
        out[..., 3] = float_to_unorm8(rows[..., 3], srgb=False)
    return out

