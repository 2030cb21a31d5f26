"""A small, valid cooked root built straight from ``formats`` (no coordinator).

Used by the validator and inspect tests as the thing to corrupt one rule at a
time: a fallback texture plus two textures, a buffers pair with the sentinel
row, one material, one geometry and one scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oxcook import formats as f

B = f.Epoch.B


@dataclass
class SampleRoot:
    root: Path
    texture_rows: list
    material_vpath: str
    geometry_vpath: str


def _texture(width: int, height: int, fmt: f.Format, fill: int) -> tuple[bytes, int, f.PayloadLayout]:
    mips = f.full_mip_count(width, height)
    layout = f.compute_layout(f.TextureType.TEXTURE_2D, fmt, width, height, mip_levels=mips)
    subs = [bytes([fill]) * (s.row_bytes * s.rows) for s in layout.subresources]
    payload, digest = f.pack_payload(layout, subs)
    return payload, digest, layout


def build_sample_root(root: Path) -> SampleRoot:
    root.mkdir(parents=True, exist_ok=True)
    res = root / "Resources"
    res.mkdir(exist_ok=True)
    tex_layout = f.TEXTURE_RESOURCE_DESC[B]
    data = bytearray()
    rows = []
    fallback, fb_hash = f.fallback_payload()
    data += fallback
    rows.append(tex_layout.make(data_offset=0, size_bytes=len(fallback), content_hash=fb_hash, **f.fallback_row_fields()))
    for w, h, fmt, fill in ((16, 8, f.Format.BC7_UNORM_SRGB, 0x11), (5, 3, f.Format.RGBA8_UNORM, 0x7F)):
        payload, digest, layout = _texture(w, h, fmt, fill)
        offset = f.align_up(len(data), 256)
        data += bytes(offset - len(data)) + payload
        rows.append(
            tex_layout.make(
                data_offset=offset,
                size_bytes=len(payload),
                compression_type=f.compression_type_for(fmt),
                width=w,
                height=h,
                mip_levels=layout.mip_levels,
                format=int(fmt),
                content_hash=digest,
            )
        )
    (res / "textures.data").write_bytes(bytes(data))
    (res / "textures.table").write_bytes(tex_layout.pack_array(rows))

    buf_layout = f.BUFFER_RESOURCE_DESC[B]
    vertices = bytes(range(256))[:144]  # two 72-byte vertices
    indices = (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + (1).to_bytes(4, "little")
    vert_off = 0
    idx_off = f.align_up(len(vertices), 4)
    (res / "buffers.data").write_bytes(vertices + bytes(idx_off - len(vertices)) + indices)
    buffer_rows = [
        f.sentinel_row(),
        buf_layout.make(data_offset=vert_off, size_bytes=len(vertices), usage_flags=0x101, element_stride=72, content_hash=f.content_hash(vertices)),
        buf_layout.make(data_offset=idx_off, size_bytes=len(indices), usage_flags=0x102, element_format=10, content_hash=f.content_hash(indices)),
    ]
    (res / "buffers.table").write_bytes(buf_layout.pack_array(buffer_rows))

    assets = []

    def add(vpath: str, asset_type: f.AssetType, raw: bytes) -> None:
        sealed, sha = f.seal_descriptor(raw)
        rel = vpath[len("/.cooked/") :]
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(sealed)
        assets.append(f.AssetRecord(f.asset_key_for(vpath), int(asset_type), rel, vpath, len(sealed), sha))

    mat_vpath = "/.cooked/Materials/Brick.omat"
    mat = f.MATERIAL_ASSET_DESC[B].make(header=f.material_header("Brick"), base_color_texture=1)
    add(mat_vpath, f.AssetType.MATERIAL, f.pack_material(mat, f.default_shader_refs(False)))
    geo_vpath = "/.cooked/Geometry/Box.ogeo"
    sub = f.SubMesh("Box", f.asset_key_for(mat_vpath), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (f.MeshView(0, 3, 0, 2),))
    geo = f.Geometry("Box", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (f.Mesh("Box", 1, 2, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (sub,)),))
    add(geo_vpath, f.AssetType.GEOMETRY, f.pack_geometry(geo))
    scene = f.Scene("Main", (f.SceneNode(f.asset_key_for("/.cooked/Scenes/Main.node0"), "Root", 0),), (f.Renderable(0, f.asset_key_for(geo_vpath)),))
    add("/.cooked/Scenes/Main.oscene", f.AssetType.SCENE, f.pack_scene(scene))

    files = tuple(
        f.FileRecordInfo(int(kind), f.DEFAULT_RELPATHS[kind], (root / f.DEFAULT_RELPATHS[kind]).stat().st_size)
        for kind in (f.FileKind.BUFFERS_TABLE, f.FileKind.BUFFERS_DATA, f.FileKind.TEXTURES_TABLE, f.FileKind.TEXTURES_DATA)
    )
    index = f.ContainerIndex(f.new_source_key(), tuple(assets), files)
    (root / f.INDEX_FILE_NAME).write_bytes(f.build_index(index))
    return SampleRoot(root, rows, mat_vpath, geo_vpath)
