"""The one door to image decoders: sniff the real format, check the size, decode.

Decoders, chosen per format for correctness:

* PNG: ``imagecodecs`` (libpng). It keeps 16-bit samples (Pillow reduces 16-bit
  RGB to 8 bits) and checks chunk CRCs (Pillow ignores them). Method bytes PNG
  forbids are refused first (``_png``): libpng lets some of them through.
* JPEG, TGA, BMP, GIF, DDS (uncompressed, BC1–BC7): Pillow.
* Radiance ``.hdr``: ``imagecodecs``' RGBE decoder (imageio's default path can
  return 8-bit data).
* OpenEXR: the official ``OpenEXR`` bindings (maintained by the ASWF, pip
  installable, decode from memory, half and float, scanline and tiled);
  imageio reads EXR only through FreeImage, a system library.

The format is sniffed from the bytes (``_headers``, which also reads the headers
that need no library); the file name is only a hint (TGA has no magic).
Dimensions are read from the header and checked against ``max_dimension``
*before* any pixel is decoded. Every decoder failure becomes
a :class:`TextureImportError`; nothing else leaves this module.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagecodecs
import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from ._budget import CookCost, check_budget
from .._errors import TextureImportError, TextureImportErrorCode
from ._headers import has_ihdr, hdr_dimensions, png_size, sniff_format
from ._png import check_png_methods


def _configure_pillow() -> None:
    """Set Pillow's process-wide switches where decoding starts (importing ``worker`` changes nothing).

    Our own dimension check (before decoding) replaces Pillow's global bomb
    guard, whose fixed limit would refuse sizes the configuration allows.
    """
    Image.MAX_IMAGE_PIXELS = None
    ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class DecodedImage:
    """Decoded pixels, as the source stored them.

    Attributes:
        pixels: ``(height, width, channels)``; uint8, uint16 or float32.
        source_format: ``png``, ``jpeg``, ``tga``, ``bmp``, ``gif``, ``dds``, ``hdr``, ``exr``.
    """

    pixels: np.ndarray
    source_format: str

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def channels(self) -> int:
        return self.pixels.shape[2]

    @property
    def is_float(self) -> bool:
        return self.pixels.dtype.kind == "f"


def decode_image(data: bytes, source_id: str, *, max_dimension: int, cost: CookCost = CookCost()) -> DecodedImage:
    """Decode ``data`` after checking its header dimensions and the memory its cook would need (``cost``).

    Raises:
        TextureImportError: empty, unrecognised, too large, truncated or corrupt input.
    """
    if not data:
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, "the file is empty")
    fmt = sniff_format(data, source_id)
    if fmt is None:
        raise TextureImportError(
            TextureImportErrorCode.UNSUPPORTED_FORMAT,
            source_id,
            "not an image format oxcook reads (PNG, JPEG, TGA, BMP, GIF, DDS, Radiance HDR, OpenEXR)",
        )
    try:
        if fmt == "png":
            return _decode_png(data, source_id, max_dimension, cost)
        if fmt == "hdr":
            return _decode_hdr(data, source_id, max_dimension, cost)
        if fmt == "exr":
            return _decode_exr(data, source_id, max_dimension, cost)
        return _decode_pillow(data, fmt, source_id, max_dimension, cost)
    except TextureImportError:
        raise
    except MemoryError as exc:
        raise TextureImportError(TextureImportErrorCode.OUT_OF_MEMORY, source_id, f"out of memory decoding {fmt}") from exc
    except UnidentifiedImageError as exc:
        raise TextureImportError(TextureImportErrorCode.UNSUPPORTED_FORMAT, source_id, f"not a readable {fmt.upper()} file") from exc
    except Exception as exc:  # the decoders' own errors: libpng, RGBE, OpenEXR, Pillow
        raise TextureImportError(
            TextureImportErrorCode.CORRUPTED_DATA, source_id, f"corrupt or truncated {fmt.upper()} data: {exc}"
        ) from exc


def library_size(head: bytes, fmt: str) -> tuple[int, int]:
    """``(width, height)`` from the header of a ``fmt`` image that only a decoder library reads (``_headers.image_size``).

    Raises:
        Exception: whatever the library raises for a header it cannot read.
    """
    if fmt == "exr":
        return _exr_size(head)
    _configure_pillow()
    with Image.open(io.BytesIO(head), formats=_PILLOW_FORMATS[fmt]) as im:
        return im.width, im.height


def _check_size(
    width: int, height: int, source_id: str, max_dimension: int, cost: CookCost, source_bytes_per_pixel: float, *, float_source: bool = False, file_bytes: int = 0
) -> None:
    """The header's dimensions against the limit and the memory budget (a cook holds its file's ``file_bytes`` too), before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise TextureImportError(TextureImportErrorCode.INVALID_DIMENSIONS, source_id, f"image header says {width}x{height}")
    if width > max_dimension or height > max_dimension:
        raise TextureImportError(
            TextureImportErrorCode.IMAGE_TOO_LARGE,
            source_id,
            f"{width}x{height} exceeds the {max_dimension}x{max_dimension} limit; refused before decoding",
        )
    check_budget(width, height, source_id, source_bytes_per_pixel=source_bytes_per_pixel, cost=cost, float_source=float_source, file_bytes=file_bytes)


_PNG_CHANNELS = {0: 1, 2: 3, 3: 4, 4: 2, 6: 4}  # by colour type (a palette may expand to RGBA)


def _exr_size(data: bytes) -> tuple[int, int]:
    import OpenEXR  # on first use: most jobs hold no EXR (~10 ms of every start-up)

    lo, hi = OpenEXR.File(io.BytesIO(data), header_only=True).header()["dataWindow"]
    return int(hi[0] - lo[0] + 1), int(hi[1] - lo[1] + 1)


def _decode_png(data: bytes, source_id: str, max_dimension: int, cost: CookCost) -> DecodedImage:
    if not has_ihdr(data):
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, "PNG without an IHDR chunk")
    if b"IDAT" not in data:
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, "PNG without image data (no IDAT chunk)")
    check_png_methods(data, source_id)
    sample_bytes = 2 if data[24] == 16 else 1
    _check_size(*png_size(data), source_id, max_dimension, cost, _PNG_CHANNELS.get(data[25], 4) * sample_bytes, file_bytes=len(data))
    pixels = imagecodecs.png_decode(data)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.dtype == np.bool_:
        pixels = pixels.view(np.uint8) * np.uint8(255)  # one new array: astype first would make two
    return DecodedImage(np.ascontiguousarray(pixels), "png")


def _decode_hdr(data: bytes, source_id: str, max_dimension: int, cost: CookCost) -> DecodedImage:
    width, height, bottom_up = hdr_dimensions(data, source_id)
    _check_size(width, height, source_id, max_dimension, cost, 3 * 4, float_source=True, file_bytes=len(data))
    pixels = np.asarray(imagecodecs.rgbe_decode(data), dtype=np.float32)
    if pixels.shape[:2] != (height, width):
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, f"decoded {pixels.shape[1]}x{pixels.shape[0]}, header says {width}x{height}")
    if bottom_up:
        pixels = pixels[::-1]
    return DecodedImage(np.ascontiguousarray(pixels), "hdr")


def _decode_exr(data: bytes, source_id: str, max_dimension: int, cost: CookCost) -> DecodedImage:
    _check_size(*_exr_size(data), source_id, max_dimension, cost, 4 * 4, float_source=True, file_bytes=len(data))
    import OpenEXR

    channels = OpenEXR.File(io.BytesIO(data)).channels()
    if "RGBA" in channels or "RGB" in channels:
        pixels = channels.get("RGBA", channels.get("RGB")).pixels
    elif "Y" in channels:
        pixels = channels["Y"].pixels[:, :, None]
        if "A" in channels:
            pixels = np.concatenate([pixels, channels["A"].pixels[:, :, None]], axis=2)
    else:
        names = [n for n in ("R", "G", "B", "A") if n in channels] or sorted(channels)[:4]
        pixels = np.stack([channels[n].pixels for n in names], axis=2)
    return DecodedImage(np.ascontiguousarray(pixels, dtype=np.float32), "exr")


_PILLOW_FORMATS = {"jpeg": ["JPEG"], "bmp": ["BMP", "DIB"], "dds": ["DDS"], "gif": ["GIF"], "tga": ["TGA"]}


def _decode_pillow(data: bytes, fmt: str, source_id: str, max_dimension: int, cost: CookCost) -> DecodedImage:
    _configure_pillow()
    with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[fmt]) as im:
        _check_size(im.width, im.height, source_id, max_dimension, cost, 4 if len(im.getbands()) > 1 or im.mode in ("I", "F") else 2 if im.mode.startswith("I;16") else 1, file_bytes=len(data))
        im.load()
        mode = im.mode
        if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
            return DecodedImage(np.asarray(im, dtype=np.uint16)[:, :, None].copy(), fmt)
        if mode == "I":
            return DecodedImage(np.clip(np.asarray(im), 0, 65535).astype(np.uint16)[:, :, None], fmt)
        if mode == "F":
            return DecodedImage(np.asarray(im, dtype=np.float32)[:, :, None].copy(), fmt)
        if mode in ("P", "PA"):
            has_alpha = mode == "PA" or "transparency" in im.info
            im = im.convert("RGBA" if has_alpha else "RGB")
        elif mode == "1":
            im = im.convert("L")
        elif mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in mode else "RGB")
        pixels = np.asarray(im)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    return DecodedImage(np.ascontiguousarray(pixels), fmt)
