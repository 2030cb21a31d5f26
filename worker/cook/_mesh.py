"""Mesh processing: the engine's 72-byte vertices, u32 indices, tangent frames, bounds (spec §3.1).

Pure numpy over arrays a scene importer extracted; no file I/O. Tangents, when
the source has none, are computed per triangle from positions and UVs
(Lengyel's method), accumulated per vertex, Gram–Schmidt orthogonalised against
the normal, and signed so that ``bitangent = cross(normal, tangent) * w`` — the
MikkTSpace conventions that glTF normal maps are authored for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VERTEX_FLOATS = 18  # position 3, normal 3, texcoord 2, tangent 3, bitangent 3, color 4


@dataclass(frozen=True)
class MeshBuffers:
    vertices: bytes  # N x 72 bytes
    indices: bytes  # u32
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]
    vertex_count: int
    index_count: int


def _normalize(v: np.ndarray, fallback: tuple[float, float, float]) -> np.ndarray:
    length = np.linalg.norm(v, axis=1, keepdims=True)
    out = np.where(length > 1e-12, v / np.maximum(length, 1e-12), np.asarray(fallback, np.float32))
    return out.astype(np.float32)


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals for a triangle list."""
    tri = indices.reshape(-1, 3)
    p0, p1, p2 = positions[tri[:, 0]], positions[tri[:, 1]], positions[tri[:, 2]]
    face = np.cross(p1 - p0, p2 - p0)
    normals = np.zeros_like(positions)
    for corner in range(3):
        np.add.at(normals, tri[:, corner], face)
    return _normalize(normals, (0.0, 0.0, 1.0))


def tangent_frames(positions: np.ndarray, normals: np.ndarray, uvs: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex tangents and bitangents from positions and UVs."""
    tri = indices.reshape(-1, 3)
    p0, p1, p2 = positions[tri[:, 0]], positions[tri[:, 1]], positions[tri[:, 2]]
    w0, w1, w2 = uvs[tri[:, 0]], uvs[tri[:, 1]], uvs[tri[:, 2]]
    e1, e2 = p1 - p0, p2 - p0
    d1, d2 = w1 - w0, w2 - w0
    det = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    r = np.where(np.abs(det) > 1e-20, 1.0 / np.where(np.abs(det) > 1e-20, det, 1.0), 0.0)[:, None]
    sdir = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) * r
    tdir = (e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) * r
    tan = np.zeros_like(positions)
    bit = np.zeros_like(positions)
    for corner in range(3):
        np.add.at(tan, tri[:, corner], sdir)
        np.add.at(bit, tri[:, corner], tdir)
    tangents = tan - normals * np.sum(normals * tan, axis=1, keepdims=True)
    # a vertex without UV variation gets any vector perpendicular to its normal
    helper = np.where(np.abs(normals[:, 0:1]) < 0.9, np.array([[1.0, 0.0, 0.0]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32))
    fallback = np.cross(normals, helper)
    degenerate = np.linalg.norm(tangents, axis=1) < 1e-12
    tangents[degenerate] = fallback[degenerate]
    tangents = _normalize(tangents, (1.0, 0.0, 0.0))
    handedness = np.where(np.sum(np.cross(normals, tangents) * bit, axis=1) < 0.0, -1.0, 1.0).astype(np.float32)
    return tangents, np.cross(normals, tangents) * handedness[:, None]


def build_mesh_buffers(
    positions: np.ndarray,
    indices: np.ndarray | None = None,
    *,
    normals: np.ndarray | None = None,
    uvs: np.ndarray | None = None,
    tangents: np.ndarray | None = None,
    colors: np.ndarray | None = None,
) -> MeshBuffers:
    """Pack one primitive into the engine's vertex and index buffers.

    Args:
        positions: ``(n, 3)``; indices: ``(m,)`` triangle list (``None``: 0..n-1).
        tangents: ``(n, 4)`` with handedness in ``w`` (generated when absent).
        colors: ``(n, 3|4)`` (white when absent).
    """
    positions = np.asarray(positions, np.float32).reshape(-1, 3)
    n = len(positions)
    indices = np.arange(n, dtype=np.uint32) if indices is None else np.asarray(indices, np.uint32).reshape(-1)
    if len(indices) % 3 or (len(indices) and int(indices.max()) >= n):
        raise ValueError(f"index list of {len(indices)} does not form triangles over {n} vertices")
    normals = vertex_normals(positions, indices) if normals is None else _normalize(np.asarray(normals, np.float32).reshape(-1, 3), (0.0, 0.0, 1.0))
    uvs = np.zeros((n, 2), np.float32) if uvs is None else np.asarray(uvs, np.float32).reshape(-1, 2)
    if tangents is None:
        tangent, bitangent = tangent_frames(positions, normals, uvs, indices)
    else:
        t = np.asarray(tangents, np.float32).reshape(-1, 4)
        tangent = _normalize(t[:, :3], (1.0, 0.0, 0.0))
        bitangent = np.cross(normals, tangent) * np.where(t[:, 3:4] < 0, -1.0, 1.0).astype(np.float32)
    rgba = np.ones((n, 4), np.float32)
    if colors is not None:
        c = np.asarray(colors, np.float32)
        rgba[:, : c.shape[1]] = c
    vertices = np.concatenate([positions, normals, uvs, tangent, bitangent, rgba], axis=1).astype(np.float32)
    lo = positions.min(axis=0) if n else np.zeros(3, np.float32)
    hi = positions.max(axis=0) if n else np.zeros(3, np.float32)
    return MeshBuffers(
        vertices=np.ascontiguousarray(vertices).tobytes(),
        indices=np.ascontiguousarray(indices, dtype="<u4").tobytes(),
        bbox_min=tuple(float(v) for v in lo),
        bbox_max=tuple(float(v) for v in hi),
        vertex_count=n,
        index_count=len(indices),
    )
