"""Every fixed structure: sizes and offsets pinned to the spec, byte round trips."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oxcook import formats as f

B = f.Epoch.B


@pytest.mark.parametrize(
    "layout, size",
    [
        (f.TEXTURE_RESOURCE_DESC[B], 39),
        (f.TEXTURE_RESOURCE_DESC[f.Epoch.A], 40),
        (f.BUFFER_RESOURCE_DESC[B], 29),
        (f.BUFFER_RESOURCE_DESC[f.Epoch.A], 32),
        (f.ASSET_HEADER[B], 103),
        (f.ASSET_HEADER[f.Epoch.A], 95),
        (f.MATERIAL_ASSET_DESC[B], 357),
        (f.MATERIAL_ASSET_DESC[f.Epoch.A], 256),
        (f.SHADER_REFERENCE_DESC[B], 417),
        (f.SHADER_REFERENCE_DESC[f.Epoch.A], 424),
        (f.GEOMETRY_ASSET_DESC[B], 131),
        (f.GEOMETRY_ASSET_DESC[f.Epoch.A], 256),
        (f.MESH_DESC[B], 145),
        (f.MESH_DESC[f.Epoch.A], 105),
        (f.SUBMESH_DESC, 108),
        (f.MESH_VIEW_DESC, 16),
        (f.SCENE_ASSET_DESC[B], 139),
        (f.SCENE_ASSET_DESC[f.Epoch.A], 256),
        (f.NODE_RECORD, 68),
        (f.RENDERABLE_RECORD[B], 40),
        (f.RENDERABLE_RECORD[f.Epoch.A], 36),
        (f.TEXTURE_PAYLOAD_HEADER, 28),
        (f.SUBRESOURCE_LAYOUT, 12),
    ],
)
def test_sizes(layout, size):
    assert layout.SIZE == size


def test_field_offsets_match_spec_tables():
    tex = f.TEXTURE_RESOURCE_DESC[B].offsets
    assert (tex["texture_type"], tex["width"], tex["format"], tex["alignment"], tex["content_hash"]) == (12, 14, 28, 29, 31)
    buf = f.BUFFER_RESOURCE_DESC[B].offsets
    assert (buf["element_format"], buf["content_hash"]) == (20, 21)
    mat = f.MATERIAL_ASSET_DESC[B].offsets
    assert (mat["material_domain"], mat["base_color"], mat["base_color_texture"], mat["emissive_factor"]) == (103, 112, 138, 186)
    assert (mat["attenuation_distance"], mat["uv_scale"], mat["uv_set"], mat["grid_origin_color"]) == (220, 224, 244, 341)
    assert f.MATERIAL_ASSET_DESC[f.Epoch.A].offsets["attenuation_distance"] == 212
    assert f.ASSET_HEADER[B].offsets["content_hash"] == 67
    assert f.GEOMETRY_ASSET_DESC[B].offsets["bbox_max"] == 119
    assert f.SCENE_ASSET_DESC[B].offsets["component_table_count"] == 135


@given(
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(1, 2**32 - 1),
    st.integers(1, 2**16 - 1),
    st.sampled_from(list(f.Format)),
)
def test_texture_row_round_trip(offset, size, width, mips, fmt):
    layout = f.TEXTURE_RESOURCE_DESC[B]
    row = layout.make(data_offset=offset, size_bytes=size, width=width, height=width, mip_levels=mips, format=int(fmt), content_hash=offset)
    data = layout.pack(row)
    assert len(data) == 39 and layout.unpack(data) == row
    assert layout.pack(layout.unpack(data)) == data


def test_buffer_sentinel_and_invariants():
    layout = f.BUFFER_RESOURCE_DESC[B]
    assert layout.pack(f.sentinel_row()) == bytes(29)
    vertex = layout.make(size_bytes=144, usage_flags=int(f.BufferUsage.VERTEX | f.BufferUsage.STATIC), element_stride=72)
    assert f.buffer_row_problem(vertex) is None
    assert f.buffer_row_problem(vertex._replace(size_bytes=100)) is not None
    assert f.buffer_row_problem(vertex._replace(element_format=10)) is not None
    assert f.buffer_row_problem(vertex._replace(usage_flags=0x180)) is not None
    assert layout.unpack(layout.pack(vertex)) == vertex


def test_reserved_bytes_must_be_zero():
    layout = f.TEXTURE_RESOURCE_DESC[f.Epoch.A]
    data = bytearray(layout.pack(layout.make()))
    data[39] = 1
    with pytest.raises(f.FormatCorrupt, match="reserved"):
        layout.unpack(bytes(data))


@pytest.mark.parametrize("cut", [0, 1, 38])
def test_truncated_rows(cut):
    layout = f.TEXTURE_RESOURCE_DESC[B]
    with pytest.raises(f.FormatTruncated):
        layout.unpack(layout.pack(layout.make())[:cut])


def test_name_truncated_to_63_bytes_without_splitting_utf8():
    header = f.make_header(f.AssetType.MATERIAL, "é" * 40, 2)
    assert len(header.name) == 64 and header.name[-1] == 0
    assert f.header_name(header) == "é" * 31


def test_seal_descriptor_patches_sha256():
    raw = f.pack_material(f.MATERIAL_ASSET_DESC[B].make(header=f.material_header("Brick")), f.default_shader_refs(False))
    sealed, digest = f.seal_descriptor(raw)
    assert len(sealed) == 1191
    zeroed = sealed[:67] + bytes(32) + sealed[99:]
    assert sealed[67:99] == hashlib.sha256(zeroed).digest()
    assert digest == hashlib.sha256(sealed).digest()
    assert f.descriptor_hash_problem(sealed) is None
    broken = sealed[:200] + b"\x01" + sealed[201:]
    assert f.descriptor_hash_problem(broken) is not None


def test_material_round_trip_and_encodings():
    layout = f.MATERIAL_ASSET_DESC[B]
    desc = layout.make(
        header=f.material_header("Brick"),
        flags=int(f.MaterialFlags.ALPHA_TEST | f.MaterialFlags.DOUBLE_SIDED),
        base_color_texture=3,
        roughness=f.unorm16(0.25),
        emissive_factor=(1.0, 0.5, 0.0),
        uv_scale=(2.0, 2.0),
    )
    raw = f.pack_material(desc, f.default_shader_refs(True))
    back, refs = f.unpack_material(raw)
    assert back.base_color_texture == 3 and back.shader_stages == 0x88
    assert back.emissive_factor == (1.0, 0.5, 0.0)
    assert abs(f.from_unorm16(back.roughness) - 0.25) < 1e-4
    assert [r.shader_type for r in refs] == [3, 7]
    assert f.read_fixed_str(refs[1].defines) == "ALPHA_TEST=1"
    assert f.unorm16(2.0) == 65535 and f.unorm16(-1) == 0 and f.unorm16(0.5) == 32768


def test_material_rejects_trailing_bytes_and_wrong_stage():
    raw = f.pack_material(f.MATERIAL_ASSET_DESC[B].make(header=f.material_header("M")), f.default_shader_refs(False))
    with pytest.raises(f.FormatCorrupt):
        f.unpack_material(raw + b"\0")
    wrong = raw[:357] + b"\x04" + raw[358:]
    with pytest.raises(f.FormatCorrupt, match="shader reference"):
        f.unpack_material(wrong)


def _geometry() -> f.Geometry:
    view = f.MeshView(0, 36, 0, 24)
    sub = f.SubMesh("Box", f.asset_key_for("/.cooked/Materials/M.omat"), (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0), (view,))
    mesh = f.Mesh("Box", 1, 2, (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0), (sub, sub))
    return f.Geometry("Box", (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0), (mesh,))


@pytest.mark.parametrize("epoch", list(f.Epoch))
def test_geometry_round_trip(epoch):
    raw = f.pack_geometry(_geometry(), epoch=epoch)
    assert len(raw) == f.GEOMETRY_ASSET_DESC[epoch].SIZE + f.MESH_DESC[epoch].SIZE + 2 * (108 + 16)
    assert f.unpack_geometry(raw, epoch=epoch) == _geometry()


@pytest.mark.parametrize("cut", [10, 131, 200, 300, 400])
def test_geometry_truncated(cut):
    raw = f.pack_geometry(_geometry())
    with pytest.raises(f.FormatError):
        f.unpack_geometry(raw[:cut])


def _scene() -> f.Scene:
    nodes = (
        f.SceneNode(f.asset_key_for("/.cooked/Scenes/a.node"), "Root", 0),
        f.SceneNode(f.asset_key_for("/.cooked/Scenes/b.node"), "Child", 0, (1.0, 2.0, 3.0), (0.0, 0.0, 0.7071067690849304, 0.7071067690849304), (2.0, 2.0, 2.0)),
    )
    return f.Scene("Scene", nodes, (f.Renderable(1, f.asset_key_for("/.cooked/Geometry/Box.ogeo")),))


@pytest.mark.parametrize("epoch", list(f.Epoch))
def test_scene_round_trip_with_empty_environment(epoch):
    raw = f.pack_scene(_scene(), epoch=epoch)
    env = 8 if epoch == f.Epoch.B else 16
    assert int.from_bytes(raw[-env:][:4], "little") == env
    back = f.unpack_scene(raw, epoch=epoch)
    expected = _scene()
    if epoch == f.Epoch.A:
        assert back.nodes == expected.nodes and back.renderables[0].geometry_key == expected.renderables[0].geometry_key
    else:
        assert back == expected


def test_scene_rejects_broken_hierarchy():
    bad = f.Scene("S", (f.SceneNode(bytes(16), "Root", 1),))
    with pytest.raises(f.FormatCorrupt):
        f.pack_scene(bad)
    raw = bytearray(f.pack_scene(_scene()))
    raw[139 + 68 + 20 : 139 + 68 + 24] = (9).to_bytes(4, "little")  # child's parent index
    with pytest.raises(f.FormatCorrupt):
        f.unpack_scene(bytes(raw))


def test_otex_sidecar():
    row = f.TEXTURE_RESOURCE_DESC[B].make(width=4, height=4, format=int(f.Format.BC7_UNORM))
    data = f.pack_otex(5, row)
    assert len(data) == f.OTEX_SIZE == 51 and data[:4] == b"OTEX"
    back = f.unpack_otex(data)
    assert back.resource_index == 5 and back.row == row
    path = f.otex_relpath("textures/Brick Wall_n.png")
    assert path.startswith("Resources/Textures/Brick_Wall_n_") and path.endswith(".otex")
    assert f.relative_path_problem(path) is None
    with pytest.raises(f.FormatNotRecognized):
        f.unpack_otex(b"NOPE" + data[4:])
