"""Image headers: which format the bytes hold and the size their header states, with no pixel decoded.

PNG and Radiance HDR headers are plain bytes, read here; the headers only a
decoder library reads (JPEG, TGA, BMP, GIF and DDS through Pillow, OpenEXR
through its bindings) are asked of ``_imaging``, the one door to those
libraries, imported only then. So a coordinator that plans a cook of PNG
textures (``oxcook cook --dry-run``) loads no decoder and no numpy.
"""

from __future__ import annotations

import re

from .._errors import TextureImportError, TextureImportErrorCode

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXR_MAGIC = b"\x76\x2f\x31\x01"
_HDR_RESOLUTION = re.compile(rb"^([-+])Y (\d+) ([-+])X (\d+)$")
HEADER_BYTES = 256 * 1024  # enough of a file for :func:`image_size`


def sniff_format(data: bytes, hint: str = "") -> str | None:
    """The image format the bytes hold, or ``None``; ``hint`` (a file name) decides only for TGA."""
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"BM"):
        return "bmp"
    if data.startswith(b"DDS "):
        return "dds"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith((b"#?RADIANCE", b"#?RGBE")):
        return "hdr"
    if data.startswith(_EXR_MAGIC):
        return "exr"
    if hint.lower().endswith((".tga", ".targa", ".icb", ".vda", ".vst")):
        return "tga"
    return None


def image_size(head: bytes, hint: str = "") -> tuple[int, int] | None:
    """``(width, height)`` from the start of an image file (its first :data:`HEADER_BYTES`), or ``None`` if they cannot be read there.

    Decodes no pixel: the coordinator uses it to plan (split a huge texture)
    before any worker touches the file; the worker checks everything again.
    """
    try:
        fmt = sniff_format(head, hint)
        if fmt == "png":
            return png_size(head) if has_ihdr(head) else None
        if fmt == "hdr":
            return hdr_dimensions(head, hint)[:2]
        if fmt is not None:
            from ._imaging import library_size  # a decoder library reads this header

            return library_size(head, fmt)
    except Exception:  # noqa: BLE001 - any header a decoder cannot read here: no plan, the worker will say why
        return None
    return None


def has_ihdr(data: bytes) -> bool:
    return len(data) >= 26 and data[12:16] == b"IHDR"


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def hdr_dimensions(data: bytes, source_id: str) -> tuple[int, int, bool]:
    """A Radiance file's (width, height, stored bottom-up) from its header.

    Raises:
        TextureImportError: the header does not end, has no resolution line, or stores rows right to left.
    """
    end = data.find(b"\n\n", 0, 65536)
    if end < 0:
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, "Radiance header does not end")
    line_end = data.find(b"\n", end + 2, end + 2 + 256)
    match = _HDR_RESOLUTION.match(data[end + 2 : line_end if line_end >= 0 else None].strip())
    if match is None:
        raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, "Radiance resolution line missing")
    ysign, height, xsign, width = match.groups()
    if xsign != b"+":
        raise TextureImportError(TextureImportErrorCode.UNSUPPORTED_FORMAT, source_id, "Radiance files stored right-to-left are not supported")
    return int(width), int(height), ysign == b"+"
