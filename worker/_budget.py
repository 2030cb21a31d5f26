"""The memory budget of one cooking process: a texture whose cook would exceed it is refused by name, before decoding.

A cook's peak is dominated by the pixels, and the image header gives their
number before a byte is decoded. Measured on this code (``python -c`` over a
4096² image, VmHWM minus the process before the cook): about 32 bytes per
pixel for an 8-bit source cooked to BC7, 42 to uncompressed RGBA8, 66 for a
float source (HDR/EXR) — the float32 RGBA working copy, its mip chain and the
output. The estimate rounds those up (48 and 80).

The budget comes from ``OXCOOK_MEMORY_BUDGET`` (bytes, or with a K/M/G/T
suffix), which the local pool and ``oxcook worker`` set to their share of the
machine; unset, it is half of this machine's memory.
"""

from __future__ import annotations

import os

from ._errors import TextureImportError, TextureImportErrorCode

LDR_BYTES_PER_PIXEL = 48
FLOAT_BYTES_PER_PIXEL = 80
_SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """``"8G"`` → bytes (K/M/G/T are powers of 1024; a trailing ``B``/``iB`` is allowed).

    Raises:
        ValueError: not a size.
    """
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = value[-1:] if value[-1:] in _SUFFIXES else ""
    number = float(value[: len(value) - len(suffix)])
    if not number > 0:
        raise ValueError(f"{text!r} is not a positive size")
    return int(number * _SUFFIXES[suffix])


def machine_memory() -> int:
    """This machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_budget() -> int:
    """Bytes one texture's cook may use in this process."""
    text = os.environ.get("OXCOOK_MEMORY_BUDGET")
    if text:
        try:
            return parse_size(text)
        except ValueError:
            pass  # a bad value is refused where it is set (the CLI); here the default stands
    return machine_memory() // 2


def share_of_machine(processes: int) -> int:
    """The budget of each of ``processes`` cooking processes sharing this machine (three quarters of it, split)."""
    return machine_memory() * 3 // 4 // max(1, processes)


def check_budget(width: int, height: int, source_id: str, *, float_source: bool, layers: int = 1) -> None:
    """Refuse a texture whose estimated peak exceeds the budget.

    Raises:
        TextureImportError: ``texture-image-too-large``, naming the estimate and the limit.
    """
    per_pixel = FLOAT_BYTES_PER_PIXEL if float_source else LDR_BYTES_PER_PIXEL
    estimate = width * height * layers * per_pixel
    budget = memory_budget()
    if estimate > budget:
        raise TextureImportError(
            TextureImportErrorCode.IMAGE_TOO_LARGE,
            source_id,
            f"{width}x{height} would need about {estimate / 2**30:.1f} GiB to cook, over this worker's memory budget of "
            f"{budget / 2**30:.1f} GiB (OXCOOK_MEMORY_BUDGET); refused before decoding",
        )
