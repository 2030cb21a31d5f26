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
through :class:`~worker.cook._mips.MipStream`; every level is encoded band by band
into its place. Where level 0 is the source's own 8-bit bytes and level 1 its
2x2 box, level 1's rows are made from those bytes (``halved_rows``) and the
stream starts there: level 0 never exists as floats. Memory is the decoded source, the output and a few bands, not
a float32 copy of the image and its chain, and the bytes are those of the
whole-image stages: the per-row arithmetic is the same and every level is
encoded in the same band grid (``worker.cook._bands``). Splitting one texture across
processes (``split_bands``) cuts level 0 at block rows: a part encodes only its
rows (only the last one makes the mip chain; a band the cut falls in is made
whole and encoded with its whole-band profile), and its bytes are its rows'
run of the texture's tightly packed subresources; ``join_texture_parts``
places them. With ``quality`` on, every encoded band is also decoded and
compared with the samples it was encoded from (``worker.cook._quality``: sums only,
a few rows at a time; the bytes do not change). Per-row conversions live in ``worker.cook._rows``. A ``cancel`` callable is polled between stages (and between band
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
from typing import Sequence

import numpy as np

from oxcook.formats import (
    Format,
    PayloadFlags,
    PayloadWriter,
    TextureType,
    compute_layout,
    pack_payload,
)

from ._bands import Bands, LevelEncoder, Placed, chain_weight, split_bands
from ._budget import cook_cost
from ._color import samples_to_float
from ._types import CookedTexture, CookPlan
from ._desc import (
    FLOAT_FORMATS,
    ColorSpace,
    HdrHandling,
    TextureImportDesc,
    TextureIntent,
    mip_levels_for,
    validate_pre_decode,
)
from .._diagnostics import ImportDiagnostic, ImportSeverity
from .._errors import CancelCheck, TextureImportError, TextureImportErrorCode, check_cancelled
from ._imaging import DecodedImage, decode_image
from ._mips import MipStream, alpha_coverage, mip_chain, normal_deviation, plan_steps, preserve_alpha_coverage, renormalize_normals
from ._quality import QualityMeter
from ._rows import BAND_ROWS, CHUNK_ROWS, HALF_MAX, UNIT_TOLERANCE, checks_normals, finish_rows, float_rows, halved_rows, mip_clamp, prepare_rows, rgba8, to_rgba, working_rows


@dataclass
class WorkingImage:
    """One layer in the working format: ``(h, w, 4)`` float32, plus the untouched
    8-bit source samples (any channel count) for mip 0 while no processing has changed them."""

    pixels: np.ndarray
    base_u8: np.ndarray | None = None
    diagnostics: list[ImportDiagnostic] = field(default_factory=list)


def _sid(desc: TextureImportDesc, source_id: str | None) -> str:
    return source_id or desc.source_id or "<texture>"


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
    levels = mip_levels_for(desc, decoded.width, decoded.height)
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


@dataclass(frozen=True)
class SourceFacts:
    """What one pass over a decoded layer finds, before any row is cooked (pure data)."""

    nonfinite: int = 0  # NaN/Inf float samples (clamped)
    beyond_half: int = 0  # float samples outside the 16-bit float range, for a half output (clamped)
    renormalize: bool = False  # level 0's normals are off unit length, so they are renormalised
    changed: bool = False  # content processing changes level 0 (its source bytes are not mip 0)

    def diagnostics(self) -> list[ImportDiagnostic]:
        """What these facts say of the source, naming none (``ImportDiagnostic.about`` names it)."""
        found = []
        if self.nonfinite:
            found.append(ImportDiagnostic(ImportSeverity.WARNING, "texture-nonfinite-clamped", f"{self.nonfinite} NaN/Inf samples clamped"))
        if self.beyond_half:
            message = f"{self.beyond_half} samples beyond ±{HALF_MAX:.0f} (the 16-bit float range) clamped to it"
            found.append(ImportDiagnostic(ImportSeverity.WARNING, "texture-hdr-clamped", message))
        return found


def survey(decoded: DecodedImage, desc: TextureImportDesc, plan: CookPlan) -> SourceFacts:
    """One banded pass over a decoded layer: the facts the whole-image stages 3 and 4 would find (pure)."""
    samples = decoded.pixels
    nonfinite = beyond = 0
    deviation = 0.0
    translucent = False
    for a in range(0, plan.height, CHUNK_ROWS):
        rows = samples[a : a + CHUNK_ROWS]
        if decoded.is_float:
            _, bad, out = float_rows(rows, plan)
            nonfinite, beyond = nonfinite + bad, beyond + out
        if checks_normals(desc):
            px = working_rows(rows, plan)
            prepare_rows(px, desc, plan)
            deviation = max(deviation, normal_deviation(px))
        if plan.premultiply and not translucent and samples.dtype == np.uint8 and samples.shape[2] in (2, 4):
            translucent = bool((samples_to_float(rows[..., -1], srgb=False) < 1.0).any())  # only an 8-bit source's bytes can be mip 0
    renormalize = checks_normals(desc) and deviation > 2 * UNIT_TOLERANCE
    flips = desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green
    changed = plan.bake_hdr or flips or renormalize or (plan.premultiply and translucent)
    return SourceFacts(nonfinite, beyond, renormalize, changed)


def convert_to_working_format(decoded: DecodedImage, plan: CookPlan) -> WorkingImage:
    """Stage 3: RGBA float32, colour in linear light when ``plan.linear_work``.

    Non-finite float samples are clamped (NaN -> 0, ±Inf -> ±65504) with a warning.
    """
    if decoded.is_float:
        work, bad, beyond = float_rows(decoded.pixels, plan)
        return WorkingImage(work, None, SourceFacts(bad, beyond).diagnostics())
    base_u8 = decoded.pixels if decoded.pixels.dtype == np.uint8 else None
    return WorkingImage(working_rows(decoded.pixels, plan), base_u8, [])


def apply_content_processing(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> WorkingImage:
    """Stage 4: HDR bake, normal-map green flip and normalisation, premultiplied alpha."""
    px = work.pixels
    prepare_rows(px, desc, plan)
    renormalize = checks_normals(desc) and normal_deviation(px) > 2 * UNIT_TOLERANCE
    changed = plan.bake_hdr or (desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green) or renormalize
    finish_rows(px, plan, renormalize)
    changed = changed or (plan.premultiply and bool((px[..., 3] < 1.0).any()))
    return WorkingImage(px, None if changed else work.base_u8, work.diagnostics)


def generate_mips(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> list[np.ndarray]:
    """Stage 5: the mip chain, with alpha coverage kept and normals renormalised on request."""
    chain = mip_chain(work.pixels, plan.mip_levels, desc.mip_filter, clamp=mip_clamp(plan))
    if desc.preserve_alpha_coverage and plan.mip_levels > 1:
        target = alpha_coverage(chain[0][..., 3], desc.alpha_cutoff)
        for level in chain[1:]:
            preserve_alpha_coverage(level, target, desc.alpha_cutoff)
    if checks_normals(desc):
        for level in chain[1:]:
            renormalize_normals(level)
    return chain


def encoder_input(level: np.ndarray, mip: int, work: WorkingImage, plan: CookPlan) -> np.ndarray:
    """The RGBA8 pixels of one level as the block encoder receives them (the source's own bytes at mip 0 when exact)."""
    if mip == 0 and work.base_u8 is not None:
        return to_rgba(work.base_u8)
    return rgba8(level, plan)


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
    bands = Bands(len(levels))
    encoder = LevelEncoder(desc, plan, work.base_u8, bands.emit, cancel=cancel)
    for mip, level in enumerate(levels):
        encoder.encode_rows(mip, 0, level)
    return bands.subresources()


def pack_subresources(
    layers: Sequence[Sequence[bytes]], texture_type: TextureType, plan: CookPlan, diagnostics: Sequence[ImportDiagnostic] = ()
) -> CookedTexture:
    """Stage 7: the OTX1 payload (D3D12 packing, SHA-256 content hash) and its row fields."""
    layout = compute_layout(texture_type, plan.output_format, plan.width, plan.height, array_layers=len(layers), mip_levels=plan.mip_levels)
    payload, digest = pack_payload(layout, [sub for layer in layers for sub in layer], flags=plan.flags)
    return _cooked(plan, texture_type, len(layers), payload, digest, diagnostics)


def _cooked(plan: CookPlan, texture_type: TextureType, layers: int, payload, digest, diagnostics: Sequence[ImportDiagnostic], **more) -> CookedTexture:
    """The cooked texture ``plan`` describes, with its payload (``more``: its timings and quality sums)."""
    return CookedTexture(
        payload=payload,
        texture_type=int(texture_type),
        width=plan.width,
        height=plan.height,
        depth=1,
        array_layers=layers,
        mip_levels=plan.mip_levels,
        format=int(plan.output_format),
        content_hash=digest,
        flags=int(plan.flags),
        diagnostics=tuple(diagnostics),
        **more,
    )


def _cook_layer(decoded: DecodedImage, desc: TextureImportDesc, plan: CookPlan, facts: SourceFacts, emit, timings: dict, part=None, cancel=None, meter=None) -> None:
    """Stages 3-6 of one layer, band by band (see the module docstring); a part without levels 1.. makes no chain."""
    base_u8 = decoded.pixels if decoded.pixels.dtype == np.uint8 and not facts.changed else None
    shares, rows_wanted = None, range(0, plan.height, CHUNK_ROWS)
    chain = plan.mip_levels > 1
    if part is not None:
        mine = split_bands(plan.width, plan.height, plan.mip_levels, part[1], chain_weight=chain_weight(desc))[part[0]]
        shares = {(s.mip, s.band): (s.first, s.end) for s in mine}
        chain = chain and any(s.mip for s in mine)
        if not chain:
            rows_wanted = [a for a in rows_wanted if (0, a // BAND_ROWS) in shares]
    encoder = LevelEncoder(desc, plan, base_u8, emit, shares, cancel, meter)
    steps = plan_steps(plan.width, plan.height, plan.mip_levels, desc.mip_filter) if chain else []
    # level 0 is the source's own bytes and its first step a 2x2 box: level 1 is made from those bytes (halved_rows), the stream starts there
    halve = bool(steps) and steps[0].mode == "box2x" and encoder.level0_from_source and not encoder.counts_coverage
    if halve:
        stream = MipStream(steps[0].width, steps[0].height, plan.mip_levels - 1, desc.mip_filter, mip_clamp(plan), lambda mip, first, rows: encoder.add(mip + 1, first, rows))
    else:
        stream = MipStream(plan.width, plan.height, plan.mip_levels, desc.mip_filter, mip_clamp(plan), encoder.add)
    clock = time.perf_counter
    working = streaming = 0.0
    for a in rows_wanted:
        check_cancelled(cancel, plan.source_id, f"rows {a}..")
        rows = decoded.pixels[a : a + CHUNK_ROWS]
        if encoder.level0_from_source and (halve or not chain):  # the source's bytes are level 0 as they are: no working rows of it
            encoder.encode_rows(0, a, rows)
            if not halve:
                continue
        start = clock()
        if halve:
            px = halved_rows(rows, plan)
        else:
            px = working_rows(rows, plan)
            prepare_rows(px, desc, plan)
            finish_rows(px, plan, facts.renormalize)
        middle, encoded = clock(), encoder.encode_ms
        if chain:
            stream.push(px)
        else:
            encoder.encode_rows(0, a, px)
        working, streaming = working + middle - start, streaming + clock() - middle - (encoder.encode_ms - encoded) / 1000.0
    encoder.flush()
    timings["convert_to_working_format"] = timings.get("convert_to_working_format", 0.0) + working * 1000.0
    timings["generate_mips"] = timings.get("generate_mips", 0.0) + streaming * 1000.0
    timings["convert_to_output_format"] = timings.get("convert_to_output_format", 0.0) + encoder.encode_ms - encoder.quality_ms
    if meter is not None:
        timings["quality"] = timings.get("quality", 0.0) + encoder.quality_ms


def cook_texture(
    source: bytes,
    desc: TextureImportDesc,
    source_id: str | None = None,
    *,
    cancel: CancelCheck | None = None,
    part: tuple[int, int] | None = None,
    quality: bool = True,
) -> CookedTexture:
    """Cook one image into a 2D texture payload (or, with ``part``, one part of it: see :func:`cook_texture_layers`).

    Raises:
        TextureImportError: any stage failed; TextureCancelled when ``cancel`` said so.
    """
    if desc.texture_type not in (TextureType.TEXTURE_2D, TextureType.TEXTURE_2D_ARRAY) or desc.array_layers != 1:
        raise TextureImportError(
            TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, _sid(desc, source_id), f"{desc.texture_type.name} needs one image per layer"
        )
    return cook_texture_layers([source], desc, source_id, cancel=cancel, part=part, quality=quality)


def cook_texture_layers(
    sources: Sequence[bytes],
    desc: TextureImportDesc,
    source_id: str | None = None,
    *,
    cancel: CancelCheck | None = None,
    part: tuple[int, int] | None = None,
    quality: bool = True,
) -> CookedTexture:
    """Cook one image per layer (2D array, or a cube in +X −X +Y −Y +Z −Z order).

    Args:
        part: ``(index, count)``: encode only that part's rows of a one-layer
            texture (:func:`split_bands`); the result's ``payload`` is then the
            part's run of tightly packed subresource bytes, not an OTX1 payload,
            and its ``content_hash`` is 0. Joining the parts in order and
            packing them gives the unsplit payload byte for byte.
        quality: measure the quality figures as the bands are encoded (``worker.cook._quality``:
            the result's ``quality``; a part's sums, which the join adds up). They change no byte.

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
        check_cancelled(cancel, sid, stage)
        start = clock()
        value = fn(*args)
        timings[stage] = timings.get(stage, 0.0) + (clock() - start) * 1000.0
        return value

    writer: PayloadWriter | None = None
    run: Bands | None = None
    diagnostics: list[ImportDiagnostic] = []
    plan = None
    meter: QualityMeter | None = None
    for i, source in enumerate(sources):
        layer_id = sid if len(sources) == 1 else f"{sid}[layer {i}]"
        decoded = timed("decode_source", decode_source, source, desc, layer_id)
        layer_plan = dataclasses.replace(plan_cook(desc, decoded, layer_id), source_id=sid)
        if plan is None:
            plan = layer_plan
            layout = compute_layout(desc.texture_type, plan.output_format, plan.width, plan.height, array_layers=len(sources), mip_levels=plan.mip_levels)
            if quality:
                cutoff = desc.alpha_cutoff if desc.preserve_alpha_coverage else None
                meter = QualityMeter(plan.output_format, plan.mip_levels, alpha_cutoff=cutoff, normals=desc.intent == TextureIntent.NORMAL_TS)
            if part is None:
                writer = PayloadWriter(layout, flags=plan.flags)
            else:
                run = Bands(plan.mip_levels)
        elif (layer_plan.width, layer_plan.height, layer_plan.output_format) != (plan.width, plan.height, plan.output_format):
            raise TextureImportError(
                TextureImportErrorCode.DIMENSION_MISMATCH, layer_id, f"layer is {layer_plan.width}x{layer_plan.height}, layer 0 is {plan.width}x{plan.height}"
            )
        facts = timed("apply_content_processing", survey, decoded, desc, plan)
        sink = run if run is not None else Placed(writer, i, plan.mip_levels)
        _cook_layer(decoded, desc, plan, facts, sink.emit, timings, part, cancel, meter)
        del decoded
        diagnostics.extend(facts.diagnostics())
    if run is not None:
        payload, digest = run.run(), 0
    else:
        start = clock()
        payload, digest = writer.finish()
        timings["pack_subresources"] = (clock() - start) * 1000.0
    return _cooked(plan, desc.texture_type, len(sources), payload, digest, diagnostics, timings_ms=timings, quality=meter.sums() if meter is not None else None)


