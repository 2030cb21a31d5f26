"""Texture cooking: pure stages from source bytes to an OTX1 payload (spec §5).

::

    decode_source -> convert_to_working_format -> apply_content_processing
        -> generate_mips -> convert_to_output_format -> pack_subresources

Each stage is usable alone on whole images (the reference path, kept for tests
and benchmarks). :func:`cook_texture` and :func:`cook_texture_layers` (2D arrays
and cube maps, one image per layer, layer-major) run the same stages in bands of
:data:`BAND_ROWS` rows: after one survey of the decoded source (the facts a
whole-image stage would find: non-finite samples, normals off unit length,
translucency), level-0 rows are made working rows band by band and stream
through :class:`~worker._mips.MipStream`; every level is encoded band by band
into its place. Memory is the decoded source, the output and a few bands, not
a float32 copy of the image and its chain, and the bytes are those of the
whole-image stages: the per-row arithmetic is the same and every level is
encoded in the same band grid. The grid is also the unit of splitting one
texture across processes (:func:`split_bands`): a part encodes only its bands
(only the last one makes the mip chain), and its bytes are its bands' run of
the texture's tightly packed subresources; :func:`join_texture_parts` places
them. A ``cancel`` callable is polled between stages (and between band
encodes) so a cancelled job stops at the next boundary. No file I/O and no
knowledge of containers: the payload layout and hashes come from ``formats``.

Deliberate differences from the engine's cooker, each a fix:

* sRGB sources are filtered in linear light and re-encoded (the engine filters
  gamma-encoded values, §5.5); ``mip_filter_space = SRGB`` reproduces the engine.
* 16-bit sources keep 16 bits into the working format (the engine drops to 8).
* odd sizes are filtered over their whole extent; NPOT edges are padded by
  replication before block encoding.
* alpha-test textures can keep their alpha coverage in every mip.
* the fallback for a failed texture is the caller's business (index 0).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from formats import (
    FORMAT_INFO,
    Format,
    LayoutError,
    PayloadFlags,
    PayloadLayout,
    PayloadWriter,
    TextureType,
    compression_type_for,
    compute_layout,
    full_mip_count,
    pack_payload,
)

from ._bcn import ENCODABLE, EncoderError, encode_blocks
from ._budget import CookCost
from ._color import float_to_unorm8, float_to_unorm16, samples_to_float, srgb_to_linear
from ._desc import (
    BC7_FORMATS,
    FLOAT_FORMATS,
    Bc7Quality,
    ColorSpace,
    HdrHandling,
    MipPolicy,
    TextureImportDesc,
    TextureIntent,
    validate_pre_decode,
)
from ._diagnostics import ImportDiagnostic, ImportSeverity
from ._errors import TextureCancelled, TextureImportError, TextureImportErrorCode
from ._imaging import DecodedImage, decode_image
from ._mips import MipStream, alpha_coverage, level_sizes, mip_chain, normal_deviation, preserve_alpha_coverage, renormalize_normals

CancelCheck = Callable[[], bool]
_HALF_MAX = 65504.0
_HALF_FORMATS = frozenset({Format.RGBA16_FLOAT, Format.RG16_FLOAT, Format.R16_FLOAT, Format.BC6H_UF16, Format.BC6H_SF16})
_UNIT_TOLERANCE = 0.01  # |length - 1| an 8-bit normal map may show and still count as unit length
_UNCOMPRESSED_8BIT = {
    Format.RGBA8_UNORM: 4,
    Format.RGBA8_UNORM_SRGB: 4,
    Format.RG8_UNORM: 2,
    Format.R8_UNORM: 1,
}
_FLOAT_CHANNELS = {
    Format.RGBA32_FLOAT: (np.float32, 4),
    Format.RGBA16_FLOAT: (np.float16, 4),
    Format.RG32_FLOAT: (np.float32, 2),
    Format.RG16_FLOAT: (np.float16, 2),
    Format.R32_FLOAT: (np.float32, 1),
    Format.R16_FLOAT: (np.float16, 1),
}
BAND_ROWS = 256  # rows per encoded band (64 block rows): the unit of encoding and of splitting (it decides bytes)
CHUNK_ROWS = 64  # level-0 rows made into working rows at a time (memory only: any chunking gives the same bytes)


@dataclass(frozen=True)
class CookPlan:
    """Every decision of a cook, made once after decoding (pure data)."""

    source_id: str
    output_format: Format
    width: int
    height: int
    mip_levels: int
    linear_work: bool  # colour decoded from sRGB to linear for filtering
    encode_srgb: bool  # output colour samples are sRGB-encoded
    bake_hdr: bool
    premultiply: bool
    flags: PayloadFlags


@dataclass
class WorkingImage:
    """One layer in the working format: ``(h, w, 4)`` float32, plus the untouched
    8-bit source samples (any channel count) for mip 0 while no processing has changed them."""

    pixels: np.ndarray
    base_u8: np.ndarray | None = None
    diagnostics: list[ImportDiagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class CookedTexture:
    """A cooked payload and the table-row fields that describe it."""

    source_id: str
    payload: bytes
    texture_type: int
    width: int
    height: int
    depth: int
    array_layers: int
    mip_levels: int
    format: int
    content_hash: int
    flags: int = 0
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    timings_ms: dict = field(default_factory=dict, compare=False)

    @property
    def size_bytes(self) -> int:
        return len(self.payload)

    @property
    def compression_type(self) -> int:
        return compression_type_for(self.format)

    def row_fields(self) -> dict:
        """``TextureResourceDesc`` fields except ``data_offset`` (the emitter places it)."""
        return dict(
            size_bytes=self.size_bytes,
            texture_type=self.texture_type,
            compression_type=self.compression_type,
            width=self.width,
            height=self.height,
            depth=self.depth,
            array_layers=self.array_layers,
            mip_levels=self.mip_levels,
            format=self.format,
            content_hash=self.content_hash,
        )


def _sid(desc: TextureImportDesc, source_id: str | None) -> str:
    return source_id or desc.source_id or "<texture>"


def _checkpoint(cancel: CancelCheck | None, source_id: str, stage: str) -> None:
    if cancel is not None and cancel():
        raise TextureCancelled(source_id, f"cancelled before {stage}")


def decode_source(source: bytes, desc: TextureImportDesc, source_id: str | None = None) -> DecodedImage:
    """Stage 1: validate the descriptor, sniff and decode, apply ``flip_y_on_decode``.

    Raises:
        TextureImportError: bad descriptor, undecodable or oversized input, or
            dimensions that differ from an explicit ``width``/``height``.
    """
    sid = _sid(desc, source_id)
    validate_pre_decode(dataclasses.replace(desc, source_id=sid))
    decoded = decode_image(source, sid, max_dimension=desc.max_dimension, cost=cook_cost(desc))
    if desc.width and (decoded.width, decoded.height) != (desc.width, desc.height):
        raise TextureImportError(
            TextureImportErrorCode.DIMENSION_MISMATCH, sid, f"image is {decoded.width}x{decoded.height}, expected {desc.width}x{desc.height}"
        )
    if desc.flip_y_on_decode:
        decoded = DecodedImage(np.ascontiguousarray(decoded.pixels[::-1]), decoded.source_format)
    return decoded


def cook_cost(desc: TextureImportDesc) -> CookCost:
    """What the memory estimate of cooking ``desc`` needs besides the header (a float source kept as float becomes RGBA32F: counted)."""
    info = FORMAT_INFO[Format(desc.output_format)]
    per_texel = info.bytes_per_block / (info.block_size * info.block_size)
    float_texel = 16.0 if desc.hdr_handling == HdrHandling.KEEP_FLOAT else per_texel
    holds = desc.preserve_alpha_coverage and desc.mip_policy != MipPolicy.NONE
    return CookCost(per_texel, max(per_texel, float_texel), holds, max(1, desc.array_layers))


def plan_cook(desc: TextureImportDesc, decoded: DecodedImage, source_id: str | None = None) -> CookPlan:
    """The decisions of a cook from the descriptor and what was decoded (pure).

    Raises:
        TextureImportError: a float source for an LDR output with ``hdr_handling = ERROR``.
    """
    sid = _sid(desc, source_id)
    out = Format(desc.output_format)
    bake = False
    if decoded.is_float and out not in FLOAT_FORMATS:
        if desc.hdr_handling == HdrHandling.KEEP_FLOAT and not desc.bake_hdr_to_ldr:
            out = Format.RGBA32_FLOAT
        elif desc.hdr_handling == HdrHandling.TONEMAP_AUTO or desc.bake_hdr_to_ldr:
            bake = True
        else:
            raise TextureImportError(
                TextureImportErrorCode.HDR_REQUIRES_FLOAT_FORMAT, sid, f"HDR source needs a float output format, not {out.name}"
            )
    srgb_source = desc.source_color_space == ColorSpace.SRGB and not decoded.is_float
    full = full_mip_count(decoded.width, decoded.height)
    levels = {MipPolicy.NONE: 1, MipPolicy.FULL_CHAIN: full}.get(desc.mip_policy, min(desc.max_mip_levels, full))
    premultiply = desc.premultiply_alpha
    return CookPlan(
        source_id=sid,
        output_format=out,
        width=decoded.width,
        height=decoded.height,
        mip_levels=levels,
        linear_work=srgb_source and desc.mip_filter_space == ColorSpace.LINEAR,
        encode_srgb=srgb_source and out not in FLOAT_FORMATS,
        bake_hdr=bake,
        premultiply=premultiply,
        flags=PayloadFlags.PREMULTIPLIED_ALPHA if premultiply else PayloadFlags.NONE,
    )


def _to_rgba(samples: np.ndarray) -> np.ndarray:
    """Any channel count as RGBA in the source's dtype (grey replicated, opaque alpha added)."""
    c = samples.shape[2]
    if c == 4:
        return samples
    opaque = np.array(1.0 if samples.dtype.kind == "f" else np.iinfo(samples.dtype).max, dtype=samples.dtype)
    if c == 1:
        rgb = np.repeat(samples, 3, axis=2)
        alpha = np.broadcast_to(opaque, samples.shape)
    elif c == 2:
        rgb = np.repeat(samples[..., :1], 3, axis=2)
        alpha = samples[..., 1:2]
    elif c == 3:
        rgb, alpha = samples, np.broadcast_to(opaque, samples.shape[:2] + (1,))
    else:
        return np.ascontiguousarray(samples[..., :4])
    return np.concatenate([rgb, alpha], axis=2)


@dataclass(frozen=True)
class SourceFacts:
    """What one pass over a decoded layer finds, before any row is cooked (pure data)."""

    nonfinite: int = 0  # NaN/Inf float samples (clamped)
    beyond_half: int = 0  # float samples outside the 16-bit float range, for a half output (clamped)
    renormalize: bool = False  # level 0's normals are off unit length, so they are renormalised
    changed: bool = False  # content processing changes level 0 (its source bytes are not mip 0)

    def diagnostics(self, source_id: str) -> list[ImportDiagnostic]:
        found = []
        if self.nonfinite:
            found.append(ImportDiagnostic(ImportSeverity.WARNING, "texture-nonfinite-clamped", f"{source_id}: {self.nonfinite} NaN/Inf samples clamped", source_id))
        if self.beyond_half:
            message = f"{source_id}: {self.beyond_half} samples beyond ±{_HALF_MAX:.0f} (the 16-bit float range) clamped to it"
            found.append(ImportDiagnostic(ImportSeverity.WARNING, "texture-hdr-clamped", message, source_id))
        return found


def _float_rows(samples: np.ndarray, plan: CookPlan) -> tuple[np.ndarray, int, int]:
    """Float source rows as RGBA float32 with non-finite and (for half outputs) out-of-range samples clamped, and both counts."""
    work = _to_rgba(samples).astype(np.float32, copy=True)
    bad = int(np.count_nonzero(~np.isfinite(work)))
    if bad:
        np.nan_to_num(work, copy=False, nan=0.0, posinf=_HALF_MAX, neginf=-_HALF_MAX)
    beyond = 0
    if plan.output_format in _HALF_FORMATS:
        beyond = int(np.count_nonzero(np.abs(work) > _HALF_MAX))
        if beyond:
            np.clip(work, -_HALF_MAX, _HALF_MAX, out=work)
    return work, bad, beyond


def _working_rows(samples: np.ndarray, plan: CookPlan) -> np.ndarray:
    """Stage 3 for some rows: RGBA float32, colour in linear light when ``plan.linear_work``."""
    if samples.dtype.kind == "f":
        return _float_rows(samples, plan)[0]
    channels = samples.shape[2]
    work = np.empty(samples.shape[:2] + (4,), np.float32)
    if channels <= 2:  # grey (+ alpha): one conversion, replicated
        work[..., :3] = samples_to_float(samples[..., 0], srgb=plan.linear_work)[..., None]
    else:
        work[..., :3] = samples_to_float(samples[..., :3], srgb=plan.linear_work)
    if channels in (2, 4):
        work[..., 3] = samples_to_float(samples[..., -1], srgb=False)
    else:
        work[..., 3] = 1.0
    return work


def _prepare_rows(px: np.ndarray, desc: TextureImportDesc, plan: CookPlan) -> None:
    """Stage 4 up to the normals' length check, in place: HDR bake, normal-map green flip."""
    if plan.bake_hdr:
        rgb = np.maximum(px[..., :3] * np.float32(2.0**desc.exposure_ev), 0.0)
        px[..., :3] = np.clip(rgb * (2.51 * rgb + 0.03) / (rgb * (2.43 * rgb + 0.59) + 0.14), 0.0, 1.0)
        np.clip(px[..., 3], 0.0, 1.0, out=px[..., 3])
    if desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green:
        px[..., 1] = 1.0 - px[..., 1]


def _finish_rows(px: np.ndarray, plan: CookPlan, renormalize: bool) -> None:
    """The rest of stage 4, in place: normals renormalised (when the survey said so), premultiplied alpha."""
    if renormalize:
        renormalize_normals(px)
    if plan.premultiply:
        px[..., :3] *= px[..., 3:4]


def _checks_normals(desc: TextureImportDesc) -> bool:
    # the engine renormalises mips 1..N only; authored maps are not always unit length
    return desc.intent == TextureIntent.NORMAL_TS and desc.renormalize_normals_in_mips


def survey(decoded: DecodedImage, desc: TextureImportDesc, plan: CookPlan) -> SourceFacts:
    """One banded pass over a decoded layer: the facts the whole-image stages 3 and 4 would find (pure)."""
    samples = decoded.pixels
    nonfinite = beyond = 0
    deviation = 0.0
    translucent = False
    for a in range(0, plan.height, CHUNK_ROWS):
        rows = samples[a : a + CHUNK_ROWS]
        if decoded.is_float:
            _, bad, out = _float_rows(rows, plan)
            nonfinite, beyond = nonfinite + bad, beyond + out
        if _checks_normals(desc):
            px = _working_rows(rows, plan)
            _prepare_rows(px, desc, plan)
            deviation = max(deviation, normal_deviation(px))
        if plan.premultiply and not translucent and samples.dtype == np.uint8 and samples.shape[2] in (2, 4):
            translucent = bool((samples_to_float(rows[..., -1], srgb=False) < 1.0).any())  # only an 8-bit source's bytes can be mip 0
    renormalize = _checks_normals(desc) and deviation > 2 * _UNIT_TOLERANCE
    flips = desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green
    changed = plan.bake_hdr or flips or renormalize or (plan.premultiply and translucent)
    return SourceFacts(nonfinite, beyond, renormalize, changed)


def convert_to_working_format(decoded: DecodedImage, plan: CookPlan) -> WorkingImage:
    """Stage 3: RGBA float32, colour in linear light when ``plan.linear_work``.

    Non-finite float samples are clamped (NaN -> 0, ±Inf -> ±65504) with a warning.
    """
    if decoded.is_float:
        work, bad, beyond = _float_rows(decoded.pixels, plan)
        return WorkingImage(work, None, SourceFacts(bad, beyond).diagnostics(plan.source_id))
    base_u8 = decoded.pixels if decoded.pixels.dtype == np.uint8 else None
    return WorkingImage(_working_rows(decoded.pixels, plan), base_u8, [])


def apply_content_processing(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> WorkingImage:
    """Stage 4: HDR bake, normal-map green flip and normalisation, premultiplied alpha."""
    px = work.pixels
    _prepare_rows(px, desc, plan)
    renormalize = _checks_normals(desc) and normal_deviation(px) > 2 * _UNIT_TOLERANCE
    changed = plan.bake_hdr or (desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green) or renormalize
    _finish_rows(px, plan, renormalize)
    changed = changed or (plan.premultiply and bool((px[..., 3] < 1.0).any()))
    return WorkingImage(px, None if changed else work.base_u8, work.diagnostics)


def generate_mips(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> list[np.ndarray]:
    """Stage 5: the mip chain, with alpha coverage kept and normals renormalised on request."""
    chain = mip_chain(work.pixels, plan.mip_levels, desc.mip_filter, clamp=_mip_clamp(plan))
    if desc.preserve_alpha_coverage and plan.mip_levels > 1:
        target = alpha_coverage(chain[0][..., 3], desc.alpha_cutoff)
        for level in chain[1:]:
            preserve_alpha_coverage(level, target, desc.alpha_cutoff)
    if _checks_normals(desc):
        for level in chain[1:]:
            renormalize_normals(level)
    return chain


def _mip_clamp(plan: CookPlan) -> tuple[float, float] | None:
    return None if plan.output_format in FLOAT_FORMATS else (0.0, 1.0)


def encoder_input(level: np.ndarray, mip: int, work: WorkingImage, plan: CookPlan) -> np.ndarray:
    """The RGBA8 pixels of one level as the block encoder receives them (the source's own bytes at mip 0 when exact)."""
    if mip == 0 and work.base_u8 is not None:
        return _to_rgba(work.base_u8)
    return _rgba8(level, plan)


def _rgba8(rows: np.ndarray, plan: CookPlan) -> np.ndarray:
    colour = float_to_unorm8(rows[..., :3], srgb=plan.linear_work and plan.encode_srgb)
    alpha = float_to_unorm8(rows[..., 3:], srgb=False)
    return np.concatenate([colour, alpha], axis=2)


class _LevelEncoder:
    """Encodes the levels of one layer band by band, as rows arrive (the sink of a :class:`MipStream`).

    Rows are turned into the output format's samples at once and kept only
    until their band is complete; a band is then encoded and handed to
    ``emit(mip, band, data)``. Bands that ``owned`` refuses are skipped (another
    part of a split texture encodes them).
    """

    def __init__(self, desc: TextureImportDesc, plan: CookPlan, base_u8: np.ndarray | None, emit, owned=None, cancel: CancelCheck | None = None) -> None:
        self._desc = desc
        self._cancel = cancel
        self._plan = plan
        self._base_u8 = base_u8
        self._emit = emit
        self._owned = owned or (lambda mip, band: True)
        self._sizes = level_sizes(plan.width, plan.height, plan.mip_levels)
        self._pending: list[list[np.ndarray]] = [[] for _ in self._sizes]
        self._coverage = desc.preserve_alpha_coverage and plan.mip_levels > 1
        self._held: list[list[np.ndarray]] = [[] for _ in self._sizes]
        self._passing = 0  # level-0 texels that pass the alpha test
        self.encode_ms = 0.0

    def add(self, mip: int, first: int, rows: np.ndarray) -> None:
        """Rows ``first``.. of level ``mip`` (post-processing of levels 1.. applied here, on copies)."""
        if self._coverage:
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
        if mip and _checks_normals(self._desc):
            rows = rows.copy() if not self._coverage else rows
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
            if self._owned(mip, band):
                self._pending[mip].append(self._samples(mip, at, rows[at - first : stop - first]))
                if stop == band_end:
                    _checkpoint(self._cancel, self._plan.source_id, f"encoding mip {mip} band {band}")
                    pending = self._pending[mip]
                    self._pending[mip] = []
                    self._emit(mip, band, self._encode(pending[0] if len(pending) == 1 else np.concatenate(pending)))
            at = stop
        self.encode_ms += (time.perf_counter() - start) * 1000.0

    def _samples(self, mip: int, first: int, rows: np.ndarray) -> np.ndarray:
        """Rows in the form the output format is written from."""
        out, plan = self._plan.output_format, self._plan
        if out in BC7_FORMATS or (out in ENCODABLE and out != Format.BC6H_UF16) or out in _UNCOMPRESSED_8BIT:
            if mip == 0 and self._base_u8 is not None:
                return _to_rgba(self._base_u8[first : first + len(rows)])
            return _rgba8(rows, plan)
        if out == Format.BC6H_UF16:
            return np.clip(rows, 0.0, _HALF_MAX).astype(np.float16)
        if out == Format.R16_UNORM:
            return float_to_unorm16(rows[..., 0], srgb=plan.linear_work and plan.encode_srgb)
        if out in _FLOAT_CHANNELS:
            dtype, channels = _FLOAT_CHANNELS[out]
            values = rows[..., :channels]
            if self._desc.source_color_space == ColorSpace.SRGB and not plan.linear_work and not plan.bake_hdr:
                values = np.concatenate([srgb_to_linear(rows[..., :3]), rows[..., 3:]], axis=2)[..., :channels]
            if dtype == np.float16:
                values = np.clip(values, -_HALF_MAX, _HALF_MAX)
            return np.ascontiguousarray(values, dtype=dtype)
        raise TextureImportError(TextureImportErrorCode.OUTPUT_FORMAT_INVALID, plan.source_id, f"oxcook cannot produce {out.name}")

    def _encode(self, samples: np.ndarray) -> bytes:
        out = self._plan.output_format
        if out in ENCODABLE:
            try:
                return encode_blocks(out, samples, self._desc.bc7_quality)
            except EncoderError as exc:
                raise TextureImportError(TextureImportErrorCode.COMPRESSION_FAILED, self._plan.source_id, str(exc)) from exc
        if out in _UNCOMPRESSED_8BIT:
            return np.ascontiguousarray(samples[..., : _UNCOMPRESSED_8BIT[out]]).tobytes()
        return samples.tobytes()


class _Bands:
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


def _band_span(layout: PayloadLayout, index: int, band: int) -> tuple[int, int]:
    """Where band ``band`` lies in subresource ``index``'s tightly packed bytes: ``(offset, size)``."""
    sub = layout.subresources[index]
    rows_per_band = BAND_ROWS // FORMAT_INFO[layout.format].block_size
    first = band * rows_per_band
    return first * sub.row_bytes, (min(first + rows_per_band, sub.rows) - first) * sub.row_bytes


class _Placed:
    """Encoded bands written straight into the payload of a whole cook, and dropped."""

    def __init__(self, writer: PayloadWriter, layer: int, levels: int) -> None:
        self._writer, self._base = writer, layer * levels

    def emit(self, mip: int, band: int, data: bytes) -> None:
        offset, _ = _band_span(self._writer.layout, self._base + mip, band)
        self._writer.write(self._base + mip, offset, data)


def convert_to_output_format(
    levels: Sequence[np.ndarray],
    work: WorkingImage,
    desc: TextureImportDesc,
    plan: CookPlan,
    cancel: CancelCheck | None = None,
) -> list[bytes]:
    """Stage 6: each level's bytes in the output format, rows tightly packed, encoded in bands of :data:`BAND_ROWS` rows.

    Raises:
        TextureImportError: the format cannot be produced, or the encoder failed.
    """
    bands = _Bands(len(levels))
    encoder = _LevelEncoder(desc, plan, work.base_u8, bands.emit, cancel=cancel)
    for mip, level in enumerate(levels):
        encoder.encode_rows(mip, 0, level)
    return bands.subresources()


def pack_subresources(
    layers: Sequence[Sequence[bytes]], texture_type: TextureType, plan: CookPlan, diagnostics: Sequence[ImportDiagnostic] = ()
) -> CookedTexture:
    """Stage 7: the OTX1 payload (D3D12 packing, SHA-256 content hash) and its row fields."""
    layout = compute_layout(texture_type, plan.output_format, plan.width, plan.height, array_layers=len(layers), mip_levels=plan.mip_levels)
    payload, digest = pack_payload(layout, [sub for layer in layers for sub in layer], flags=plan.flags)
    return CookedTexture(
        source_id=plan.source_id,
        payload=payload,
        texture_type=int(texture_type),
        width=plan.width,
        height=plan.height,
        depth=1,
        array_layers=len(layers),
        mip_levels=plan.mip_levels,
        format=int(plan.output_format),
        content_hash=digest,
        flags=int(plan.flags),
        diagnostics=tuple(diagnostics),
    )


_CHAIN_WEIGHT = {Bc7Quality.FAST: 0.6, Bc7Quality.DEFAULT: 0.07, Bc7Quality.HIGH: 0.03}  # making the chain, per level-0 pixel, in encoded pixels (bench/split.py)


def chain_weight(desc: TextureImportDesc) -> float:
    """What making the float chain costs per level-0 pixel, in pixels of encoding (to balance split parts)."""
    return _CHAIN_WEIGHT.get(desc.bc7_quality, 1.0)


def split_bands(width: int, height: int, mip_levels: int, parts: int, *, chain_weight: float = 0.0) -> list[list[tuple[int, int]]]:
    """The ``(mip, band)`` pairs each of ``parts`` encodes, in (mip, band) order (pure).

    Band ``k`` of a level is its rows ``k * BAND_ROWS`` up to the next multiple.
    Only the last part makes the mip chain (the small levels need all of level
    0), so it owns levels 1.. and, at a cost of ``chain_weight`` encoded pixels
    per level-0 pixel for the chain, fewer level-0 bands; the other parts
    decode and encode level-0 bands only. A level-0 band goes to the part its
    middle pixel falls in when the parts' costs are laid end to end.
    """
    sizes = level_sizes(width, height, mip_levels)
    level0 = [min(BAND_ROWS, height - band * BAND_ROWS) * width for band in range((height + BAND_ROWS - 1) // BAND_ROWS)]
    tail = sum(w * h for w, h in sizes[1:]) + (chain_weight * width * height if mip_levels > 1 else 0.0)
    share = (width * height + tail) / parts
    owners: list[list[tuple[int, int]]] = [[] for _ in range(parts)]
    seen = 0
    for band, pixels in enumerate(level0):
        owners[min(parts - 1, int((seen + pixels / 2) // share))].append((0, band))
        seen += pixels
    owners[-1].extend((mip, band) for mip, (_, h) in enumerate(sizes) if mip for band in range((h + BAND_ROWS - 1) // BAND_ROWS))
    return owners


def _cook_layer(decoded: DecodedImage, desc: TextureImportDesc, plan: CookPlan, facts: SourceFacts, emit, timings: dict, part=None, cancel=None) -> None:
    """Stages 3-6 of one layer, band by band (see the module docstring); a part without levels 1.. makes no chain."""
    base_u8 = decoded.pixels if decoded.pixels.dtype == np.uint8 and not facts.changed else None
    owned, rows_wanted = None, range(0, plan.height, CHUNK_ROWS)
    chain = plan.mip_levels > 1
    if part is not None:
        mine = set(split_bands(plan.width, plan.height, plan.mip_levels, part[1], chain_weight=chain_weight(desc))[part[0]])
        owned = lambda mip, band: (mip, band) in mine  # noqa: E731
        chain = chain and any(mip for mip, _ in mine)
        if not chain:
            rows_wanted = [a for a in rows_wanted if (0, a // BAND_ROWS) in mine]
    encoder = _LevelEncoder(desc, plan, base_u8, emit, owned, cancel)
    stream = MipStream(plan.width, plan.height, plan.mip_levels, desc.mip_filter, _mip_clamp(plan), encoder.add)
    clock = time.perf_counter
    working = streaming = 0.0
    for a in rows_wanted:
        _checkpoint(cancel, plan.source_id, f"rows {a}..")
        rows = decoded.pixels[a : a + CHUNK_ROWS]
        if not chain and base_u8 is not None:
            encoder.encode_rows(0, a, rows)
            continue
        start = clock()
        px = _working_rows(rows, plan)
        _prepare_rows(px, desc, plan)
        _finish_rows(px, plan, facts.renormalize)
        middle = clock()
        if chain:
            stream.push(px)
        else:
            encoder.encode_rows(0, a, px)
        working, streaming = working + middle - start, streaming + clock() - middle
    timings["convert_to_working_format"] = timings.get("convert_to_working_format", 0.0) + working * 1000.0
    timings["generate_mips"] = timings.get("generate_mips", 0.0) + max(streaming * 1000.0 - encoder.encode_ms, 0.0)
    timings["convert_to_output_format"] = timings.get("convert_to_output_format", 0.0) + encoder.encode_ms


def cook_texture(
    source: bytes, desc: TextureImportDesc, source_id: str | None = None, *, cancel: CancelCheck | None = None, part: tuple[int, int] | None = None
) -> CookedTexture:
    """Cook one image into a 2D texture payload (or, with ``part``, one part of it: see :func:`cook_texture_layers`).

    Raises:
        TextureImportError: any stage failed; TextureCancelled when ``cancel`` said so.
    """
    if desc.texture_type not in (TextureType.TEXTURE_2D, TextureType.TEXTURE_2D_ARRAY) or desc.array_layers != 1:
        raise TextureImportError(
            TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, _sid(desc, source_id), f"{desc.texture_type.name} needs one image per layer"
        )
    return cook_texture_layers([source], desc, source_id, cancel=cancel, part=part)


def cook_texture_layers(
    sources: Sequence[bytes],
    desc: TextureImportDesc,
    source_id: str | None = None,
    *,
    cancel: CancelCheck | None = None,
    part: tuple[int, int] | None = None,
) -> CookedTexture:
    """Cook one image per layer (2D array, or a cube in +X −X +Y −Y +Z −Z order).

    Args:
        part: ``(index, count)``: encode only that part's bands of a one-layer
            texture (:func:`split_bands`); the result's ``payload`` is then the
            part's run of tightly packed subresource bytes, not an OTX1 payload,
            and its ``content_hash`` is 0. Joining the parts in order and
            packing them gives the unsplit payload byte for byte.

    Raises:
        TextureImportError: a layer failed, or the layers differ in size.
    """
    sid = _sid(desc, source_id)
    desc = dataclasses.replace(desc, source_id=sid, array_layers=len(sources))
    if part is not None and (len(sources) != 1 or not 0 <= part[0] < part[1]):
        raise TextureImportError(TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, sid, f"part {part} of a {len(sources)}-layer texture")
    timings: dict[str, float] = {}
    clock = time.perf_counter

    def timed(stage: str, fn, *args):
        _checkpoint(cancel, sid, stage)
        start = clock()
        value = fn(*args)
        timings[stage] = timings.get(stage, 0.0) + (clock() - start) * 1000.0
        return value

    writer: PayloadWriter | None = None
    run: _Bands | None = None
    diagnostics: list[ImportDiagnostic] = []
    plan = None
    for i, source in enumerate(sources):
        layer_id = sid if len(sources) == 1 else f"{sid}[layer {i}]"
        decoded = timed("decode_source", decode_source, source, desc, layer_id)
        layer_plan = dataclasses.replace(plan_cook(desc, decoded, layer_id), source_id=sid)
        if plan is None:
            plan = layer_plan
            layout = compute_layout(desc.texture_type, plan.output_format, plan.width, plan.height, array_layers=len(sources), mip_levels=plan.mip_levels)
            if part is None:
                writer = PayloadWriter(layout, flags=plan.flags)
            else:
                run = _Bands(plan.mip_levels)
        elif (layer_plan.width, layer_plan.height, layer_plan.output_format) != (plan.width, plan.height, plan.output_format):
            raise TextureImportError(
                TextureImportErrorCode.DIMENSION_MISMATCH, layer_id, f"layer is {layer_plan.width}x{layer_plan.height}, layer 0 is {plan.width}x{plan.height}"
            )
        facts = timed("apply_content_processing", survey, decoded, desc, plan)
        sink = run if run is not None else _Placed(writer, i, plan.mip_levels)
        _cook_layer(decoded, desc, plan, facts, sink.emit, timings, part, cancel)
        del decoded
        diagnostics.extend(facts.diagnostics(sid))
    if run is not None:
        payload, digest = run.run(), 0
    else:
        start = clock()
        payload, digest = writer.finish()
        timings["pack_subresources"] = (clock() - start) * 1000.0
    cooked = CookedTexture(
        sid, payload, int(desc.texture_type), plan.width, plan.height, 1, len(sources), plan.mip_levels, int(plan.output_format), digest, int(plan.flags), tuple(diagnostics)
    )
    return dataclasses.replace(cooked, timings_ms=timings)


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
            for mip, band in bands:
                offset, size = _band_span(layout, mip, band)
                writer.write(mip, offset, part.payload[at : at + size])
                at += size
            if at != len(part.payload):
                raise ValueError(f"part {k} holds {len(part.payload)} bytes, its bands {at}")
    except (ValueError, LayoutError) as exc:
        raise ValueError(str(exc)) from None
    payload, digest = writer.finish()
    return dataclasses.replace(first, payload=payload, content_hash=digest, timings_ms={})
