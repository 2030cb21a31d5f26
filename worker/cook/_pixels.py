"""Pixels seen as single opaque items, so numpy copies them in long loops.

numpy runs an operation on a ``(h, w, c)`` array one innermost axis at a
time: when that axis is a pixel's few samples (3 of 4 channels, or every
other pixel's 4), each of its loops moves 3 or 4 numbers, and copying a
2048² level's colour into an RGBA array costs about twice what the bytes
need. Seen through :func:`pixel_items`, a pixel (or its first few samples)
is one item and a row of pixels is one loop. Only copies go through it
(assignment between two such views): the arithmetic stays on the samples,
so no value changes.
"""

from __future__ import annotations

import functools

import numpy as np


def pixel_items(a: np.ndarray, samples: int | None = None) -> np.ndarray:
    """``a`` (``(h, w, c)``, its last axis contiguous) as an ``(h, w)`` view whose items are each pixel's first ``samples`` (all by default).

    Assigning one such view to another of the same item size copies whole pixels.
    """
    channels = a.shape[2]
    return a.view(_item(a.itemsize, channels if samples is None else samples, channels))[..., 0]["p"]


def copy_pixels(out: np.ndarray, src: np.ndarray) -> None:
    """Copy ``src``'s pixels (``(h, w, k)``) into the first ``k`` samples of ``out``'s (``(h, w, c)``, same dtype), whole pixels at a time."""
    pixel_items(out, src.shape[2])[...] = pixel_items(np.ascontiguousarray(src))


def columns_apart(a: np.ndarray, even: np.ndarray | None = None, odd: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``a``'s even and odd columns (``(h, w, c)``, ``w`` even) as two contiguous arrays, copied whole pixels at a time (into ``even``/``odd`` if given)."""
    if even is None or odd is None:
        even = np.empty((a.shape[0], a.shape[1] // 2, a.shape[2]), a.dtype)
        odd = np.empty_like(even)
    pixels = pixel_items(np.ascontiguousarray(a))
    pixel_items(even)[...] = pixels[:, 0::2]
    pixel_items(odd)[...] = pixels[:, 1::2]
    return even, odd


@functools.cache
def _item(sample_size: int, samples: int, channels: int) -> np.dtype:
    return np.dtype({"names": ["p"], "formats": [np.dtype((np.void, samples * sample_size))], "offsets": [0], "itemsize": channels * sample_size})
