"""``MaterialAssetDesc`` (``.omat``) and its trailing ``ShaderReferenceDesc`` records (spec §4.4).

A material descriptor is the packed ``MaterialAssetDesc`` (357 B in Epoch B,
256 B in A) followed by ``popcount(shader_stages)`` shader references in
ascending bit order. Texture fields are u32 indices into the same root's
``textures.table`` (0 = the fallback).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._asset_header import ASSET_HEADER, AssetType, make_header
from ._errors import FormatCorrupt
from ._index import Epoch
from ._layout import Layout, fixed_str

MATERIAL_ASSET_VERSION = 2  # Epoch B's kMaterialAssetVersion


class MaterialFlags(enum.IntFlag):
    NONE = 0
    NO_TEXTURE_SAMPLING = 0x01
    DOUBLE_SIDED = 0x02
    ALPHA_TEST = 0x04
    UNLIT = 0x08
    GLTF_ORM_PACKED = 0x10
    PROCEDURAL_GRID = 0x20  # Epoch B only


class MaterialDomain(enum.IntEnum):
    UNKNOWN = 0
    OPAQUE = 1
    ALPHA_BLENDED = 2
    MASKED = 3
    DECAL = 4
    USER_INTERFACE = 5
    POST_PROCESS = 6


class ShaderType(enum.IntEnum):
    AMPLIFICATION = 1
    MESH = 2
    VERTEX = 3
    HULL = 4
    DOMAIN = 5
    GEOMETRY = 6
    PIXEL = 7
    COMPUTE = 8


def unorm16(value: float) -> int:
    """The engine's ``unorm16`` encoding: ``min(65535, clamp(v, 0, 1) * 65535 + 0.5)``."""
    return min(65535, int(min(max(value, 0.0), 1.0) * 65535 + 0.5))


def from_unorm16(raw: int) -> float:
    return raw / 65535.0


TEXTURE_FIELDS = (
    "base_color_texture",
    "normal_texture",
    "metallic_texture",
    "roughness_texture",
    "ambient_occlusion_texture",
    "emissive_texture",
    "specular_texture",
    "sheen_color_texture",
    "clearcoat_texture",
    "clearcoat_normal_texture",
    "transmission_texture",
    "thickness_texture",
)

_COMMON = [
    ("material_domain", "u8", int(MaterialDomain.OPAQUE)),
    ("flags", "u32"),
    ("shader_stages", "u32"),
    ("base_color", "f32[4]", (1.0, 1.0, 1.0, 1.0)),
    ("normal_scale", "f32", 1.0),
    ("metalness", "u16", 0),
    ("roughness", "u16", 65535),
    ("ambient_occlusion", "u16", 65535),
    *[(name, "u32") for name in TEXTURE_FIELDS],
    ("emissive_factor", "f16[3]", (0.0, 0.0, 0.0)),
    ("alpha_cutoff", "u16", unorm16(0.5)),
    ("ior", "f32", 1.5),
    ("specular_factor", "u16", 65535),
    ("sheen_color_factor", "f16[3]", (0.0, 0.0, 0.0)),
    ("clearcoat_factor", "u16"),
    ("clearcoat_roughness", "u16"),
    ("transmission_factor", "u16"),
    ("thickness_factor", "u16"),
    ("attenuation_color", "f16[3]", (1.0, 1.0, 1.0)),
    ("attenuation_distance", "f32", 0.0),
]

MATERIAL_ASSET_DESC = {
    Epoch.A: Layout(
        "MaterialAssetDesc", [("header", ASSET_HEADER[Epoch.A]), *_COMMON, ("_reserved", "bytes[40]")], size=256
    ),
    Epoch.B: Layout(
        "MaterialAssetDesc",
        [
            ("header", ASSET_HEADER[Epoch.B]),
            *_COMMON,
            ("uv_scale", "f32[2]", (1.0, 1.0)),
            ("uv_offset", "f32[2]", (0.0, 0.0)),
            ("uv_rotation_radians", "f32", 0.0),
            ("uv_set", "u8"),
            ("grid_spacing", "f32[2]", (1.0, 1.0)),
            ("grid_major_every", "u32", 10),
            ("grid_line_thickness", "f32", 1.0),
            ("grid_major_thickness", "f32", 2.0),
            ("grid_axis_thickness", "f32", 2.0),
            ("grid_fade_start", "f32", 0.0),
            ("grid_fade_end", "f32", 0.0),
            ("grid_minor_color", "f32[4]", (0.35, 0.35, 0.35, 1.0)),
            ("grid_major_color", "f32[4]", (0.55, 0.55, 0.55, 1.0)),
            ("grid_axis_color_x", "f32[4]", (0.9, 0.2, 0.2, 1.0)),
            ("grid_axis_color_y", "f32[4]", (0.2, 0.6, 0.9, 1.0)),
            ("grid_origin_color", "f32[4]", (1.0, 1.0, 1.0, 1.0)),
        ],
        size=357,
    ),
}

SHADER_REFERENCE_DESC = {
    Epoch.A: Layout(
        "ShaderReferenceDesc",
        [
            ("shader_type", "u8"),
            ("_reserved0", "bytes[7]"),
            ("source_path", "bytes[120]"),
            ("entry_point", "bytes[32]"),
            ("defines", "bytes[256]"),
            ("shader_hash", "u64"),
        ],
        size=424,
    ),
    Epoch.B: Layout(
        "ShaderReferenceDesc",
        [
            ("shader_type", "u8"),
            ("source_path", "bytes[120]"),
            ("entry_point", "bytes[32]"),
            ("defines", "bytes[256]"),
            ("shader_hash", "u64"),
        ],
        size=417,
    ),
}


@dataclass(frozen=True)
class ShaderRef:
    shader_type: ShaderType
    source_path: str
    entry_point: str
    defines: str = ""


def default_shader_refs(alpha_test: bool) -> tuple[ShaderRef, ...]:
    """The two references the Epoch-B cooker writes for every material (§4.4)."""
    return (
        ShaderRef(ShaderType.VERTEX, "Vortex/Stages/Translucency/ForwardMesh_VS.hlsl", "VS"),
        ShaderRef(ShaderType.PIXEL, "Vortex/Stages/Translucency/ForwardMesh_PS.hlsl", "PS", "ALPHA_TEST=1" if alpha_test else ""),
    )


def material_header(name: str, *, epoch: Epoch = Epoch.B) -> object:
    return make_header(AssetType.MATERIAL, name, MATERIAL_ASSET_VERSION if epoch == Epoch.B else 0, epoch=epoch)


def pack_material(desc: object, shaders: tuple[ShaderRef, ...] = (), *, epoch: Epoch = Epoch.B) -> bytes:
    """The unsealed descriptor bytes (see ``seal_descriptor``); ``shader_stages`` is set from ``shaders``."""
    stages = 0
    for ref in shaders:
        stages |= 1 << int(ref.shader_type)
    if len({int(r.shader_type) for r in shaders}) != len(shaders):
        raise FormatCorrupt("MaterialAssetDesc", "two shader references for one stage")
    layout, ref_layout = MATERIAL_ASSET_DESC[epoch], SHADER_REFERENCE_DESC[epoch]
    out = layout.pack(desc._replace(shader_stages=stages))
    for ref in sorted(shaders, key=lambda r: int(r.shader_type)):
        out += ref_layout.pack(
            ref_layout.make(
                shader_type=int(ref.shader_type),
                source_path=fixed_str(ref.source_path, 120),
                entry_point=fixed_str(ref.entry_point, 32),
                defines=fixed_str(ref.defines, 256),
            )
        )
    return out


def unpack_material(data: bytes, *, epoch: Epoch = Epoch.B, where: str = "omat") -> tuple[object, list[object]]:
    """The material record and its shader references, with the loader's checks.

    Raises:
        FormatError: truncated, the wrong asset type, a shader record for the
            wrong stage, or trailing bytes.
    """
    layout, ref_layout = MATERIAL_ASSET_DESC[epoch], SHADER_REFERENCE_DESC[epoch]
    desc = layout.unpack(data, 0, where=f"{where}:MaterialAssetDesc")
    if desc.header.asset_type != AssetType.MATERIAL:
        raise FormatCorrupt(where, f"asset_type {desc.header.asset_type} is not a material", offset=0)
    bits = [b for b in range(32) if desc.shader_stages >> b & 1]
    refs = ref_layout.unpack_array(data, len(bits), layout.SIZE, where=f"{where}:ShaderReferenceDesc")
    for i, (bit, ref) in enumerate(zip(bits, refs)):
        if ref.shader_type != bit:
            raise FormatCorrupt(where, f"shader reference {i} has type {ref.shader_type}, expected {bit}")
    end = layout.SIZE + len(refs) * ref_layout.SIZE
    if len(data) != end:
        raise FormatCorrupt(where, f"{len(data) - end} unexpected bytes after the shader references", offset=end)
    return desc, refs
