"""The one door to Pillow for pictures of a root: fit to a box, lay out a strip, write a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def _image(pixels: np.ndarray) -> Image.Image:
    if pixels.ndim == 2:
        return Image.fromarray(pixels, "L")
    return Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")


def fit(pixels: np.ndarray, bound: int) -> np.ndarray:
    """``pixels`` scaled down (never up) so neither side exceeds ``bound``, keeping the aspect ratio."""
    h, w = pixels.shape[:2]
    scale = bound / max(w, h)
    if scale >= 1.0:
        return pixels
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(_image(pixels).resize(size, Image.Resampling.BOX, reducing_gap=2.0))


def resize_to(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """``pixels`` scaled to exactly ``width`` x ``height`` (a source compared with a texture cooked smaller)."""
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    return np.asarray(_image(pixels).resize((width, height), Image.Resampling.LANCZOS))


def strip(pictures: list[np.ndarray], height: int, gap: int = 4) -> np.ndarray:
    """RGBA pictures side by side, each fitted into a ``height`` square box and bottom-aligned,
    on a transparent background (a mip chain reads from largest to smallest)."""
    fitted = [fit(p, height) for p in pictures]
    width = sum(p.shape[1] for p in fitted) + gap * (len(fitted) - 1)
    out = np.zeros((max(p.shape[0] for p in fitted), width, 4), np.uint8)
    x = 0
    for p in fitted:
        out[out.shape[0] - p.shape[0] :, x : x + p.shape[1]] = p
        x += p.shape[1] + gap
    return out


def save_png(path: Path, pixels: np.ndarray) -> None:
    """Write ``pixels`` (gray, RGB or RGBA uint8) as a PNG; fast compression, as pictures are many and small."""
    _image(pixels).save(path, format="PNG", compress_level=1)
