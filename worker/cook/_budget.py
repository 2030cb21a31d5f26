"""The memory budget of one cooking process: a texture whose cook would exceed it is refused by name, before decoding.

A cook streams its rows (``worker.cook._stages``): what it holds is the source
file's bytes, the decoded source, the output payload, a few bands of float rows
and the bands encoded together (up to ``BATCH_PIXELS``), so the peak follows
from the image header (dimensions, channels, sample size), the file's size and
the output format before a byte is decoded. :class:`CookCost` is that estimate,
the sum of:

* the file's bytes, held for the whole cook;
* the decoded source twice: the decoders hand back one more array than they
  keep (libpng, Pillow, OpenEXR; a bottom-up Radiance file's flip);
* the payload three times: a whole cook's ``PayloadWriter`` buffer and the
  bytes it becomes, then the result on its way out — the payload, the msgpack
  encoder's buffer and the message it becomes (``worker.wire._messages.encode``), and a
  pool process's pickled copy of that message after the payload is dropped.
  A part of a split texture holds its bands and their join: less than the whole;
* float work rows, the bands encoded together, and levels kept whole for
  alpha coverage.

Measured with ``bench/memory.py`` (peak RSS of a pool process's run of one
work item, minus the process before it) the estimate stays above the real
peak for every input kind there; a test checks the same at 2048².

The budget comes from ``OXCOOK_MEMORY_BUDGET`` (bytes, or with a K/M/G/T
suffix), which the local pool and ``oxcook worker`` set to their share of the
machine; unset, it is half of this machine's memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from oxcook.formats import FORMAT_INFO, Format

from .._errors import TextureImportError, TextureImportErrorCode
from ._desc import HdrHandling, MipPolicy, TextureImportDesc
from ._rows import BAND_ROWS, BATCH_PIXELS, CHUNK_ROWS

_DECODER_COPIES = 2  # the decoded array and the decoder's own buffer (or a conversion) at the moment of handing over
_PAYLOAD_COPIES = 3  # the payload, the wire encoder's buffer and the message it becomes (the largest of the module docstring's moments)
_CHAIN = 4 / 3  # a full mip chain's texels per level-0 texel
_WORK_ROWS = CHUNK_ROWS * 16 * 8  # per column: a chunk of float RGBA rows and its transients
_ENCODER_BYTES = 4 * 2  # per pixel of the bands encoded together: their encoder samples and its block rows
_HELD_LEVELS = 16 / 3  # float RGBA levels 1.. kept whole when alpha coverage is preserved
_PAYLOAD_TABLES = 64 * 1024  # the payload's header and subresource table, with room to spare
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


def _human(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


@dataclass(frozen=True)
class CookCost:
    """What a cook's peak memory depends on besides the image header (from the work item's descriptor)."""

    output_bytes_per_texel: float = 16.0  # of the output format (BC7: 1; RGBA8: 4; RGBA32F: 16)
    float_output_bytes_per_texel: float = 16.0  # the same for a float source (kept as float: RGBA32F)
    holds_levels: bool = False  # alpha coverage is preserved: levels 1.. are kept whole before encoding
    layers: int = 1

    def payload_bytes(self, width: int, height: int, *, float_source: bool = False) -> int:
        """At least the size of the payload of a ``width`` × ``height`` texture (every layer, a full chain)."""
        output = self.float_output_bytes_per_texel if float_source else self.output_bytes_per_texel
        return int(width * height * output * _CHAIN * self.layers) + _PAYLOAD_TABLES

    def estimate(self, width: int, height: int, source_bytes_per_pixel: float, *, float_source: bool = False, file_bytes: int = 0) -> int:
        """Bytes at the peak of cooking a ``width`` × ``height`` source with that many decoded bytes per pixel,
        read from a file of ``file_bytes`` (each layer's: layers are decoded one at a time)."""
        pixels = width * height
        per_pixel = source_bytes_per_pixel * _DECODER_COPIES + (_HELD_LEVELS if self.holds_levels else 0.0)
        encoded_together = min(pixels, max(width * BAND_ROWS, BATCH_PIXELS))  # worker.cook._bands.LevelEncoder's batch
        payload = self.payload_bytes(width, height, float_source=float_source) * _PAYLOAD_COPIES
        return int(file_bytes * self.layers + pixels * per_pixel + payload + width * _WORK_ROWS + encoded_together * _ENCODER_BYTES)


def cook_cost(desc: TextureImportDesc) -> CookCost:
    """What the memory estimate of cooking ``desc`` needs besides the header (a float source kept as float becomes RGBA32F: counted)."""
    info = FORMAT_INFO[Format(desc.output_format)]
    per_texel = info.bytes_per_block / (info.block_size * info.block_size)
    float_texel = 16.0 if desc.hdr_handling == HdrHandling.KEEP_FLOAT else per_texel
    holds = desc.preserve_alpha_coverage and desc.mip_policy != MipPolicy.NONE
    return CookCost(per_texel, max(per_texel, float_texel), holds, max(1, desc.array_layers))


def check_budget(
    width: int, height: int, source_id: str, *, source_bytes_per_pixel: float, cost: CookCost, float_source: bool = False, file_bytes: int = 0
) -> None:
    """Refuse a texture whose estimated peak exceeds the budget.

    Raises:
        TextureImportError: ``texture-image-too-large``, naming the estimate and the limit.
    """
    estimate = cost.estimate(width, height, source_bytes_per_pixel, float_source=float_source, file_bytes=file_bytes)
    budget = memory_budget()
    if estimate > budget:
        raise TextureImportError(
            TextureImportErrorCode.IMAGE_TOO_LARGE,
            source_id,
            f"{width}x{height} would need about {_human(estimate)} to cook, over this worker's memory budget of "
            f"{_human(budget)} (OXCOOK_MEMORY_BUDGET); refused before decoding",
        )
