"""Encoding in bands of rows, and one texture split into parts by rows.

Every level of a texture is encoded in bands of :data:`BAND_ROWS` rows — the
grid fixes the bytes (the BC7 profile is chosen per band), whatever order or
process a band is encoded in. Complete bands of a level are held and encoded
together, up to :data:`BATCH_PIXELS` (a 2048² level at once), so a block that
repeats across bands is encoded once, as in a whole-level encode; the bytes
are still each band's own. :class:`LevelEncoder` takes rows as they are
made and hands out encoded bands; :class:`Placed` writes them straight into
the payload, :class:`Bands` keeps them (the reference path, and a part).
:func:`split_bands` says which rows of which bands each part of a split texture
encodes (level 0 is cut at block rows) and
:func:`join_texture_parts` places the parts' bytes: the unsplit payload.
"""

from __future__ import annotations

import dataclasses
import time
from typing import NamedTuple, Sequence

import numpy as np

from oxcook.formats import FORMAT_INFO, Format, LayoutError, PayloadFlags, PayloadLayout, PayloadWriter, TextureType, compute_layout

from ._bcn import ENCODABLE, EncoderError, SharedBlocks, encode_shared, finds_repeats
from ._bcn_decode import DecoderError
from ._color import float_to_unorm16, srgb_to_linear
from ._types import CookedTexture, CookPlan
from ._desc import BC7_FORMATS, Bc7Quality, ColorSpace, MipPolicy, TextureImportDesc
from .._errors import CancelCheck, TextureImportError, TextureImportErrorCode, check_cancelled
from ._mips import level_sizes, preserve_alpha_coverage, renormalize_normals
from ._quality import QualityMeter, QualitySums
from ._rows import BAND_ROWS, BATCH_PIXELS, FLOAT_CHANNELS, HALF_MAX, UNCOMPRESSED_8BIT, checks_normals, rgba8, to_rgba


class LevelEncoder:
    """Encodes the levels of one layer band by band, as rows arrive (the sink of a :class:`MipStream`).

    Rows are turned into the output format's samples at once and kept only
    until their band is complete; a band is then encoded and handed to
    ``emit(mip, band, data)``. Bands missing from ``shares`` are skipped (another
    part of a split texture encodes them); a band shared with another part is
    made whole and only its ``shares`` rows encoded, with the encoder profile
    of the whole band.
    """

    def __init__(
        self,
        desc: TextureImportDesc,
        plan: CookPlan,
        base_u8: np.ndarray | None,
        emit,
        shares: dict[tuple[int, int], tuple[int, int]] | None = None,
        cancel: CancelCheck | None = None,
        meter: QualityMeter | None = None,
    ) -> None:
        self._desc = desc
        self._meter = meter  # sees every encoded band beside the samples it was encoded from (quality figures)
        self.quality_ms = 0.0  # of encode_ms, the time the meter took
        self._cancel = cancel
        self._plan = plan
        self._base_u8 = base_u8
        self._emit = emit
        self._shares = shares  # (mip, band) -> the rows of it this part encodes; None: every row of every band
        self._sizes = level_sizes(plan.width, plan.height, plan.mip_levels)
        self._pending: list[list[np.ndarray]] = [[] for _ in self._sizes]
        self.counts_coverage = desc.preserve_alpha_coverage and plan.mip_levels > 1  # reads level 0's float alpha
        self._held: list[list[np.ndarray]] = [[] for _ in self._sizes]
        # complete bands of each level not yet encoded: held up to BATCH_PIXELS when the encoder looks for repeats
        self._batch: list[list[tuple[int, np.ndarray, tuple[int, int]]]] = [[] for _ in self._sizes]  # (band, samples, rows of it to encode)
        self.level0_from_source = base_u8 is not None and _writes_rgba8(plan.output_format)  # level 0 is the source's own samples
        self._batching = plan.output_format in ENCODABLE and finds_repeats(plan.output_format, desc.bc7_quality)
        self._passing = 0  # level-0 texels that pass the alpha test
        self.encode_ms = 0.0

    def add(self, mip: int, first: int, rows: np.ndarray) -> None:
        """Rows ``first``.. of level ``mip`` (post-processing of levels 1.. applied here, on copies)."""
        if self.counts_coverage:
            if mip == 0:
                self._passing += int(np.count_nonzero(rows[..., 3] >= self._desc.alpha_cutoff))
            else:
                self._held[mip].append(rows)
                if first + len(rows) < self._sizes[mip][1]:
                    return
                rows, first = np.concatenate(self._held[mip]), 0
                self._held[mip] = []
                target = self._passing / (self._plan.width * self._plan.height)
                preserve_alpha_coverage(rows, target, self._desc.alpha_cutoff)
        if mip and checks_normals(self._desc):
            rows = rows.copy() if not self.counts_coverage else rows
            renormalize_normals(rows)
        self.encode_rows(mip, first, rows)

    def encode_rows(self, mip: int, first: int, rows: np.ndarray) -> None:
        """Rows of level ``mip`` as they are: encode each band once all its rows are in."""
        start = time.perf_counter()
        height = self._sizes[mip][1]
        at, end = first, first + len(rows)
        while at < end:
            band = at // BAND_ROWS
            band_end = min((band + 1) * BAND_ROWS, height)
            stop = min(end, band_end)
            rows_owned = (0, band_end - band * BAND_ROWS) if self._shares is None else self._shares.get((mip, band))
            if rows_owned is not None:
                from_base = mip == 0 and self.level0_from_source
                if not from_base:
                    self._pending[mip].append(self._samples(rows[at - first : stop - first]))
                if stop == band_end:
                    if from_base:  # the whole band from the source in one copy (none for RGBA)
                        samples = to_rgba(self._base_u8[band * BAND_ROWS : band_end])
                    else:
                        pending, self._pending[mip] = self._pending[mip], []
                        samples = pending[0] if len(pending) == 1 else np.concatenate(pending)
                    self._batch[mip].append((band, samples, rows_owned))
                    if band_end == height or not self._batching or len(self._batch[mip]) * BAND_ROWS * self._sizes[mip][0] >= BATCH_PIXELS:
                        self._encode_batch(mip)
            at = stop
        self.encode_ms += (time.perf_counter() - start) * 1000.0

    def flush(self) -> None:
        """Encode the bands still held (a part's last owned band may not end its level)."""
        start = time.perf_counter()
        for mip in range(len(self._sizes)):
            self._encode_batch(mip)
        self.encode_ms += (time.perf_counter() - start) * 1000.0

    def _encode_batch(self, mip: int) -> None:
        """The complete bands held for level ``mip``, encoded together (their repeats found once) and emitted."""
        batch, self._batch[mip] = self._batch[mip], []
        if not batch:
            return
        check_cancelled(self._cancel, self._plan.source_id, f"encoding mip {mip} bands {batch[0][0]}..{batch[-1][0]}")
        encoded, shared = self._encode([samples for _, samples, _ in batch], [rows for _, _, rows in batch])
        if self._meter is not None:
            start = time.perf_counter()
            try:
                measured: set[int] = set()
                for group in shared:  # each distinct block once
                    self._meter.add_shared(mip, group, {i: batch[i][1][batch[i][2][0] : batch[i][2][1]] for i in group.blocks})
                    measured.update(group.blocks)
                for i, ((_, samples, (first, end)), data) in enumerate(zip(batch, encoded)):
                    if i not in measured:
                        self._meter.add(mip, samples[first:end], data)
            except DecoderError as exc:
                raise TextureImportError(TextureImportErrorCode.COMPRESSION_FAILED, self._plan.source_id, f"its blocks do not decode: {exc}") from exc
            self.quality_ms += (time.perf_counter() - start) * 1000.0
        for (band, _, _), data in zip(batch, encoded):
            self._emit(mip, band, data)

    def _samples(self, rows: np.ndarray) -> np.ndarray:
        """Rows in the form the output format is written from."""
        out, plan = self._plan.output_format, self._plan
        if _writes_rgba8(out):
            return rgba8(rows, plan)
        if out == Format.BC6H_UF16:
            return np.clip(rows, 0.0, HALF_MAX).astype(np.float16)
        if out == Format.R16_UNORM:
            return float_to_unorm16(rows[..., 0], srgb=plan.linear_work and plan.encode_srgb)
        if out in FLOAT_CHANNELS:
            dtype, channels = FLOAT_CHANNELS[out]
            values = rows[..., :channels]
            if self._desc.source_color_space == ColorSpace.SRGB and not plan.linear_work and not plan.bake_hdr:
                values = np.concatenate([srgb_to_linear(rows[..., :3]), rows[..., 3:]], axis=2)[..., :channels]
            if dtype == np.float16:
                values = np.clip(values, -HALF_MAX, HALF_MAX)
            return np.ascontiguousarray(values, dtype=dtype)
        raise TextureImportError(TextureImportErrorCode.OUTPUT_FORMAT_INVALID, plan.source_id, f"oxcook cannot produce {out.name}")

    def _encode(self, bands: list[np.ndarray], rows: list[tuple[int, int]]) -> tuple[list[bytes], list[SharedBlocks]]:
        """The bytes of rows ``first``..``end`` of each band, and the blocks the encoder shared among them."""
        out = self._plan.output_format
        if out in ENCODABLE:
            try:
                return encode_shared(out, bands, self._desc.bc7_quality, rows=rows)
            except EncoderError as exc:
                raise TextureImportError(TextureImportErrorCode.COMPRESSION_FAILED, self._plan.source_id, str(exc)) from exc
        bands = [samples[first:end] for samples, (first, end) in zip(bands, rows)]
        if out in UNCOMPRESSED_8BIT:
            return [np.ascontiguousarray(samples[..., : UNCOMPRESSED_8BIT[out]]).tobytes() for samples in bands], []
        return [samples.tobytes() for samples in bands], []


def _writes_rgba8(fmt: Format) -> bool:
    """Whether ``fmt`` is written from RGBA8 samples (BC1-BC5, BC7, 8-bit uncompressed)."""
    return fmt in BC7_FORMATS or (fmt in ENCODABLE and fmt != Format.BC6H_UF16) or fmt in UNCOMPRESSED_8BIT


class Bands:
    """Encoded bands of one layer, kept until they are joined (the reference path, and a part of a split texture)."""

    def __init__(self, levels: int) -> None:
        self.levels: list[dict[int, bytes]] = [{} for _ in range(levels)]

    def emit(self, mip: int, band: int, data: bytes) -> None:
        self.levels[mip][band] = data

    def subresources(self) -> list[bytes]:
        return [b"".join(level[k] for k in sorted(level)) for level in self.levels]

    def run(self) -> bytes:
        """Every band in (mip, band) order: a part's contiguous share of the tight subresource bytes."""
        return b"".join(level[k] for level in self.levels for k in sorted(level))


def band_span(layout: PayloadLayout, index: int, band: int, first: int = 0, end: int = BAND_ROWS) -> tuple[int, int]:
    """Where rows ``first``..``end`` of band ``band`` (the whole band by default; ``first`` a multiple of the
    block height) lie in subresource ``index``'s tightly packed bytes: ``(offset, size)``."""
    sub = layout.subresources[index]
    block = FORMAT_INFO[layout.format].block_size
    start = (band * BAND_ROWS + first) // block
    stop = min((band * BAND_ROWS + end + block - 1) // block, sub.rows)
    return start * sub.row_bytes, (stop - start) * sub.row_bytes


class Placed:
    """Encoded bands written straight into the payload of a whole cook, and dropped."""

    def __init__(self, writer: PayloadWriter, layer: int, levels: int) -> None:
        self._writer, self._base = writer, layer * levels

    def emit(self, mip: int, band: int, data: bytes) -> None:
        offset, _ = band_span(self._writer.layout, self._base + mip, band)
        self._writer.write(self._base + mip, offset, data)


# What making the chain costs per level-0 pixel, in pixels of encoding at each quality. Since level 1 is made straight
# from 8-bit bytes the chain of an 8192² photo costs ~12 ns a level-0 pixel (its rows, box and RGBA8
# levels) against BC7 fast / default / high encoding at ~27 / 364 / 1284 ns a pixel; the split parts of that photo
# were timed apart in-process: at default 0.07 left the first part 1.3 s longer than the last, 0.03 balances it to
# a band (the longer part 20.2 s, against 21.2 s at 0.07); at fast 0.35 takes the longer part 3.3 s, 0.6 took it 4.1 s; high is the ratio, not timed.
_CHAIN_WEIGHT = {Bc7Quality.FAST: 0.35, Bc7Quality.DEFAULT: 0.03, Bc7Quality.HIGH: 0.01}


def chain_weight(desc: TextureImportDesc) -> float:
    """What making the float chain costs per level-0 pixel, in pixels of encoding (to balance split parts)."""
    return _CHAIN_WEIGHT.get(desc.bc7_quality, 1.0)


# BC7 encoding on one core, in ns a pixel of every level (the note above); other formats encode in about the
# time their source takes to decode, so splitting them gains nothing. Every part decodes the whole source: ~5 ns
# a pixel for a 2048² JPEG (21 ms), ~22 for bench/split.py's noisy 8192² PNG (1.4-1.5 s); 12 is taken between.
_BC7_NS_PER_PIXEL = {Bc7Quality.FAST: 27.0, Bc7Quality.DEFAULT: 364.0, Bc7Quality.HIGH: 1284.0}
_DECODE_NS_PER_PIXEL = 12.0
_PART_OVER_DECODE = 4.0  # a part encodes at least this many times the decode it repeats ...
_MIN_PART_S = 0.05  # ... and at least this long (a part's dispatch and result cost milliseconds)


def cook_estimate_s(desc: TextureImportDesc, width: int, height: int) -> float:
    """What cooking a ``width`` x ``height`` texture under ``desc`` costs one core, roughly, in seconds (pure):
    its decode and, for BC7, its encode. What the farm groups small textures into one task by."""
    chain = 1.0 if desc.mip_policy == MipPolicy.NONE else 4 / 3
    encode_ns = _BC7_NS_PER_PIXEL.get(desc.bc7_quality, 0.0) if desc.output_format in BC7_FORMATS else 0.0
    return (encode_ns * chain + _DECODE_NS_PER_PIXEL) * 1e-9 * width * height


def split_worth(desc: TextureImportDesc, width: int, height: int) -> int:
    """How many parts a ``width`` x ``height`` texture's encode is worth on processes that would otherwise idle
    (pure; 1: not worth splitting): each part's encode stays several times the decode it repeats, and not tiny."""
    if desc.output_format not in BC7_FORMATS:
        return 1
    chain = 1.0 if desc.mip_policy == MipPolicy.NONE else 4 / 3  # a mip chain adds at most a third
    encode_s = _BC7_NS_PER_PIXEL.get(desc.bc7_quality, 0.0) * 1e-9 * width * height * chain
    decode_s = _DECODE_NS_PER_PIXEL * 1e-9 * width * height
    return max(1, int(min(encode_s / (_PART_OVER_DECODE * decode_s), encode_s / _MIN_PART_S)))


class Share(NamedTuple):
    """Rows ``first``..``end`` of band ``band`` of level ``mip``: what one part of a split texture encodes of it."""

    mip: int
    band: int
    first: int
    end: int


def split_bands(width: int, height: int, mip_levels: int, parts: int, *, chain_weight: float = 0.0) -> list[list[Share]]:
    """The rows of bands each of ``parts`` encodes, in (mip, band) order (pure).

    Band ``k`` of a level is its rows ``k * BAND_ROWS`` up to the next multiple.
    Only the last part makes the mip chain (the small levels need all of level
    0), so it owns levels 1.. and, at a cost of ``chain_weight`` encoded pixels
    per level-0 pixel for the chain, less of level 0; the other parts decode
    and encode level-0 rows only. Level 0 is cut where the parts' costs, laid
    end to end, say, rounded to a block row (4): a band may be shared by two
    parts, each encoding its rows of it.
    """
    sizes = level_sizes(width, height, mip_levels)
    tail = sum(w * h for w, h in sizes[1:]) + (chain_weight * width * height if mip_levels > 1 else 0.0)
    share = (width * height + tail) / parts
    cuts = [0] + [min(height, 4 * round(k * share / width / 4)) for k in range(1, parts)] + [height]
    owners = [_level_shares(0, lo, hi) for lo, hi in zip(cuts, cuts[1:])]
    owners[-1].extend(s for mip, (_, h) in enumerate(sizes) if mip for s in _level_shares(mip, 0, h))
    return owners


def _level_shares(mip: int, lo: int, hi: int) -> list[Share]:
    """Rows ``lo``..``hi`` of a level, band by band (none when ``lo == hi``)."""
    bands = range(lo // BAND_ROWS, (hi + BAND_ROWS - 1) // BAND_ROWS) if lo < hi else ()
    return [Share(mip, band, max(lo - band * BAND_ROWS, 0), min(hi, (band + 1) * BAND_ROWS) - band * BAND_ROWS) for band in bands]


def join_texture_parts(parts: Sequence[CookedTexture], desc: TextureImportDesc) -> CookedTexture:
    """The texture that ``parts`` (of ``desc``, cooked with ``part=(k, len(parts))``, in order) make together: the unsplit payload, byte for byte.

    Raises:
        ValueError: the parts disagree on the texture, or a part holds the wrong number of bytes.
    """
    first = parts[0]
    shape = (first.texture_type, first.width, first.height, first.array_layers, first.mip_levels, first.format, first.flags)
    for k, part in enumerate(parts):
        if (part.texture_type, part.width, part.height, part.array_layers, part.mip_levels, part.format, part.flags) != shape:
            raise ValueError(f"part {k} is a different texture from part 0")
    try:
        layout = compute_layout(TextureType(first.texture_type), Format(first.format), first.width, first.height, mip_levels=first.mip_levels)
        writer = PayloadWriter(layout, flags=PayloadFlags(first.flags))
        owners = split_bands(first.width, first.height, first.mip_levels, len(parts), chain_weight=chain_weight(desc))
        for k, (part, bands) in enumerate(zip(parts, owners)):
            at = 0
            for share in bands:
                offset, size = band_span(layout, share.mip, share.band, share.first, share.end)
                writer.write(share.mip, offset, part.payload[at : at + size])
                at += size
            if at != len(part.payload):
                raise ValueError(f"part {k} holds {len(part.payload)} bytes, its bands {at}")
    except (ValueError, LayoutError) as exc:
        raise ValueError(str(exc)) from None
    payload, digest = writer.finish()
    measured = [part.quality for part in parts if part.quality is not None]
    if measured and len(measured) != len(parts):
        raise ValueError("some parts carry quality sums and some do not")
    quality = QualitySums.combine(measured) if measured else None
    return dataclasses.replace(first, payload=payload, content_hash=digest, timings_ms={}, quality=quality)

