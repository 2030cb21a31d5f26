"""``GeometryAssetDesc`` (``.ogeo``) with its mesh, submesh and mesh-view tables (spec §4.5).

File order::

    GeometryAssetDesc
    MeshDesc[lod_count]          each followed by its procedural params blob (if any),
      SubMeshDesc[submesh_count] each followed by MeshViewDesc[mesh_view_count]

Buffer fields are indices into the same root's ``buffers.table`` (0 = none in
Epoch B); a submesh names its material by AssetKey.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._asset_header import ASSET_HEADER, AssetType, make_header
from ._errors import FormatCorrupt
from ._index import Epoch
from ._layout import Layout, fixed_str, read_fixed_str

GEOMETRY_ASSET_VERSION = 1  # Epoch B's kGeometryAssetVersion


class MeshType(enum.IntEnum):
    UNKNOWN = 0
    STANDARD = 1
    PROCEDURAL = 2
    SKINNED = 3
    MORPH_TARGET = 4
    INSTANCED = 5
    COLLISION = 6
    NAVIGATION = 7
    BILLBOARD = 8
    VOXEL = 9


_BBOX = [("bbox_min", "f32[3]"), ("bbox_max", "f32[3]")]

GEOMETRY_ASSET_DESC = {
    Epoch.A: Layout(
        "GeometryAssetDesc",
        [("header", ASSET_HEADER[Epoch.A]), ("lod_count", "u32", 1), *_BBOX, ("_reserved", "bytes[133]")],
        size=256,
    ),
    Epoch.B: Layout("GeometryAssetDesc", [("header", ASSET_HEADER[Epoch.B]), ("lod_count", "u32", 1), *_BBOX], size=131),
}
_INFO_SIZE = {Epoch.A: 32, Epoch.B: 72}
MESH_DESC = {
    epoch: Layout(
        "MeshDesc",
        [
            ("name", "bytes[64]"),
            ("mesh_type", "u8", int(MeshType.STANDARD)),
            ("submesh_count", "u32"),
            ("mesh_view_count", "u32"),
            ("info", f"bytes[{_INFO_SIZE[epoch]}]"),
        ],
        size=73 + _INFO_SIZE[epoch],
    )
    for epoch in Epoch
}
STANDARD_MESH_INFO = {
    Epoch.A: Layout("StandardMeshInfo", [("vertex_buffer", "u32"), ("index_buffer", "u32"), *_BBOX], size=32),
    Epoch.B: Layout(
        "StandardMeshInfo", [("vertex_buffer", "u32"), ("index_buffer", "u32"), *_BBOX, ("_reserved", "bytes[40]")], size=72
    ),
}
SUBMESH_DESC = Layout(
    "SubMeshDesc",
    [("name", "bytes[64]"), ("material_asset_key", "bytes[16]"), ("mesh_view_count", "u32"), *_BBOX],
    size=108,
)
MESH_VIEW_DESC = Layout(
    "MeshViewDesc",
    [("first_index", "u32"), ("index_count", "u32"), ("first_vertex", "u32"), ("vertex_count", "u32")],
    size=16,
)

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class MeshView:
    first_index: int
    index_count: int
    first_vertex: int
    vertex_count: int


@dataclass(frozen=True)
class SubMesh:
    name: str
    material_asset_key: bytes
    bbox_min: Vec3
    bbox_max: Vec3
    views: tuple[MeshView, ...]


@dataclass(frozen=True)
class Mesh:
    """One LOD: a standard mesh over one vertex and one index buffer."""

    name: str
    vertex_buffer: int
    index_buffer: int
    bbox_min: Vec3
    bbox_max: Vec3
    submeshes: tuple[SubMesh, ...]
    mesh_type: MeshType = MeshType.STANDARD
    params: bytes = b""  # procedural meshes only


@dataclass(frozen=True)
class Geometry:
    name: str
    bbox_min: Vec3
    bbox_max: Vec3
    lods: tuple[Mesh, ...]


def pack_geometry(geometry: Geometry, *, epoch: Epoch = Epoch.B) -> bytes:
    """The unsealed ``.ogeo`` bytes (see ``seal_descriptor``)."""
    if not geometry.lods:
        raise FormatCorrupt("GeometryAssetDesc", "a geometry needs at least one LOD")
    header = make_header(AssetType.GEOMETRY, geometry.name, GEOMETRY_ASSET_VERSION if epoch == Epoch.B else 0, epoch=epoch)
    out = bytearray(
        GEOMETRY_ASSET_DESC[epoch].pack(
            GEOMETRY_ASSET_DESC[epoch].make(
                header=header, lod_count=len(geometry.lods), bbox_min=geometry.bbox_min, bbox_max=geometry.bbox_max
            )
        )
    )
    info_layout, mesh_layout = STANDARD_MESH_INFO[epoch], MESH_DESC[epoch]
    for mesh in geometry.lods:
        if mesh.mesh_type == MeshType.PROCEDURAL:
            info = len(mesh.params).to_bytes(4, "little").ljust(_INFO_SIZE[epoch], b"\0")
        else:
            info = info_layout.pack(
                info_layout.make(
                    vertex_buffer=mesh.vertex_buffer, index_buffer=mesh.index_buffer, bbox_min=mesh.bbox_min, bbox_max=mesh.bbox_max
                )
            )
        out += mesh_layout.pack(
            mesh_layout.make(
                name=fixed_str(mesh.name, 64),
                mesh_type=int(mesh.mesh_type),
                submesh_count=len(mesh.submeshes),
                mesh_view_count=sum(len(s.views) for s in mesh.submeshes),
                info=info,
            )
        )
        out += mesh.params
        for sub in mesh.submeshes:
            out += SUBMESH_DESC.pack(
                SUBMESH_DESC.make(
                    name=fixed_str(sub.name, 64),
                    material_asset_key=sub.material_asset_key,
                    mesh_view_count=len(sub.views),
                    bbox_min=sub.bbox_min,
                    bbox_max=sub.bbox_max,
                )
            )
            for view in sub.views:
                out += MESH_VIEW_DESC.pack(MESH_VIEW_DESC.make(**view.__dict__))
    return bytes(out)


def unpack_geometry(data: bytes, *, epoch: Epoch = Epoch.B, where: str = "ogeo") -> Geometry:
    """Read a whole ``.ogeo``; every count is checked against the bytes present.

    Raises:
        FormatError: truncated, wrong asset type, inconsistent view counts, or
            trailing bytes.
    """
    desc = GEOMETRY_ASSET_DESC[epoch].unpack(data, 0, where=f"{where}:GeometryAssetDesc")
    if desc.header.asset_type != AssetType.GEOMETRY:
        raise FormatCorrupt(where, f"asset_type {desc.header.asset_type} is not a geometry", offset=0)
    if desc.lod_count < 1:
        raise FormatCorrupt(where, "lod_count is 0")
    at = GEOMETRY_ASSET_DESC[epoch].SIZE
    lods = []
    for lod in range(desc.lod_count):
        mw = f"{where}:MeshDesc[{lod}]"
        m = MESH_DESC[epoch].unpack(data, at, where=mw)
        at += MESH_DESC[epoch].SIZE
        params = b""
        vb = ib = 0
        bmin = bmax = (0.0, 0.0, 0.0)
        if m.mesh_type == MeshType.PROCEDURAL:
            size = int.from_bytes(m.info[:4], "little")
            if at + size > len(data):
                raise FormatCorrupt(mw, f"procedural params of {size} bytes run past the file", offset=at)
            params = data[at : at + size]
            at += size
        elif m.mesh_type == MeshType.STANDARD:
            info = STANDARD_MESH_INFO[epoch].unpack(m.info, 0, where=f"{mw}.info")
            vb, ib, bmin, bmax = info.vertex_buffer, info.index_buffer, info.bbox_min, info.bbox_max
        subs = []
        for s in range(m.submesh_count):
            sw = f"{mw}.SubMeshDesc[{s}]"
            sd = SUBMESH_DESC.unpack(data, at, where=sw)
            at += SUBMESH_DESC.SIZE
            views = MESH_VIEW_DESC.unpack_array(data, sd.mesh_view_count, at, where=f"{sw}.MeshViewDesc")
            at += MESH_VIEW_DESC.SIZE * sd.mesh_view_count
            subs.append(
                SubMesh(
                    read_fixed_str(sd.name),
                    sd.material_asset_key,
                    sd.bbox_min,
                    sd.bbox_max,
                    tuple(MeshView(*v) for v in views),
                )
            )
        if sum(len(s.views) for s in subs) != m.mesh_view_count:
            raise FormatCorrupt(mw, f"mesh_view_count {m.mesh_view_count} differs from the submeshes' total")
        lods.append(Mesh(read_fixed_str(m.name), vb, ib, bmin, bmax, tuple(subs), MeshType(m.mesh_type) if m.mesh_type in MeshType._value2member_map_ else MeshType.UNKNOWN, params))
    if at != len(data):
        raise FormatCorrupt(where, f"{len(data) - at} unexpected bytes after the last LOD", offset=at)
    return Geometry(read_fixed_str(desc.header.name), desc.bbox_min, desc.bbox_max, tuple(lods))
