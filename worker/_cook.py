"""Texture cooking: pure stages from source bytes to an OTX1 payload (spec §5).

::

    decode_source -> convert_to_working_format -> apply_content_processing
        -> generate_mips -> convert_to_output_format -> pack_subresources

Each stage is usable alone; :func:`cook_texture` composes them for one image and
:func:`cook_texture_layers` for 2D arrays and cube maps (one image per layer,
layer-major). A ``cancel`` callable is polled between stages (and between mip
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
    Format,
    PayloadFlags,
    TextureType,
    compression_type_for,
    compute_layout,
    full_mip_count,
    pack_payload,
)

from ._bcn import ENCODABLE, EncoderError, encode_blocks
from ._color import float_to_unorm8, float_to_unorm16, samples_to_float, srgb_to_linear
from ._desc import (
    BC7_FORMATS,
    FLOAT_FORMATS,
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
from ._mips import alpha_coverage, mip_chain, preserve_alpha_coverage, renormalize_normals

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
    decoded = decode_image(source, sid, max_dimension=desc.max_dimension)
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


def convert_to_working_format(decoded: DecodedImage, plan: CookPlan) -> WorkingImage:
    """Stage 3: RGBA float32, colour in linear light when ``plan.linear_work``.

    Non-finite float samples are clamped (NaN -> 0, ±Inf -> ±65504) with a warning.
    """
    diagnostics = []
    if decoded.is_float:
        work = _to_rgba(decoded.pixels).astype(np.float32, copy=True)
        bad = int(np.count_nonzero(~np.isfinite(work)))
        if bad:
            np.nan_to_num(work, copy=False, nan=0.0, posinf=_HALF_MAX, neginf=-_HALF_MAX)
            diagnostics.append(
                ImportDiagnostic(ImportSeverity.WARNING, "texture-nonfinite-clamped", f"{plan.source_id}: {bad} NaN/Inf samples clamped", plan.source_id)
            )
        if plan.output_format in _HALF_FORMATS:
            beyond = int(np.count_nonzero(np.abs(work) > _HALF_MAX))
            if beyond:
                np.clip(work, -_HALF_MAX, _HALF_MAX, out=work)
                message = f"{plan.source_id}: {beyond} samples beyond ±{_HALF_MAX:.0f} (the 16-bit float range) clamped to it"
                diagnostics.append(ImportDiagnostic(ImportSeverity.WARNING, "texture-hdr-clamped", message, plan.source_id))
        return WorkingImage(work, None, diagnostics)
    samples = decoded.pixels
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
    base_u8 = samples if samples.dtype == np.uint8 else None
    return WorkingImage(work, base_u8, diagnostics)


def apply_content_processing(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> WorkingImage:
    """Stage 4: HDR bake, normal-map green flip and normalisation, premultiplied alpha."""
    px = work.pixels
    changed = False
    if plan.bake_hdr:
        rgb = np.maximum(px[..., :3] * np.float32(2.0**desc.exposure_ev), 0.0)
        px[..., :3] = np.clip(rgb * (2.51 * rgb + 0.03) / (rgb * (2.43 * rgb + 0.59) + 0.14), 0.0, 1.0)
        np.clip(px[..., 3], 0.0, 1.0, out=px[..., 3])
        changed = True
    if desc.intent == TextureIntent.NORMAL_TS and desc.flip_normal_green:
        px[..., 1] = 1.0 - px[..., 1]
        changed = True
    if desc.intent == TextureIntent.NORMAL_TS and desc.renormalize_normals_in_mips:
        # the engine renormalises mips 1..N only; authored maps are not always unit length
        changed = renormalize_normals(px, tolerance=_UNIT_TOLERANCE) or changed
    if plan.premultiply:
        px[..., :3] *= px[..., 3:4]
        changed = changed or bool((px[..., 3] < 1.0).any())
    return WorkingImage(px, None if changed else work.base_u8, work.diagnostics)


def generate_mips(work: WorkingImage, desc: TextureImportDesc, plan: CookPlan) -> list[np.ndarray]:
    """Stage 5: the mip chain, with alpha coverage kept and normals renormalised on request."""
    is_float_out = plan.output_format in FLOAT_FORMATS
    chain = mip_chain(work.pixels, plan.mip_levels, desc.mip_filter, clamp=None if is_float_out else (0.0, 1.0))
    if desc.preserve_alpha_coverage and plan.mip_levels > 1:
        target = alpha_coverage(chain[0][..., 3], desc.alpha_cutoff)
        for level in chain[1:]:
            preserve_alpha_coverage(level, target, desc.alpha_cutoff)
    if desc.intent == TextureIntent.NORMAL_TS and desc.renormalize_normals_in_mips:
        for level in chain[1:]:
            renormalize_normals(level)
    return chain


def encoder_input(level: np.ndarray, mip: int, work: WorkingImage, plan: CookPlan) -> np.ndarray:
    """The RGBA8 pixels of one level as the block encoder receives them (the source's own bytes at mip 0 when exact)."""
    if mip == 0 and work.base_u8 is not None:
        return _to_rgba(work.base_u8)
    colour = float_to_unorm8(level[..., :3], srgb=plan.linear_work and plan.encode_srgb)
    alpha = float_to_unorm8(level[..., 3:], srgb=False)
    return np.concatenate([colour, alpha], axis=2)


def convert_to_output_format(
    levels: Sequence[np.ndarray],
    work: WorkingImage,
    desc: TextureImportDesc,
    plan: CookPlan,
    cancel: CancelCheck | None = None,
) -> list[bytes]:
    """Stage 6: each level's bytes in the output format, rows tightly packed.

    Raises:
        TextureImportError: the format cannot be produced, or the encoder failed.
    """
    out = plan.output_format
    sid = plan.source_id
    result = []
    for mip, level in enumerate(levels):
        if mip:
            _checkpoint(cancel, sid, f"encoding mip {mip}")
        if out in BC7_FORMATS or (out in ENCODABLE and out != Format.BC6H_UF16):
            try:
                result.append(encode_blocks(out, encoder_input(level, mip, work, plan), desc.bc7_quality))
            except EncoderError as exc:
                raise TextureImportError(TextureImportErrorCode.COMPRESSION_FAILED, sid, str(exc)) from exc
        elif out == Format.BC6H_UF16:
            half = np.clip(level, 0.0, _HALF_MAX).astype(np.float16)
            result.append(encode_blocks(out, half))
        elif out in _UNCOMPRESSED_8BIT:
            result.append(np.ascontiguousarray(encoder_input(level, mip, work, plan)[..., : _UNCOMPRESSED_8BIT[out]]).tobytes())
        elif out == Format.R16_UNORM:
            result.append(float_to_unorm16(level[..., 0], srgb=plan.linear_work and plan.encode_srgb).tobytes())
        elif out in _FLOAT_CHANNELS:
            dtype, channels = _FLOAT_CHANNELS[out]
            values = level[..., :channels]
            if desc.source_color_space == ColorSpace.SRGB and not plan.linear_work and not plan.bake_hdr:
                values = np.concatenate([srgb_to_linear(level[..., :3]), level[..., 3:]], axis=2)[..., :channels]
            if dtype == np.float16:
                values = np.clip(values, -_HALF_MAX, _HALF_MAX)
            result.append(np.ascontiguousarray(values, dtype=dtype).tobytes())
        else:
            raise TextureImportError(TextureImportErrorCode.OUTPUT_FORMAT_INVALID, sid, f"oxcook cannot produce {out.name}")
    return result


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


def cook_texture(source: bytes, desc: TextureImportDesc, source_id: str | None = None, *, cancel: CancelCheck | None = None) -> CookedTexture:
    """Cook one image into a 2D texture payload.

    Raises:
        TextureImportError: any stage failed; TextureCancelled when ``cancel`` said so.
    """
    if desc.texture_type not in (TextureType.TEXTURE_2D, TextureType.TEXTURE_2D_ARRAY) or desc.array_layers != 1:
        raise TextureImportError(
            TextureImportErrorCode.ARRAY_LAYER_COUNT_INVALID, _sid(desc, source_id), f"{desc.texture_type.name} needs one image per layer"
        )
    return cook_texture_layers([source], desc, source_id, cancel=cancel)


def cook_texture_layers(
    sources: Sequence[bytes], desc: TextureImportDesc, source_id: str | None = None, *, cancel: CancelCheck | None = None
) -> CookedTexture:
    """Cook one image per layer (2D array, or a cube in +X −X +Y −Y +Z −Z order).

    Raises:
        TextureImportError: a layer failed, or the layers differ in size.
    """
    sid = _sid(desc, source_id)
    desc = dataclasses.replace(desc, source_id=sid, array_layers=len(sources))
    timings: dict[str, float] = {}
    clock = time.perf_counter

    def timed(stage: str, fn, *args):
        _checkpoint(cancel, sid, stage)
        start = clock()
        value = fn(*args)
        timings[stage] = timings.get(stage, 0.0) + (clock() - start) * 1000.0
        return value

    layers: list[list[bytes]] = []
    diagnostics: list[ImportDiagnostic] = []
    plan = None
    for i, source in enumerate(sources):
        layer_id = sid if len(sources) == 1 else f"{sid}[layer {i}]"
        decoded = timed("decode_source", decode_source, source, desc, layer_id)
        layer_plan = dataclasses.replace(plan_cook(desc, decoded, layer_id), source_id=sid)
        if plan is None:
            plan = layer_plan
        elif (layer_plan.width, layer_plan.height, layer_plan.output_format) != (plan.width, plan.height, plan.output_format):
            raise TextureImportError(
                TextureImportErrorCode.DIMENSION_MISMATCH, layer_id, f"layer is {layer_plan.width}x{layer_plan.height}, layer 0 is {plan.width}x{plan.height}"
            )
        work = timed("convert_to_working_format", convert_to_working_format, decoded, plan)
        work = timed("apply_content_processing", apply_content_processing, work, desc, plan)
        levels = timed("generate_mips", generate_mips, work, desc, plan)
        layers.append(timed("convert_to_output_format", convert_to_output_format, levels, work, desc, plan, cancel))
        diagnostics.extend(work.diagnostics)
    cooked = timed("pack_subresources", pack_subresources, layers, desc.texture_type, plan, diagnostics)
    return dataclasses.replace(cooked, timings_ms=timings)
