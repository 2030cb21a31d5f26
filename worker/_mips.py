"""Mip chains on float images: box, Kaiser and Lanczos-3 filters; alpha coverage; normals.

Every level is computed from the previous one (as the engine does) with a
separable resampler over ``(height, width, 4)`` float32 arrays. Sizes follow
``max(1, d >> mip)`` for any width and height; odd sizes are filtered over
their whole extent (area-weighted), not by dropping the last row or column as
the engine's box filter does (§5.6).
"""

from __future__ import annotations

import math

import numpy as np

from ._desc import MipFilter

_KAISER_ALPHA = 4.0
_SUPPORT = {MipFilter.BOX: 0.5, MipFilter.KAISER: 3.0, MipFilter.LANCZOS: 3.0}


def _kernel(kind: MipFilter, x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    if kind == MipFilter.BOX:
        return (ax < 0.5).astype(np.float64) + (ax == 0.5) * 0.5
    if kind == MipFilter.LANCZOS:
        return np.where(ax < 3.0, np.sinc(x) * np.sinc(x / 3.0), 0.0)
    inside = np.clip(1.0 - (x / 3.0) ** 2, 0.0, None)
    return np.where(ax < 3.0, np.sinc(x) * np.i0(_KAISER_ALPHA * np.sqrt(inside)) / np.i0(_KAISER_ALPHA), 0.0)


def _taps(old: int, new: int, kind: MipFilter) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and normalised weights, ``(new, taps)`` each."""
    scale = new / old
    widen = max(1.0 / scale, 1.0)
    support = _SUPPORT[kind] * widen
    centers = (np.arange(new) + 0.5) / scale
    first = np.floor(centers - support).astype(np.int64)
    count = int(math.ceil(2 * support)) + 2
    idx = first[:, None] + np.arange(count)[None, :]
    weights = _kernel(kind, (idx + 0.5 - centers[:, None]) / widen)
    weights /= weights.sum(axis=1, keepdims=True)
    keep = np.abs(weights).max(axis=0) > 0
    return np.clip(idx[:, keep], 0, old - 1), weights[:, keep].astype(np.float32)


def _resample_axis(img: np.ndarray, axis: int, new: int, kind: MipFilter) -> np.ndarray:
    old = img.shape[axis]
    if new == old:
        return img
    if kind == MipFilter.BOX and old == 2 * new:
        shape = list(img.shape)
        shape[axis : axis + 1] = [new, 2]
        return img.reshape(shape).mean(axis=axis + 1, dtype=np.float32)
    idx, weights = _taps(old, new, kind)
    out = None
    for t in range(idx.shape[1]):
        w = weights[:, t].reshape([-1 if a == axis else 1 for a in range(img.ndim)])
        term = np.take(img, idx[:, t], axis=axis) * w
        out = term if out is None else out + term
    return out.astype(np.float32, copy=False)


def downsample(img: np.ndarray, width: int, height: int, kind: MipFilter) -> np.ndarray:
    """``img`` resampled to ``width`` × ``height`` with a separable ``kind`` filter."""
    h, w = img.shape[:2]
    if kind == MipFilter.BOX and (h, w) == (2 * height, 2 * width):
        # the common case, 5x faster than two separable passes
        out = img[0::2, 0::2] + img[1::2, 0::2]
        out += img[0::2, 1::2]
        out += img[1::2, 1::2]
        out *= np.float32(0.25)
        return out
    return _resample_axis(_resample_axis(img, 1, width, kind), 0, height, kind)


def mip_chain(base: np.ndarray, levels: int, kind: MipFilter, *, clamp: tuple[float, float] | None = (0.0, 1.0)) -> list[np.ndarray]:
    """``levels`` images starting with ``base``, each from the previous one.

    Args:
        clamp: range to clamp each level to (sinc filters ring); None for none.
    """
    chain = [base]
    h, w = base.shape[:2]
    for mip in range(1, levels):
        nxt = downsample(chain[-1], max(1, w >> mip), max(1, h >> mip), kind)
        if clamp is not None and kind != MipFilter.BOX:
            nxt = np.clip(nxt, clamp[0], clamp[1], out=nxt)
        chain.append(nxt)
    return chain


def alpha_coverage(alpha: np.ndarray, cutoff: float) -> float:
    """Fraction of texels whose alpha passes an alpha test at ``cutoff``."""
    return float(np.count_nonzero(alpha >= cutoff)) / max(alpha.size, 1)


def preserve_alpha_coverage(level: np.ndarray, target: float, cutoff: float) -> None:
    """Scale ``level``'s alpha in place so its coverage at ``cutoff`` matches ``target``.

    The scale is chosen from the alpha quantile that ``target`` coverage implies,
    so the match is exact up to ties between equal alpha values.
    """
    alpha = level[..., 3]
    n = alpha.size
    keep = int(round(target * n))
    if keep <= 0:
        np.minimum(alpha, cutoff * 0.999, out=alpha)
        return
    if keep >= n:
        threshold = float(alpha.min())
    else:
        ordered = np.partition(alpha.ravel(), n - keep)
        threshold = float(ordered[n - keep])
    if threshold <= 0.0:
        return
    np.clip(alpha * np.float32(cutoff / threshold), 0.0, 1.0, out=alpha)


def renormalize_normals(level: np.ndarray, *, tolerance: float = 0.0) -> bool:
    """Re-normalise tangent-space normals stored as ``(n + 1) / 2`` in RGB, in place.

    Texels whose vector has (near) zero length become ``(0, 0, 1)``.

    Args:
        tolerance: leave the level untouched when every length is already within
            ``1 ± tolerance`` (8-bit sources are never exact).

    Returns:
        Whether the level was changed.
    """
    n = level[..., :3] * np.float32(2.0)
    n -= np.float32(1.0)
    length_sq = np.einsum("...i,...i->...", n, n)
    if tolerance and float(np.abs(length_sq - 1.0).max()) <= 2 * tolerance:
        return False
    scale = np.zeros_like(length_sq)
    np.divide(np.float32(0.5), np.sqrt(length_sq), out=scale, where=length_sq > 1e-12)
    n *= scale[..., None]
    n += np.float32(0.5)
    level[..., :3] = n
    flat = length_sq <= 1e-12
    if flat.any():
        level[flat, :3] = (0.5, 0.5, 1.0)
    return True
