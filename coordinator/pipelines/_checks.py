"""What the coordinator checks in every result a worker returns, before a byte of it is written.

A worker is not trusted: one of another version, a broken machine or a hostile
one could return a payload of the wrong size, garbage or zeros, another shape,
mip count, type or hash, an oversized blob, or mesh counts its buffers do not
hold. Each check compares the result with what was asked (the work item) and
with itself (the rules ``oxcook inspect`` applies to a written texture); a
failure makes the item fail with ``worker-result-invalid`` — never a corrupt
container. Pure functions over plain data.
"""

from __future__ import annotations

import math

import numpy as np

from oxcook.formats import TEXTURE_RESOURCE_DESC, VERTEX_STRIDE, Epoch, texture_payload_problems
from oxcook.worker import CookedTexture, MeshBuffers, TextureWork

_ROW = TEXTURE_RESOURCE_DESC[Epoch.B]
_WORST_BYTES_PER_TEXEL = 16  # RGBA32F


def payload_cap(work: TextureWork) -> int:
    """The largest payload a texture of this work item could ever need (its size limit, all mips, all layers)."""
    edge = work.desc.max_dimension
    return int(edge * edge * _WORST_BYTES_PER_TEXEL * 4 / 3 * max(1, work.desc.array_layers or len(work.sources) or len(work.paths))) + 65536


def texture_result_problem(work: TextureWork, cooked: CookedTexture, *, verify_hash: bool = True) -> str | None:
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
    problems = texture_payload_problems(_ROW.make(data_offset=0, **cooked.row_fields()), cooked.payload, verify_hash=verify_hash)
    return problems[0] if problems else None


def mesh_result_problem(mesh: MeshBuffers) -> str | None:
    """Why packed mesh buffers cannot be right, or ``None``."""
    if mesh.vertex_count <= 0 or len(mesh.vertices) != mesh.vertex_count * VERTEX_STRIDE:
        return f"{mesh.vertex_count} vertices over a {len(mesh.vertices)}-byte vertex buffer"
    if mesh.index_count < 0 or mesh.index_count % 3 or len(mesh.indices) != mesh.index_count * 4:
        return f"{mesh.index_count} indices over a {len(mesh.indices)}-byte index buffer"
    if mesh.index_count and int(np.frombuffer(mesh.indices, "<u4").max()) >= mesh.vertex_count:
        return f"an index is outside the {mesh.vertex_count} vertices"
    bounds = (*mesh.bbox_min, *mesh.bbox_max)
    if len(bounds) != 6 or not all(math.isfinite(v) for v in bounds) or any(lo > hi for lo, hi in zip(mesh.bbox_min, mesh.bbox_max, strict=True)):
        return f"bounds {mesh.bbox_min}..{mesh.bbox_max} are not finite or not ordered"
    return None
