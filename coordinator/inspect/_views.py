"""What a person looks at, made from decoded texels (pure numpy, no I/O).

Each view returns 8-bit RGBA or gray pixels ready for a PNG:

* :func:`display_rgba` — the texels as stored, float formats tone-mapped (Reinhard,
  then the sRGB curve) so HDR values above 1 keep their detail;
* :func:`alpha_view` — the alpha channel as gray;
* :func:`shaded_normals` — a tangent-space normal map lit by one fixed light
  (Lambert), Z rebuilt from X and Y as a renderer does for two-channel normals;
* :func:`error_heatmap` — per-texel error between two pictures, black → red → yellow → white;
* :func:`psnr_db` — the figure the heatmap pictures.
"""

from __future__ import annotations

import numpy as np

# Up and to the left of the viewer, as texture viewers light normal maps (+Y up, glTF's convention).
LIGHT = np.array([-0.5, 0.5, 0.75]) / np.linalg.norm([-0.5, 0.5, 0.75])
AMBIENT = 0.08


def unit_float(texels: np.ndarray) -> np.ndarray:
    """Texels as float32 in their own scale: integers to [0, 1], floats unchanged."""
    if texels.dtype == np.uint8:
        return texels.astype(np.float32) / 255.0
    if texels.dtype == np.uint16:
        return texels.astype(np.float32) / 65535.0
    return texels.astype(np.float32)


def tone_map(linear: np.ndarray) -> np.ndarray:
    """HDR values to display values in [0, 1]: Reinhard ``c / (1 + c)`` then the sRGB transfer curve."""
    c = np.nan_to_num(np.maximum(linear, 0.0), nan=0.0, posinf=65504.0)
    c = c / (1.0 + c)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def _to_u8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def display_rgba(texels: np.ndarray) -> np.ndarray:
    """``(h, w, 4)`` uint8: gray for one channel, red-green for two, opaque for three; floats tone-mapped."""
    h, w, channels = texels.shape
    if texels.dtype == np.uint8:
        rgb8 = texels[..., :3] if channels >= 3 else None
        alpha = texels[..., 3] if channels == 4 else np.full((h, w), 255, np.uint8)
        if rgb8 is None:
            rgb8 = np.repeat(texels[..., :1], 3, axis=2) if channels == 1 else np.dstack([texels, np.zeros((h, w), np.uint8)])
        return np.dstack([rgb8, alpha])
    values = unit_float(texels)
    if texels.dtype.kind == "f":
        color = tone_map(values[..., :3])
        alpha = np.clip(values[..., 3], 0.0, 1.0) if channels == 4 else np.ones((h, w), np.float32)
    else:
        color, alpha = values[..., :3], values[..., 3] if channels == 4 else np.ones((h, w), np.float32)
    if channels == 1:
        color = np.repeat(color, 3, axis=2)
    elif channels == 2:
        color = np.dstack([color, np.zeros((h, w), np.float32)])
    return np.dstack([_to_u8(color), _to_u8(alpha)])


def alpha_view(rgba: np.ndarray) -> np.ndarray:
    """The alpha of display pixels as gray ``(h, w)`` uint8."""
    return np.ascontiguousarray(rgba[..., 3])


# Alpha at or above this everywhere is opaque: a block encoder may store 254 for a source's 255.
OPAQUE_ALPHA = 250


def is_opaque(rgba: np.ndarray) -> bool:
    """Whether display pixels have no alpha worth a view of its own."""
    return bool((rgba[..., 3] >= OPAQUE_ALPHA).all())


def shaded_normals(texels: np.ndarray) -> np.ndarray:
    """A tangent-space normal map (X, Y in the first two channels, stored as ``n * 0.5 + 0.5``)
    lit by :data:`LIGHT`: ``(h, w)`` uint8 gray, ``ambient + N·L`` clamped."""
    values = unit_float(texels)
    x, y = values[..., 0] * 2.0 - 1.0, values[..., 1] * 2.0 - 1.0
    z = np.sqrt(np.clip(1.0 - x * x - y * y, 0.0, 1.0))
    length = np.sqrt(x * x + y * y + z * z)
    length[length == 0] = 1.0
    lambert = (x * LIGHT[0] + y * LIGHT[1] + z * LIGHT[2]) / length
    return _to_u8(AMBIENT + (1.0 - AMBIENT) * np.clip(lambert, 0.0, 1.0))


def error_heatmap(a: np.ndarray, b: np.ndarray, *, full_scale: float = 32.0) -> np.ndarray:
    """``(h, w, 3)`` uint8: the largest per-channel difference of two uint8 pictures of one shape,
    ``full_scale`` steps and more drawn white."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2).astype(np.float32) / full_scale
    t = np.clip(diff, 0.0, 1.0)
    return _to_u8(np.dstack([t * 3.0, t * 3.0 - 1.0, t * 3.0 - 2.0]))


def psnr_db(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 pictures of one shape, in dB (``inf`` when equal)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0 * 255.0 / mse))
