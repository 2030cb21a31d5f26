"""``GltfImporter``: glTF 2.0 (``.gltf``/``.glb``) described as a plain scene for the shared flow.

Slot presets: base colour → albedo sRGB (alpha-test when ``alphaMode`` is MASK),
normal → normal map, metallicRoughness and occlusion → ORM data (one cook when
they share an image, with the GltfOrmPacked flag), emissive → emissive sRGB.
``KHR_texture_transform`` on the base colour texture gives the material's UV
transform and set; ``KHR_materials_emissive_strength`` scales the emissive
factor. glTF samplers' wrap and filter modes have no field in the engine's
material or texture row, so they are not carried.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._errors import PathEscapesRoot, SceneError
from ._gltf_reader import GltfDocument, image_source, load_gltf, read_accessor
from ._importer import ImportFormat
from ._scene_description import SceneDescription, SceneImage, SceneMaterial, SceneMeshDesc, SceneNodeDesc, ScenePrimitive, walk_nodes
from ._scene_importer import SceneImporter

_SLOTS = (  # material field, glTF path, preset
    ("base_color_texture", ("pbrMetallicRoughness", "baseColorTexture"), "albedo"),
    ("normal_texture", ("normalTexture",), "normal"),
    ("metallic_texture", ("pbrMetallicRoughness", "metallicRoughnessTexture"), "orm"),
    ("ambient_occlusion_texture", ("occlusionTexture",), "orm"),
    ("emissive_texture", ("emissiveTexture",), "emissive"),
)
_ATTRIBUTES = {"positions": "POSITION", "normals": "NORMAL", "uvs": "TEXCOORD_0", "tangents": "TANGENT", "colors": "COLOR_0"}


def _texture_info(material: dict, path: tuple[str, ...]) -> dict | None:
    node = material
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) and "index" in node else None


def _quaternion(m: np.ndarray) -> tuple[float, float, float, float]:
    """Rotation matrix (orthonormal 3x3) to an XYZW quaternion."""
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        return ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s)
    i = int(np.argmax([m[0, 0], m[1, 1], m[2, 2]]))
    j, k = (i + 1) % 3, (i + 2) % 3
    s = math.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k]) * 2
    q = [0.0, 0.0, 0.0, 0.0]
    q[i] = 0.25 * s
    q[j] = (m[j, i] + m[i, j]) / s
    q[k] = (m[k, i] + m[i, k]) / s
    q[3] = (m[k, j] - m[j, k]) / s
    return tuple(q)


def node_trs(node: dict) -> tuple[tuple, tuple, tuple]:
    """A glTF node's translation, rotation (XYZW) and scale, decomposing ``matrix`` when given."""
    if "matrix" in node:
        m = np.asarray(node["matrix"], np.float64).reshape(4, 4).T  # glTF stores column-major
        scale = np.linalg.norm(m[:3, :3], axis=0)
        rot = m[:3, :3] / np.where(scale > 0, scale, 1.0)
        if np.linalg.det(rot) < 0:
            scale[0], rot[:, 0] = -scale[0], -rot[:, 0]
        return tuple(float(v) for v in m[:3, 3]), tuple(float(v) for v in _quaternion(rot)), tuple(float(v) for v in scale)
    return (
        tuple(float(v) for v in node.get("translation", (0.0, 0.0, 0.0))),
        tuple(float(v) for v in node.get("rotation", (0.0, 0.0, 0.0, 1.0))),
        tuple(float(v) for v in node.get("scale", (1.0, 1.0, 1.0))),
    )


def _material(doc: GltfDocument, material: dict, i: int) -> SceneMaterial:
    pbr = material.get("pbrMetallicRoughness", {})
    textures = doc.list("textures")
    slots = {}
    for field, gltf_path, preset in _SLOTS:
        info = _texture_info(material, gltf_path)
        if info is None:
            continue
        texture = textures[info["index"]] if 0 <= info["index"] < len(textures) else {}
        image = texture.get("source", -1)
        if preset == "albedo" and material.get("alphaMode") == "MASK":
            preset = "albedo-alpha-test"
        slots[field] = (image if isinstance(image, int) else -1, preset)
    if "metallic_texture" in slots:
        slots["roughness_texture"] = slots["metallic_texture"]  # glTF packs both in one image (B, G)
    uv = {}
    base_info = _texture_info(material, ("pbrMetallicRoughness", "baseColorTexture")) or {}
    transform = base_info.get("extensions", {}).get("KHR_texture_transform")
    if transform:
        uv = dict(
            uv_offset=tuple(float(v) for v in transform.get("offset", (0.0, 0.0))),
            uv_scale=tuple(float(v) for v in transform.get("scale", (1.0, 1.0))),
            uv_rotation_radians=float(transform.get("rotation", 0.0)),
            uv_set=int(transform.get("texCoord", base_info.get("texCoord", 0))),
        )
    elif base_info.get("texCoord"):
        uv = dict(uv_set=int(base_info["texCoord"]))
    strength = float(material.get("extensions", {}).get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0))
    mr, occ = slots.get("metallic_texture"), slots.get("ambient_occlusion_texture")
    return SceneMaterial(
        name=material.get("name") or f"material{i}",
        slots=slots,
        alpha_mode=material.get("alphaMode", "OPAQUE"),
        alpha_cutoff=float(material.get("alphaCutoff", 0.5)),
        double_sided=bool(material.get("doubleSided", False)),
        base_color=tuple(pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0))),
        metalness=float(pbr.get("metallicFactor", 1.0)),
        roughness=float(pbr.get("roughnessFactor", 1.0)),
        normal_scale=float(material.get("normalTexture", {}).get("scale", 1.0)),
        occlusion=float(material.get("occlusionTexture", {}).get("strength", 1.0)),
        emissive=tuple(float(v) * strength for v in material.get("emissiveFactor", (0.0, 0.0, 0.0))),
        orm_packed=mr is not None and occ is not None and mr[0] == occ[0],
        uv=uv,
    )


def _mesh(doc: GltfDocument, mesh: dict, index: int) -> SceneMeshDesc:
    primitives = []
    for p, prim in enumerate(mesh.get("primitives", [])):
        if prim.get("mode", 4) != 4:
            raise SceneError(f"{doc.path.name}: mesh {index} primitive {p}: only triangle lists are supported (mode {prim.get('mode')})")
        attrs = prim.get("attributes", {})
        if "POSITION" not in attrs:
            raise SceneError(f"{doc.path.name}: mesh {index} primitive {p} has no POSITION")
        arrays = {ours: read_accessor(doc, attrs[theirs]).astype(np.float32) for ours, theirs in _ATTRIBUTES.items() if theirs in attrs}
        if "indices" in prim:
            arrays["indices"] = read_accessor(doc, prim["indices"]).reshape(-1).astype(np.uint32)
        material = prim.get("material")
        primitives.append(ScenePrimitive(arrays, material if isinstance(material, int) else None))
    return SceneMeshDesc(mesh.get("name") or f"mesh{index}", primitives)


def _nodes(doc: GltfDocument) -> list[SceneNodeDesc]:
    """The chosen scene's node tree, depth first, parents before children."""
    gltf_nodes = doc.list("nodes")
    scenes = doc.list("scenes")
    chosen = scenes[int(doc.json.get("scene", 0))] if scenes else {"nodes": list(range(len(gltf_nodes)))}

    def make(index: int, parent: int | None) -> SceneNodeDesc | None:
        if not 0 <= index < len(gltf_nodes):
            return None  # a dangling reference: glTF forbids it
        node = gltf_nodes[index]
        t, r, s = node_trs(node)
        mesh = node.get("mesh")
        return SceneNodeDesc(str(node.get("name", f"node{index}")), parent, t, r, s, mesh if isinstance(mesh, int) else None)

    return walk_nodes(chosen.get("nodes", []), lambda i: gltf_nodes[i].get("children", []), make)


def gltf_description(path: Path) -> SceneDescription:
    """Read a glTF file into a plain scene description (blocking; run off the loop)."""
    doc = load_gltf(path)
    images = []
    for i in range(len(doc.list("images"))):
        try:
            data, source_id = image_source(doc, i)
            images.append(SceneImage(source_id, data))
        except (SceneError, PathEscapesRoot) as exc:
            images.append(SceneImage(f"{path.name}#image{i}", error=exc))
    return SceneDescription(
        name=path.stem,
        images=images,
        materials=[_material(doc, m, i) for i, m in enumerate(doc.list("materials"))],
        meshes=[_mesh(doc, m, i) for i, m in enumerate(doc.list("meshes"))],
        nodes=_nodes(doc),
    )


class GltfImporter(SceneImporter):
    name = "gltf"
    formats = frozenset({ImportFormat.GLTF, ImportFormat.GLB})

    def describe(self, path: Path) -> SceneDescription:
        return gltf_description(path)
