"""Mip chains on float images: box, Kaiser and Lanczos-3 filters; alpha coverage; normals.

Every level is computed from the previous one (as the engine does) with a
separable resampler over ``(height, width, 4)`` float32 arrays, described by a
:class:`MipStep` per level so that :class:`MipStream` can produce the chain
band by band with the whole-image arithmetic. Sizes follow
``max(1, d >> mip)`` for any width and height; odd sizes are filtered over
their whole extent (area-weighted), not by dropping the last row or column as
the engine's box filter does (§5.6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._desc import MipFilter
from ._pixels import columns_apart

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


@dataclass(frozen=True)
class MipStep:
    """How one level is made from the level above it (its parent), as pure data.

    Output row ``r`` reads parent rows ``lo[r]`` up to ``hi[r]`` (exclusive);
    both are non-decreasing in ``r``, so a level can be produced band by band
    from a sliding window of its parent's rows.
    """

    width: int
    height: int
    kind: MipFilter
    mode: str  # "box2x" (both axes halve, box) | "same" | "pairs" (rows halve, box) | "taps"
    lo: np.ndarray
    hi: np.ndarray
    taps: tuple[np.ndarray, np.ndarray] | None = None  # vertical source rows and weights, (height, taps) each


def plan_step(parent_width: int, parent_height: int, width: int, height: int, kind: MipFilter) -> MipStep:
    """The step from a ``parent_width`` × ``parent_height`` level to ``width`` × ``height`` (pure)."""
    rows = np.arange(height, dtype=np.int64)
    if kind == MipFilter.BOX and (parent_height, parent_width) == (2 * height, 2 * width):
        return MipStep(width, height, kind, "box2x", 2 * rows, 2 * rows + 2)
    if parent_height == height:
        return MipStep(width, height, kind, "same", rows, rows + 1)
    if kind == MipFilter.BOX and parent_height == 2 * height:
        return MipStep(width, height, kind, "pairs", 2 * rows, 2 * rows + 2)
    idx, weights = _taps(parent_height, height, kind)
    return MipStep(width, height, kind, "taps", idx.min(axis=1), idx.max(axis=1) + 1, (idx, weights))


def step_rows(step: MipStep, parent: np.ndarray, first: int, a: int, b: int, clamp: tuple[float, float] | None) -> np.ndarray:
    """Rows ``a`` to ``b`` of ``step``'s level from ``parent``, a band of parent rows starting at row ``first``.

    The arithmetic per output row does not depend on the band, so any banding
    gives the bytes of the whole-image filter.
    """
    base = int(step.lo[a])
    band = parent[base - first : int(step.hi[b - 1]) - first]
    if step.mode == "box2x":
        return _box2x(band)
    flat = _resample_axis(band, 1, step.width, step.kind)
    if step.mode == "same":
        out = flat if flat is not band else band.copy()
    elif step.mode == "pairs":
        out = flat.reshape(b - a, 2, *flat.shape[1:]).mean(axis=1, dtype=np.float32)
    else:
        idx, weights = step.taps
        out = None
        for t in range(idx.shape[1]):
            term = np.take(flat, idx[a:b, t] - base, axis=0) * weights[a:b, t].reshape(-1, 1, 1)
            out = term if out is None else out + term
        out = out.astype(np.float32, copy=False)
    if clamp is not None and step.kind != MipFilter.BOX:
        np.clip(out, clamp[0], clamp[1], out=out)
    return out


_BOX_PIXELS = 32768  # parent pixels whose columns are copied apart at a time (512 KB of RGBA floats: they stay in cache)


def _box2x(band: np.ndarray) -> np.ndarray:
    """The 2x2 box means of ``band`` (even height and width): ``(((tl + bl) + tr) + br) * 0.25`` per sample.

    Each few rows' even and odd columns are first copied apart, whole pixels at a time, so the sums run
    over long contiguous rows instead of a pixel's 4 samples at a time (a 2048² level: 19 ms, against 40 ms strided);
    the arithmetic and its order, and so every value, are the strided sums'.
    """
    band = np.ascontiguousarray(band)
    height, width, channels = band.shape
    out = np.empty((height // 2, width // 2, channels), band.dtype)
    step = min(height, max(2, _BOX_PIXELS // width // 2 * 2))  # an even number of rows (width >= 2 here)
    even = np.empty((step, width // 2, channels), band.dtype)
    odd = np.empty_like(even)
    for a in range(0, height, step):
        n = min(step, height - a)
        box_of(*columns_apart(band[a : a + n], even[:n], odd[:n]), out[a // 2 : (a + n) // 2])
    return out


def box_of(even: np.ndarray, odd: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The 2x2 box means of rows whose even and odd columns are apart (``even``, ``odd``: same shape, an even
    number of rows), into ``out``: ``(((tl + bl) + tr) + br) * 0.25``, the one order of the sums (it decides bytes)."""
    out = np.add(even[0::2], even[1::2], out=out)
    out += odd[0::2]
    out += odd[1::2]
    out *= np.float32(0.25)
    return out


def level_sizes(width: int, height: int, levels: int) -> list[tuple[int, int]]:
    """``(width, height)`` of each level: ``max(1, d >> mip)``."""
    return [(max(1, width >> mip), max(1, height >> mip)) for mip in range(levels)]


def plan_steps(width: int, height: int, levels: int, kind: MipFilter) -> list[MipStep]:
    """The steps making levels 1.. of a chain (pure)."""
    sizes = level_sizes(width, height, levels)
    return [plan_step(*sizes[mip - 1], *sizes[mip], kind) for mip in range(1, levels)]


def mip_chain(base: np.ndarray, levels: int, kind: MipFilter, *, clamp: tuple[float, float] | None = (0.0, 1.0)) -> list[np.ndarray]:
    """``levels`` images starting with ``base``, each from the previous one.

    Args:
        clamp: range to clamp each level to (sinc filters ring); None for none.
    """
    chain = [base]
    for step in plan_steps(base.shape[1], base.shape[0], levels, kind):
        chain.append(step_rows(step, chain[-1], 0, 0, step.height, clamp))
    return chain


class MipStream:
    """A mip chain produced band by band: level-0 rows go in, every level's rows come out.

    ``sink(level, first_row, rows)`` receives each row of each level exactly
    once, in row order per level; ``rows`` must not be modified (the next level
    may still read them). Only the parent rows a level still needs are kept,
    so memory is a few bands per level, not the chain.
    """

    def __init__(self, width: int, height: int, levels: int, kind: MipFilter, clamp: tuple[float, float] | None, sink) -> None:
        self._steps = plan_steps(width, height, levels, kind)
        self._clamp = clamp
        self._sink = sink
        self._next = [0] * levels  # the next row each level produces
        self._windows: list[tuple[int, np.ndarray] | None] = [None] * levels

    def push(self, rows: np.ndarray) -> None:
        """The next rows of level 0."""
        self._feed(0, self._next[0], rows)

    def _feed(self, level: int, first: int, rows: np.ndarray) -> None:
        self._next[level] = first + len(rows)
        self._sink(level, first, rows)
        if level == len(self._steps):
            return
        step = self._steps[level]
        window = self._windows[level]
        if window is not None:
            first, rows = window[0], np.concatenate([window[1], rows])
        end = first + len(rows)
        a = self._next[level + 1]
        b = int(np.searchsorted(step.hi, end, side="right"))
        keep = int(step.lo[b]) if b < step.height else end
        self._windows[level] = (keep, rows[keep - first :]) if keep < end else None
        if b > a:
            self._feed(level + 1, a, step_rows(step, rows, first, a, b, self._clamp))


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


def _normal_vectors(level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = level[..., :3] * np.float32(2.0)
    n -= np.float32(1.0)
    return n, np.einsum("...i,...i->...", n, n)


def normal_deviation(level: np.ndarray) -> float:
    """The largest ``|length² - 1|`` of the tangent-space normals stored as ``(n + 1) / 2`` in RGB."""
    return float(np.abs(_normal_vectors(level)[1] - 1.0).max()) if level.size else 0.0


def renormalize_normals(level: np.ndarray, *, tolerance: float = 0.0) -> bool:
    """Re-normalise tangent-space normals stored as ``(n + 1) / 2`` in RGB, in place.

    Texels whose vector has (near) zero length become ``(0, 0, 1)``.

    Args:
        tolerance: leave the level untouched when every length is already within
            ``1 ± tolerance`` (8-bit sources are never exact).

    Returns:
        Whether the level was changed.
    """
    if tolerance and normal_deviation(level) <= 2 * tolerance:
        return False
    n, length_sq = _normal_vectors(level)
    scale = np.zeros_like(length_sq)
    np.divide(np.float32(0.5), np.sqrt(length_sq), out=scale, where=length_sq > 1e-12)
    n *= scale[..., None]
    n += np.float32(0.5)
    level[..., :3] = n
    flat = length_sq <= 1e-12
    if flat.any():
        level[flat, :3] = (0.5, 0.5, 1.0)
    return True
