"""``GltfImporter``: glTF 2.0 (``.gltf``/``.glb``) described as a plain scene for the shared flow.

Slot presets: base colour → albedo sRGB (alpha-test when ``alphaMode`` is MASK),
normal → normal map, metallicRoughness and occlusion → ORM data (one cook when
they share an image, with the GltfOrmPacked flag), emissive → emissive sRGB.
``KHR_texture_transform`` on the base colour texture gives the material's UV
transform and set; ``KHR_materials_emissive_strength`` scales the emissive
factor. glTF samplers' wrap and filter modes have no field in the engine's
material or texture row, so they are not carried. Each accessor is read once
per scene, and a primitive is keyed by the accessors it reads, so primitives
sharing them are packed and stored once.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from oxcook.worker import ImportDiagnostic, ImportSeverity

from .._errors import PathEscapesRoot, SceneError
from ._gltf_reader import GltfDocument, image_source, load_gltf, read_accessor
from ._gltf_shape import gltf_shape
from ._importer import ImportFormat
from ._scene_budget import SceneBudget
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


def _texture_info(doc: GltfDocument, material: dict, path: tuple[str, ...], pointer: str) -> tuple[dict, str] | None:
    """The texture-info object at ``path`` inside a material, and its JSON pointer (``None`` when absent)."""
    node = material
    for part in path:
        pointer = f"{pointer}/{part}"
        node = doc.value(node, part, pointer.rsplit("/", 1)[0], dict)
        if node is None:
            return None
    return (node, pointer) if "index" in node else None


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


IDENTITY = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0))


def node_trs(node: dict, doc: GltfDocument | None = None, pointer: str = "/nodes/0") -> tuple[tuple, tuple, tuple]:
    """A glTF node's translation, rotation (XYZW) and scale, decomposing ``matrix`` when given."""
    doc = doc or GltfDocument(Path("scene.gltf"), {}, [], {})
    if "matrix" in node:
        m = np.asarray(doc.numbers(node, "matrix", pointer, 16, ()), np.float64).reshape(4, 4).T  # glTF stores column-major
        scale = np.linalg.norm(m[:3, :3], axis=0)
        rot = m[:3, :3] / np.where(scale > 0, scale, 1.0)
        if np.linalg.det(rot) < 0:
            scale[0], rot[:, 0] = -scale[0], -rot[:, 0]
        return tuple(float(v) for v in m[:3, 3]), tuple(float(v) for v in _quaternion(rot)), tuple(float(v) for v in scale)
    return (
        doc.numbers(node, "translation", pointer, 3, IDENTITY[0]),
        doc.numbers(node, "rotation", pointer, 4, IDENTITY[1]),
        doc.numbers(node, "scale", pointer, 3, IDENTITY[2]),
    )


def _material(doc: GltfDocument, material: dict, i: int) -> SceneMaterial:
    at = f"/materials/{i}"
    pbr = doc.value(material, "pbrMetallicRoughness", at, dict, {})
    slots = {}
    for field, gltf_path, preset in _SLOTS:
        found = _texture_info(doc, material, gltf_path, at)
        if found is None:
            continue
        info, pointer = found
        texture = doc.item("textures", info["index"], f"{pointer}/index")
        image = doc.value(texture, "source", f"/textures/{info['index']}", int, -1)
        if preset == "albedo" and material.get("alphaMode") == "MASK":
            preset = "albedo-alpha-test"
        slots[field] = (image, preset)
    if "metallic_texture" in slots:
        slots["roughness_texture"] = slots["metallic_texture"]  # glTF packs both in one image (B, G)
    uv = {}
    found = _texture_info(doc, material, ("pbrMetallicRoughness", "baseColorTexture"), at)
    base_info, base_at = found if found else ({}, at)
    transform = doc.value(doc.value(base_info, "extensions", base_at, dict, {}), "KHR_texture_transform", f"{base_at}/extensions", dict)
    tex_coord = doc.value(base_info, "texCoord", base_at, int, 0, minimum=0)
    if transform:
        t_at = f"{base_at}/extensions/KHR_texture_transform"
        uv = dict(
            uv_offset=doc.numbers(transform, "offset", t_at, 2, (0.0, 0.0)),
            uv_scale=doc.numbers(transform, "scale", t_at, 2, (1.0, 1.0)),
            uv_rotation_radians=float(doc.value(transform, "rotation", t_at, float, 0.0)),
            uv_set=doc.value(transform, "texCoord", t_at, int, tex_coord, minimum=0),
        )
    elif tex_coord:
        uv = dict(uv_set=tex_coord)
    extensions = doc.value(material, "extensions", at, dict, {})
    strength_ext = doc.value(extensions, "KHR_materials_emissive_strength", f"{at}/extensions", dict, {})
    strength = float(doc.value(strength_ext, "emissiveStrength", f"{at}/extensions/KHR_materials_emissive_strength", float, 1.0))
    mr, occ = slots.get("metallic_texture"), slots.get("ambient_occlusion_texture")
    alpha_mode = doc.value(material, "alphaMode", at, str, "OPAQUE")
    return SceneMaterial(
        name=doc.value(material, "name", at, str) or f"material{i}",
        slots=slots,
        alpha_mode=alpha_mode,
        alpha_cutoff=float(doc.value(material, "alphaCutoff", at, float, 0.5)),
        double_sided=doc.value(material, "doubleSided", at, bool, False),
        base_color=doc.numbers(pbr, "baseColorFactor", f"{at}/pbrMetallicRoughness", 4, (1.0, 1.0, 1.0, 1.0)),
        metalness=float(doc.value(pbr, "metallicFactor", f"{at}/pbrMetallicRoughness", float, 1.0)),
        roughness=float(doc.value(pbr, "roughnessFactor", f"{at}/pbrMetallicRoughness", float, 1.0)),
        normal_scale=float(doc.value(doc.value(material, "normalTexture", at, dict, {}), "scale", f"{at}/normalTexture", float, 1.0)),
        occlusion=float(doc.value(doc.value(material, "occlusionTexture", at, dict, {}), "strength", f"{at}/occlusionTexture", float, 1.0)),
        emissive=tuple(v * strength for v in doc.numbers(material, "emissiveFactor", at, 3, (0.0, 0.0, 0.0))),
        orm_packed=mr is not None and occ is not None and mr[0] == occ[0],
        uv=uv,
    )


class _Accessors:
    """Each accessor read once per scene, as the arrays the primitives hold.

    Primitives that read the same accessors then hold the same arrays, not a
    copy each: a scene that reuses one large accessor in many primitives costs
    its size once.
    """

    def __init__(self, doc: GltfDocument) -> None:
        self._doc = doc
        self._floats: dict[int, tuple[np.ndarray, bool]] = {}  # accessor -> (float32 values, all finite as read)
        self._indices: dict[int, tuple[np.ndarray, int, int]] = {}  # accessor -> (u32 indices, min, max)

    def floats(self, index: int, pointer: str) -> tuple[np.ndarray, bool]:
        """An attribute accessor's values as float32, and whether they are all finite."""
        if index not in self._floats:
            values = read_accessor(self._doc, index, pointer).astype(np.float32)
            self._floats[index] = values, bool(np.isfinite(values).all())
        return self._floats[index]

    def finite(self, index: int) -> np.ndarray:
        """The values of an accessor already read by :meth:`floats`, NaN and Inf replaced by 0.

        Replaced in place: no primitive uses the values as they were, since a
        position that is not finite skips its primitive (the flag :meth:`floats`
        returns keeps saying so), whatever else reads the same accessor.
        """
        values = self._floats[index][0]
        return np.nan_to_num(values, copy=False, nan=0.0, posinf=0.0, neginf=0.0)

    def indices(self, index: int, pointer: str) -> tuple[np.ndarray, int, int]:
        """An index accessor's values as u32, with their smallest and largest value (as read, before the cast)."""
        if index not in self._indices:
            values = read_accessor(self._doc, index, pointer).reshape(-1)
            low, high = (int(values.min()), int(values.max())) if len(values) else (0, -1)
            self._indices[index] = values.astype(np.uint32), low, high
        return self._indices[index]


def _mesh(doc: GltfDocument, mesh: dict, index: int, accessors: _Accessors, warnings: list[ImportDiagnostic]) -> SceneMeshDesc:
    at = f"/meshes/{index}"
    name = doc.value(mesh, "name", at, str) or f"mesh{index}"
    primitives = []
    for p, prim in enumerate(doc.value(mesh, "primitives", at, list, [])):
        p_at = f"{at}/primitives/{p}"
        if not isinstance(prim, dict):
            raise doc.invalid(p_at, f"expected an object, found {type(prim).__name__}")
        mode = doc.value(prim, "mode", p_at, int, 4)
        if mode != 4:
            raise doc.invalid(f"{p_at}/mode", f"only triangle lists (4) are supported, found {mode}")
        attrs = doc.value(prim, "attributes", p_at, dict, {})
        if "POSITION" not in attrs:
            warnings.append(_warning(doc, "scene-primitive-skipped", f"{p_at} has no POSITION; the primitive is skipped"))
            continue
        sources = {ours: doc.value(attrs, theirs, f"{p_at}/attributes", int) for ours, theirs in _ATTRIBUTES.items() if theirs in attrs}
        read = {ours: accessors.floats(source, f"{p_at}/attributes/{_ATTRIBUTES[ours]}") for ours, source in sources.items()}
        if not read["positions"][1]:
            warnings.append(_warning(doc, "scene-primitive-skipped", f"{p_at}: POSITION holds NaN or Inf; the primitive is skipped"))
            continue
        arrays = {ours: values for ours, (values, _) in read.items()}
        for ours in ("normals", "uvs", "tangents", "colors"):
            if ours in read and not read[ours][1]:
                arrays[ours] = accessors.finite(sources[ours])
                warnings.append(_warning(doc, "scene-vertex-data-clamped", f"{p_at}: NaN or Inf in {ours} replaced by 0"))
        index_source = None
        if "indices" in prim:
            index_source = doc.value(prim, "indices", p_at, int)
            indices, low, high = accessors.indices(index_source, f"{p_at}/indices")
            if low < 0 or high >= len(arrays["positions"]):
                raise doc.invalid(f"{p_at}/indices", f"an index is outside the {len(arrays['positions'])} vertices")
            arrays["indices"] = indices
        material = doc.value(prim, "material", p_at, int)
        primitives.append(ScenePrimitive(arrays, material, key=(tuple(sorted(sources.items())), index_source)))
    return SceneMeshDesc(name, primitives)


def _warning(doc: GltfDocument, code: str, message: str) -> ImportDiagnostic:
    return ImportDiagnostic(ImportSeverity.WARNING, code, f"{doc.path.name}: {message}", doc.path.name)


def _nodes(doc: GltfDocument, warnings: list[ImportDiagnostic]) -> list[SceneNodeDesc]:
    """The chosen scene's node tree, depth first, parents before children."""
    gltf_nodes = doc.list("nodes")
    scenes = doc.list("scenes")
    if scenes:
        chosen = doc.item("scenes", doc.value(doc.json, "scene", "", int, 0), "/scene")
        roots = doc.value(chosen, "nodes", f"/scenes/{doc.json.get('scene', 0)}", list, [])
    else:
        roots = list(range(len(gltf_nodes)))

    def make(index: int, parent: int | None) -> SceneNodeDesc | None:
        if not 0 <= index < len(gltf_nodes):
            warnings.append(_warning(doc, "scene-node-dangling", f"a reference to node {index}, which does not exist, is skipped"))
            return None
        node = gltf_nodes[index]
        at = f"/nodes/{index}"
        t, r, s = node_trs(node, doc, at)
        if not all(math.isfinite(v) for v in (*t, *r, *s)):
            warnings.append(_warning(doc, "scene-transform-reset", f"{at} has a NaN or Inf transform; it is reset to identity"))
            t, r, s = IDENTITY
        return SceneNodeDesc(str(doc.value(node, "name", at, str) or f"node{index}"), parent, t, r, s, doc.value(node, "mesh", at, int))

    def children(index: int) -> list:
        return doc.value(gltf_nodes[index], "children", f"/nodes/{index}", list, [])

    def revisited(index: int) -> None:
        warnings.append(_warning(doc, "scene-node-cycle", f"node {index} is reached twice (a cycle or a shared child); it is kept once"))

    return walk_nodes(roots, children, make, revisited)


def gltf_description(path: Path, budget: SceneBudget | None = None) -> SceneDescription:
    """Read a glTF file into a plain scene description (blocking; run off the loop).

    Raises:
        SceneTooLarge: its estimate (from the JSON, before any accessor is read) is over ``budget``.
        SceneError: the file cannot be read as a scene.
    """
    doc = load_gltf(path)
    images = []
    for i in range(len(doc.list("images"))):
        try:
            data, source_id = image_source(doc, i)
            images.append(SceneImage(source_id, data))
        except (SceneError, PathEscapesRoot) as exc:
            images.append(SceneImage(f"{path.name}#image{i}", error=exc))
    shape = gltf_shape(doc, sum(len(image.data or b"") for image in images))
    estimate = budget.check(path.name, shape) if budget is not None else 0
    warnings: list[ImportDiagnostic] = []
    accessors = _Accessors(doc)
    return SceneDescription(
        name=path.stem,
        images=images,
        materials=[_material(doc, m, i) for i, m in enumerate(doc.list("materials"))],
        meshes=[_mesh(doc, m, i, accessors, warnings) for i, m in enumerate(doc.list("meshes"))],
        nodes=_nodes(doc, warnings),
        warnings=warnings,
        files=[path, *doc.files],
        estimate=estimate,
    )


class GltfImporter(SceneImporter):
    name = "gltf"
    formats = frozenset({ImportFormat.GLTF, ImportFormat.GLB})

    def describe(self, path: Path, budget: SceneBudget) -> SceneDescription:
        return gltf_description(path, budget)
