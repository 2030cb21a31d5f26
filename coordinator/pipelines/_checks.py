"""What the coordinator checks in every result a worker returns, before a byte of it is written.

A worker is not trusted: one of another version, a broken machine or a hostile
one could return a payload of the wrong size, garbage or zeros, an oversized
blob — or a real, self-consistent cook of something else: another image, another
size, one mip where a chain was asked, a mesh with a triangle dropped or its
positions moved. So a result is compared with what the coordinator knows
without the worker: the settings it sent, the header it read itself
(:class:`TextureExpectation`), the mesh arrays it sent; and with itself (the
rules ``oxcook inspect`` applies to a written texture). A failure makes the item
fail with ``worker-result-invalid`` — never a corrupt container, never a cache
entry. Pure functions over plain data.

What no such check can see is a lie of the right shape (blocks shuffled within
their levels, then re-hashed): only cooking the item again finds that
(``oxcook cook --verify-results``, :class:`ResultVerifier`). Without it such a
lie is accepted — and, since only results the coordinator accepted are
published to the cache, ``oxcook cache verify`` is what finds it there later.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from oxcook.formats import (
    VERTEX_STRIDE,
    Format,
    PayloadFlags,
    PayloadLayout,
    TextureType,
    compute_layout,
    texture_payload_problems,
)
from oxcook.worker.cook import CookedTexture, MeshBuffers, TextureImportDesc, mip_levels_for
from oxcook.worker.wire import TextureWork

_WORST_BYTES_PER_TEXEL = 16  # RGBA32F
_BC7 = frozenset({int(Format.BC7_UNORM), int(Format.BC7_UNORM_SRGB)})
_SHAPE = ("texture_type", "width", "height", "depth", "array_layers", "mip_levels", "format", "flags")


@dataclass(frozen=True)
class TextureExpectation:
    """The shape a texture's cook must have, from the settings the coordinator sent and the header it read."""

    texture_type: int
    width: int
    height: int
    depth: int
    array_layers: int
    mip_levels: int
    format: int
    flags: int


def expected_texture(desc: TextureImportDesc, size: tuple[int, int] | None, layers: int) -> TextureExpectation | None:
    """What a cook of ``layers`` images of ``size`` (their header's, read by the coordinator) under ``desc`` makes;
    ``None`` when the size is not known."""
    if size is None:
        return None
    width, height = size
    return TextureExpectation(
        texture_type=int(desc.texture_type),
        width=width,
        height=height,
        depth=1,
        array_layers=max(1, layers),
        mip_levels=mip_levels_for(desc, width, height),
        format=int(desc.output_format),
        flags=int(PayloadFlags.PREMULTIPLIED_ALPHA if desc.premultiply_alpha else PayloadFlags.NONE),
    )


def payload_cap(work: TextureWork) -> int:
    """The largest payload a texture of this work item could ever need (its size limit, all mips, all layers)."""
    edge = work.desc.max_dimension
    return int(edge * edge * _WORST_BYTES_PER_TEXEL * 4 / 3 * max(1, work.desc.array_layers or len(work.sources) or len(work.paths))) + 65536


def shape_problem(expected: TextureExpectation | None, cooked: CookedTexture) -> str | None:
    """Why the shape ``cooked`` claims is not ``expected`` (a whole texture, or one part of a split one), or ``None``."""
    if expected is None:
        return "the coordinator could not read the source's header, so nothing can vouch for the result's size"
    if (cooked.width, cooked.height) != (expected.width, expected.height):
        return f"{cooked.width}x{cooked.height}, the source is {expected.width}x{expected.height}"
    if cooked.mip_levels != expected.mip_levels:
        return f"{cooked.mip_levels} mips, the settings ask for {expected.mip_levels}"
    for name in _SHAPE:
        if getattr(cooked, name) != getattr(expected, name):
            return f"{name} {getattr(cooked, name)}, the work asked for {getattr(expected, name)}"
    return None


def quality_problem(work: TextureWork, cooked: CookedTexture) -> str | None:
    """Why the quality sums a cooked texture carries cannot be its own (a level count, a texel count), or ``None``."""
    sums = cooked.quality
    if sums is None:
        return "no quality figures, the work asked for them" if work.quality else None
    if sums.format != cooked.format or len(sums.levels) != cooked.mip_levels:
        return f"quality sums of {len(sums.levels)} levels of format {sums.format}, the texture has {cooked.mip_levels} of {cooked.format}"
    for mip, level in enumerate(sums.levels):
        texels = max(1, cooked.width >> mip) * max(1, cooked.height >> mip) * cooked.array_layers
        if level.texels != texels:
            return f"quality sums over {level.texels} texels of mip {mip}, which has {texels}"
    return None


def texture_result_problem(work: TextureWork, expected: TextureExpectation | None, cooked: CookedTexture, *, verify_hash: bool = True) -> str | None:
    """Why a cooked texture cannot be what ``work`` asked for, or ``None`` (its payload hash recomputed unless ``verify_hash`` is off)."""
    desc = work.desc
    if len(cooked.payload) > payload_cap(work):
        return f"a {len(cooked.payload)}-byte payload is larger than any {desc.max_dimension}² texture can be"
    if cooked.format != int(desc.output_format):
        return f"format {cooked.format}, the work asked for {int(desc.output_format)}"
    if not (0 < cooked.width <= desc.max_dimension and 0 < cooked.height <= desc.max_dimension):
        return f"{cooked.width}x{cooked.height} is outside 1..{desc.max_dimension}"
    if desc.width and (cooked.width, cooked.height) != (desc.width, desc.height):
        return f"{cooked.width}x{cooked.height}, the work asked for {desc.width}x{desc.height}"
    full_chain = int(math.log2(max(cooked.width, cooked.height))) + 1
    if not 1 <= cooked.mip_levels <= full_chain:
        return f"{cooked.mip_levels} mips for {cooked.width}x{cooked.height} (at most {full_chain})"
    problem = shape_problem(expected, cooked) or quality_problem(work, cooked)
    if problem is not None:
        return problem
    problems = texture_payload_problems(cooked.row, cooked.payload, verify_hash=verify_hash)
    if problems:
        return problems[0]
    reserved = reserved_bc7_blocks(cooked)
    return f"{reserved} BC7 blocks of the reserved mode, which no encoder writes (zeroed data)" if reserved else None


def reserved_bc7_blocks(cooked: CookedTexture) -> int:
    """How many blocks of a BC7 payload (already checked to fit its layout) have no mode bit in their first byte.

    BC7 names a block's mode by the lowest set bit of that byte; a zero byte is the
    reserved "mode 8", which decodes to transparent black and which an encoder never
    writes — the mark of zeroed block data."""
    if cooked.format not in _BC7:
        return 0
    layout, end, firsts = _bc7_blocks(cooked.texture_type, cooked.format, cooked.width, cooked.height, cooked.array_layers, cooked.mip_levels)
    if len(cooked.payload) < end:
        return 0  # a payload short of its layout is named by texture_payload_problems, which runs first
    if firsts is not None:
        return int(np.count_nonzero(np.frombuffer(cooked.payload, np.uint8)[firsts] == 0))
    data = np.frombuffer(cooked.payload, np.uint8, offset=layout.data_offset)
    reserved = 0
    for sub in layout.subresources:
        rows = data[sub.offset : sub.offset + sub.row_pitch * sub.rows].reshape(sub.rows, sub.row_pitch)
        reserved += int(np.count_nonzero(rows[:, : sub.row_bytes : 16] == 0))
    return reserved


_INDEXED_PAYLOAD = 64 * 1024  # a payload up to this size is checked through one index of its blocks (a few slices cost more)


@functools.lru_cache(maxsize=256)  # a cook of many textures has few shapes: each laid out once
def _bc7_blocks(texture_type: int, fmt: int, width: int, height: int, layers: int, mips: int) -> tuple[PayloadLayout, int, np.ndarray | None]:
    """The layout of a BC payload of this shape, the bytes its subresources span, and — for a small payload — where
    the first byte of each of its 16-byte blocks lies."""
    layout = compute_layout(TextureType(texture_type), Format(fmt), width, height, array_layers=layers, mip_levels=mips)
    end = max(layout.data_offset + sub.offset + sub.row_pitch * sub.rows for sub in layout.subresources)
    if layout.total_size > _INDEXED_PAYLOAD:
        return layout, end, None
    firsts = [
        layout.data_offset + sub.offset + row * sub.row_pitch + np.arange(0, sub.row_bytes, 16, dtype=np.int64)
        for sub in layout.subresources
        for row in range(sub.rows)
    ]
    index = np.concatenate(firsts)
    index.flags.writeable = False
    return layout, end, index


def mesh_result_problem(arrays: dict[str, np.ndarray], mesh: MeshBuffers) -> str | None:
    """Why packed mesh buffers cannot be the primitive of ``arrays`` (what the coordinator sent), or ``None``.

    Positions and indices are copied through as they are, so they must come back
    exactly (a worker computes only normals and tangents); so must the bounds of the positions."""
    if mesh.vertex_count <= 0 or len(mesh.vertices) != mesh.vertex_count * VERTEX_STRIDE:
        return f"{mesh.vertex_count} vertices over a {len(mesh.vertices)}-byte vertex buffer"
    if mesh.index_count < 0 or mesh.index_count % 3 or len(mesh.indices) != mesh.index_count * 4:
        return f"{mesh.index_count} indices over a {len(mesh.indices)}-byte index buffer"
    if mesh.index_count and int(np.frombuffer(mesh.indices, "<u4").max()) >= mesh.vertex_count:
        return f"an index is outside the {mesh.vertex_count} vertices"
    bounds = (*mesh.bbox_min, *mesh.bbox_max)
    if len(bounds) != 6 or not all(math.isfinite(v) for v in bounds) or any(lo > hi for lo, hi in zip(mesh.bbox_min, mesh.bbox_max, strict=True)):
        return f"bounds {mesh.bbox_min}..{mesh.bbox_max} are not finite or not ordered"
    positions = np.asarray(arrays["positions"], np.float32).reshape(-1, 3)
    sent = arrays.get("indices")
    indices = np.arange(len(positions), dtype="<u4") if sent is None else np.asarray(sent, "<u4").reshape(-1)
    if mesh.vertex_count != len(positions):
        return f"{mesh.vertex_count} vertices, the source has {len(positions)}"
    if mesh.index_count != len(indices):
        return f"{mesh.index_count} indices, the source has {len(indices)}"
    if mesh.indices != indices.tobytes():
        return "its indices differ from the source's (triangles reordered or rewired)"
    returned = np.frombuffer(mesh.vertices, "<f4").reshape(-1, VERTEX_STRIDE // 4)[:, :3]
    if not np.array_equal(returned, positions, equal_nan=True):
        return "its vertex positions differ from the source's"
    if len(positions) and (mesh.bbox_min, mesh.bbox_max) != (tuple(float(v) for v in positions.min(axis=0)), tuple(float(v) for v in positions.max(axis=0))):
        return f"bounds {mesh.bbox_min}..{mesh.bbox_max}, the source's positions span {tuple(positions.min(axis=0))}..{tuple(positions.max(axis=0))}"
    return None
