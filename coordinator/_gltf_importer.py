"""``GltfImporter``: glTF 2.0 scenes into materials, geometry and a scene, streaming (seed §6).

Every texture the materials use is submitted at once; each material is emitted
the moment the textures it needs are cooked (:class:`MaterialReadinessTracker`),
mesh primitives are packed (tangents, 72-byte vertices) as backend work while
textures cook — on the farm too — and the scene is emitted last. A bad
image becomes a diagnostic and texture index 0; a bad buffer fails the scene.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formats import (
    MATERIAL_ASSET_DESC,
    AssetType,
    Epoch,
    Geometry,
    MaterialDomain,
    MaterialFlags,
    Mesh,
    MeshView,
    Renderable,
    Scene,
    SceneNode,
    SubMesh,
    asset_key_for,
    default_shader_refs,
    material_header,
    pack_geometry,
    pack_material,
    pack_scene,
    sanitize_segment,
    unorm16,
)
from worker import ImportDiagnostic, ImportSeverity, MeshBuffers, decode_message, mesh_from_result, mesh_work, preset_desc

from ._errors import PathEscapesRoot, SceneError
from ._gltf import GltfDocument, image_source, load_gltf, read_accessor
from ._importer import Importer, ImportFormat, cook_textures
from ._session import ImportSession
from ._types import ImportPhase, TextureSource

if TYPE_CHECKING:
    from ._async_importer import AsyncImporter, JobContext

VERTEX_USAGE, INDEX_USAGE = 0x101, 0x102  # Vertex|Static, Index|Static
R32_UINT = 10
_SLOTS = (  # material field, glTF path, preset
    ("base_color_texture", ("pbrMetallicRoughness", "baseColorTexture"), "albedo"),
    ("normal_texture", ("normalTexture",), "normal"),
    ("metallic_texture", ("pbrMetallicRoughness", "metallicRoughnessTexture"), "orm"),
    ("ambient_occlusion_texture", ("occlusionTexture",), "orm"),
    ("emissive_texture", ("emissiveTexture",), "emissive"),
)


class MaterialReadinessTracker:
    """Which materials wait for which textures; says which become ready as textures finish (pure)."""

    def __init__(self, needs: dict[int, set[tuple]]) -> None:
        self._waiting = {m: set(keys) for m, keys in needs.items()}

    def ready_now(self) -> list[int]:
        """Materials that need nothing (emit them first)."""
        ready = [m for m, keys in self._waiting.items() if not keys]
        for m in ready:
            del self._waiting[m]
        return ready

    def cooked(self, key: tuple) -> list[int]:
        """Record a finished texture; returns the materials it completed."""
        done = []
        for m, keys in list(self._waiting.items()):
            keys.discard(key)
            if not keys:
                done.append(m)
                del self._waiting[m]
        return done


def _texture_info(material: dict, path: tuple[str, ...]) -> dict | None:
    node = material
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) and "index" in node else None


@dataclass
class _Names:
    scene: str
    materials: list[str]
    meshes: list[str]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        clean = sanitize_segment(name, fallback=f"item{i}")
        out.append(clean if clean not in seen else f"{clean}_{i}")
        seen[out[-1]] = i
    return out


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


class GltfImporter(Importer):
    name = "gltf"
    formats = frozenset({ImportFormat.GLTF, ImportFormat.GLB})

    async def import_async(self, request, session: ImportSession, importer: "AsyncImporter", job: "JobContext") -> None:
        loop = asyncio.get_running_loop()
        path = Path(request.source_path)
        job.progress(ImportPhase.PARSING, 0, 0, f"reading {path.name}")
        doc = await loop.run_in_executor(None, load_gltf, path)
        layout = request.layout
        names = _Names(
            sanitize_segment(path.stem, fallback="scene"),
            _unique([m.get("name") or f"material{i}" for i, m in enumerate(doc.list("materials"))]),
            _unique([m.get("name") or f"mesh{i}" for i, m in enumerate(doc.list("meshes"))]),
        )
        materials = doc.list("materials")
        material_vpath = [layout.virtual_path(f"{layout.materials_dir}/{names.scene}/{n}.omat") for n in names.materials]
        default_material = layout.virtual_path(f"{layout.materials_dir}/{names.scene}/Default.omat")

        # textures: one cook per (image, preset), with the bytes read here (embedded or external)
        slots: dict[int, dict[str, tuple]] = {}
        textures: dict[tuple, TextureSource] = {}
        unreadable: set[tuple] = set()
        for m, material in enumerate(materials):
            slots[m] = {}
            for field, gltf_path, preset in _SLOTS:
                info = _texture_info(material, gltf_path)
                if info is None:
                    continue
                tex = doc.list("textures")[info["index"]] if 0 <= info["index"] < len(doc.list("textures")) else {}
                image = tex.get("source")
                if preset == "albedo" and material.get("alphaMode") == "MASK":
                    preset = "albedo-alpha-test"
                key = (image, preset)
                slots[m][field] = key
                if key in textures or key in unreadable:
                    continue
                try:
                    data, image_id = image_source(doc, image if isinstance(image, int) else -1)
                except (SceneError, PathEscapesRoot) as exc:
                    unreadable.add(key)
                    session.add_diagnostic(ImportDiagnostic(ImportSeverity.ERROR, exc.code, exc.message, f"{path.name}#image{image}"))
                    continue
                source_id = f"{names.scene}/{image_id}" + ("" if preset in ("albedo", "orm") else f"@{preset}")
                desc = preset_desc(preset, source_id)
                if preset == "albedo-alpha-test":
                    desc = dataclasses.replace(desc, alpha_cutoff=min(max(float(material.get("alphaCutoff", 0.5)), 0.01), 0.99))
                textures[key] = TextureSource(source_id, (), desc, preset, data=(data,))

        indices: dict[tuple, int] = {key: 0 for key in unreadable}
        tracker = MaterialReadinessTracker({m: {k for k in slots[m].values() if k not in unreadable} for m in slots})
        needs_default = any(p.get("material") is None for mesh in doc.list("meshes") for p in mesh.get("primitives", []))

        def emit_material(m: int) -> None:
            material = materials[m]
            desc = self._material_desc(material, names.materials[m], {f: indices.get(k, 0) for f, k in slots[m].items()}, slots[m])
            relpath = material_vpath[m][len(layout.virtual_mount_root) + 1 :]
            alpha_test = material.get("alphaMode") == "MASK"
            session.asset_emitter.emit(AssetType.MATERIAL, relpath, pack_material(desc, default_shader_refs(alpha_test)))

        for m in tracker.ready_now():
            emit_material(m)
        if needs_default:
            relpath = default_material[len(layout.virtual_mount_root) + 1 :]
            desc = self._material_desc({}, "Default", {}, {})
            session.asset_emitter.emit(AssetType.MATERIAL, relpath, pack_material(desc, default_shader_refs(False)))

        by_source = {t.source_id: key for key, t in textures.items()}

        def on_cooked(source: TextureSource, index: int) -> None:
            key = by_source[source.source_id]
            indices[key] = index
            for m in tracker.cooked(key):
                emit_material(m)

        async with asyncio.TaskGroup() as group:
            group.create_task(cook_textures(list(textures.values()), session, importer, job, on_cooked))
            geometry = group.create_task(self._emit_geometry(doc, names, material_vpath, default_material, session, layout, importer, job))
        geometry_keys = geometry.result()
        job.progress(ImportPhase.SCENE, 0, 1, "building the scene")
        scene = self._scene(doc, names, geometry_keys, layout)
        session.asset_emitter.emit(AssetType.SCENE, f"{layout.scenes_dir}/{names.scene}.oscene", pack_scene(scene))

    @staticmethod
    def _material_desc(material: dict, name: str, texture_indices: dict[str, int], slots: dict[str, tuple]):
        pbr = material.get("pbrMetallicRoughness", {})
        flags = MaterialFlags.NONE
        if material.get("doubleSided"):
            flags |= MaterialFlags.DOUBLE_SIDED
        mode = material.get("alphaMode", "OPAQUE")
        domain = {"OPAQUE": MaterialDomain.OPAQUE, "MASK": MaterialDomain.MASKED, "BLEND": MaterialDomain.ALPHA_BLENDED}.get(mode, MaterialDomain.OPAQUE)
        if mode == "MASK":
            flags |= MaterialFlags.ALPHA_TEST
        if not texture_indices:
            flags |= MaterialFlags.NO_TEXTURE_SAMPLING
        mr, occ = slots.get("metallic_texture"), slots.get("ambient_occlusion_texture")
        if mr is not None and occ is not None and mr[0] == occ[0]:
            flags |= MaterialFlags.GLTF_ORM_PACKED
        fields = dict(texture_indices)
        if "metallic_texture" in fields:
            fields["roughness_texture"] = fields["metallic_texture"]  # glTF packs both in one image (G, B)
        emissive = [float(v) for v in material.get("emissiveFactor", (0.0, 0.0, 0.0))]
        strength = float(material.get("extensions", {}).get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0))
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
        return MATERIAL_ASSET_DESC[Epoch.B].make(
            header=material_header(name),
            material_domain=int(domain),
            flags=int(flags),
            base_color=tuple(float(v) for v in pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0))),
            normal_scale=float(material.get("normalTexture", {}).get("scale", 1.0)),
            metalness=unorm16(float(pbr.get("metallicFactor", 1.0))),
            roughness=unorm16(float(pbr.get("roughnessFactor", 1.0))),
            ambient_occlusion=unorm16(float(material.get("occlusionTexture", {}).get("strength", 1.0))),
            emissive_factor=tuple(min(v * strength, 65504.0) for v in emissive),
            alpha_cutoff=unorm16(float(material.get("alphaCutoff", 0.5))),
            **fields,
            **uv,
        )

    async def _emit_geometry(
        self, doc: GltfDocument, names: _Names, material_vpath: list[str], default_material: str, session: ImportSession, layout, importer, job
    ) -> list[bytes]:
        """Pack every primitive as backend work (in parallel), then emit buffers and geometry in mesh order."""
        loop = asyncio.get_running_loop()
        meshes = doc.list("meshes")
        primitives = [await loop.run_in_executor(None, _primitive_arrays, doc, mesh, i) for i, mesh in enumerate(meshes)]
        window = asyncio.Semaphore(importer.config.texture_queue_capacity)

        async def pack(i: int, p: int, arrays: dict) -> MeshBuffers:
            source_id = f"{names.scene}/{names.meshes[i]}#{p}"
            async with window:
                raw = await importer.backend.submit("mesh", mesh_work(f"mesh{i}.{p}", source_id, arrays, job.key), job=job.key)
            result = decode_message(raw, expect="mesh-result")
            if not result["ok"]:
                raise SceneError(result["error"]["message"])
            return mesh_from_result(result)

        async with asyncio.TaskGroup() as group:
            tasks = [[group.create_task(pack(i, p, arrays)) for p, (arrays, _) in enumerate(prims)] for i, prims in enumerate(primitives)]
        keys = []
        for i, prims in enumerate(primitives):
            packed = [t.result() for t in tasks[i]]
            emitter = session.buffer_emitter
            vb = emitter.emit(b"".join(b.vertices for b in packed), usage_flags=VERTEX_USAGE, element_stride=72, alignment=72)
            ib = emitter.emit(b"".join(b.indices for b in packed), usage_flags=INDEX_USAGE, element_format=R32_UINT, alignment=4)
            submeshes, first_vertex, first_index = [], 0, 0
            for p, (buffers, (_, material)) in enumerate(zip(packed, prims)):
                vpath = material_vpath[material] if isinstance(material, int) and 0 <= material < len(material_vpath) else default_material
                view = MeshView(first_index, buffers.index_count, first_vertex, buffers.vertex_count)
                submeshes.append(SubMesh(f"{names.meshes[i]}_{p}", asset_key_for(vpath), buffers.bbox_min, buffers.bbox_max, (view,)))
                first_vertex += buffers.vertex_count
                first_index += buffers.index_count
            lo = tuple(min(s.bbox_min[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
            hi = tuple(max(s.bbox_max[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
            geometry = Geometry(names.meshes[i], lo, hi, (Mesh(names.meshes[i], vb, ib, lo, hi, tuple(submeshes)),))
            relpath = f"{layout.geometry_dir}/{names.scene}/{names.meshes[i]}.ogeo"
            keys.append(session.asset_emitter.emit(AssetType.GEOMETRY, relpath, pack_geometry(geometry)))
        return keys

    @staticmethod
    def _scene(doc: GltfDocument, names: _Names, geometry_keys: list[bytes], layout) -> Scene:
        vpath = layout.virtual_path(f"{layout.scenes_dir}/{names.scene}.oscene")
        gltf_nodes = doc.list("nodes")
        scenes = doc.list("scenes")
        chosen = scenes[int(doc.json.get("scene", 0))] if scenes else {"nodes": [i for i in range(len(gltf_nodes))]}
        nodes = [SceneNode(asset_key_for(f"{vpath}#root"), names.scene, 0)]
        renderables = []
        stack = [(n, 0) for n in reversed(chosen.get("nodes", []))]
        visited: set[int] = set()
        while stack:
            index, parent = stack.pop()
            if not 0 <= index < len(gltf_nodes) or index in visited:
                continue  # a cycle or a dangling reference: glTF forbids both
            visited.add(index)
            node = gltf_nodes[index]
            t, r, s = node_trs(node)
            nodes.append(SceneNode(asset_key_for(f"{vpath}#node{index}"), str(node.get("name", f"node{index}"))[:255], parent, t, r, s))
            me = len(nodes) - 1
            mesh = node.get("mesh")
            if isinstance(mesh, int) and 0 <= mesh < len(geometry_keys):
                renderables.append(Renderable(me, geometry_keys[mesh]))
            stack.extend((child, me) for child in reversed(node.get("children", [])))
        return Scene(names.scene, tuple(nodes), tuple(renderables))


def _primitive_arrays(doc: GltfDocument, mesh: dict, index: int) -> list[tuple[dict, int | None]]:
    """Each triangle primitive's attribute arrays and material (runs off the loop)."""
    out = []
    for p, prim in enumerate(mesh.get("primitives", [])):
        if prim.get("mode", 4) != 4:
            raise SceneError(f"{doc.path.name}: mesh {index} primitive {p}: only triangle lists are supported (mode {prim.get('mode')})")
        attrs = prim.get("attributes", {})
        if "POSITION" not in attrs:
            raise SceneError(f"{doc.path.name}: mesh {index} primitive {p} has no POSITION")
        names = {"positions": "POSITION", "normals": "NORMAL", "uvs": "TEXCOORD_0", "tangents": "TANGENT", "colors": "COLOR_0"}
        arrays = {ours: read_accessor(doc, attrs[theirs]).astype(np.float32) for ours, theirs in names.items() if theirs in attrs}
        if "indices" in prim:
            arrays["indices"] = read_accessor(doc, prim["indices"]).reshape(-1).astype(np.uint32)
        out.append((arrays, prim.get("material")))
    return out
