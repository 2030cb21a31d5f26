"""PNG chunk checks libpng does not make fatal: method bytes the PNG specification forbids.

PNG (third edition, §11.2.2 IHDR, §11.3.3.3 iCCP, §11.3.3.4 zTXt, §11.3.3.5
iTXt) defines one compression method (0, zlib), one filter method (0) and two
interlace methods (0, 1). libpng refuses other IHDR values with an unspecific
"Invalid IHDR data", and only warns about an ancillary chunk with another
compression method, drops the chunk and decodes the rest: a file the
specification calls invalid would cook. Here either is refused as corrupt,
naming the chunk, its byte offset and the value found.
"""

from __future__ import annotations

import struct

from .._errors import TextureImportError, TextureImportErrorCode

_PNG_SIGNATURE_BYTES = 8
_CHUNK_HEAD = struct.Struct(">I4s")  # length, type; the data and a 4-byte CRC follow
_IHDR_METHODS = struct.Struct(">BBB")  # compression, filter, interlace: IHDR data bytes 10-12
_ZLIB = "0 (zlib)"
_IHDR_RULES = (
    ("compression method", {0}, _ZLIB),
    ("filter method", {0}, "0 (adaptive)"),
    ("interlace method", {0, 1}, "0 (none) and 1 (Adam7)"),
)


def check_png_methods(data: bytes, source_id: str) -> None:
    """Refuse a PNG whose IHDR or compressed ancillary chunks name a method PNG does not define.

    Walks the chunk headers only (no CRC, no inflation); a chunk running past
    the end stops the walk, leaving truncation to the decoder that reports it.

    Raises:
        TextureImportError: ``texture-corrupted-data``, naming the chunk and the method.
    """
    offset = _PNG_SIGNATURE_BYTES
    while offset + _CHUNK_HEAD.size <= len(data):
        length, kind = _CHUNK_HEAD.unpack_from(data, offset)
        body = data[offset + _CHUNK_HEAD.size : offset + _CHUNK_HEAD.size + length]
        if len(body) < length:
            return
        problem = _chunk_problem(kind, body)
        if problem:
            where = "IHDR" if kind == b"IHDR" else f"{kind.decode('latin-1')} chunk at byte {offset}"
            raise TextureImportError(TextureImportErrorCode.CORRUPTED_DATA, source_id, f"{where}: {problem}")
        if kind == b"IEND":
            return
        offset += _CHUNK_HEAD.size + length + 4


def _chunk_problem(kind: bytes, body: bytes) -> str | None:
    if kind == b"IHDR" and len(body) == 13:
        for (what, allowed, defined), value in zip(_IHDR_RULES, _IHDR_METHODS.unpack_from(body, 10)):
            if value not in allowed:
                return f"{what} {value}; PNG defines only {defined}"
        return None
    if kind in (b"iCCP", b"zTXt"):
        # a keyword of 1-79 bytes, its NUL terminator, then the compression method byte
        end = body.find(b"\0", 0, 80)
        method = body[end + 1] if 0 < end < len(body) - 1 else 0
        return f"compression method {method}; PNG defines only {_ZLIB}" if method else None
    if kind == b"iTXt":
        # keyword, NUL, compression flag, compression method; the method counts only when the flag says compressed
        end = body.find(b"\0", 0, 80)
        if 0 < end < len(body) - 2 and body[end + 1] == 1 and body[end + 2] != 0:
            return f"compression method {body[end + 2]}; PNG defines only {_ZLIB}"
    return None
