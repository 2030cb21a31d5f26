"""Scene import shared by every scene format: a plain :class:`SceneDescription` in, assets out (seed §6).

A format adapter (glTF, FBX) turns its file into a ``SceneDescription`` — images,
materials, meshes and nodes as plain data. :class:`SceneImporter` then does
the seed's flow: every texture submitted at once, each material emitted the
moment the textures it needs are cooked (:class:`MaterialReadinessTracker`),
mesh primitives packed as backend work while textures cook, the scene last.
A bad image becomes a diagnostic and texture index 0; a bad buffer or a
truncated file fails the scene (``SceneError``) and leaves the container valid.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from formats import (
    MATERIAL_ASSET_DESC,
    AssetType,
    Epoch,
    Geometry,
    MaterialDomain,
    MaterialFlags,
    Mesh,
    MeshView,
    OxcookError,
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

from ._errors import SceneError
from ._importer import Importer, cook_textures
from ._session import ImportSession
from ._types import ImportPhase, TextureSource

if TYPE_CHECKING:
    from ._async_importer import AsyncImporter, JobContext

VERTEX_USAGE, INDEX_USAGE = 0x101, 0x102  # Vertex|Static, Index|Static
R32_UINT = 10


@dataclass
class SceneImage:
    """One source image: its bytes and stable id, or why it cannot be read."""

    source_id: str
    data: bytes | None = None
    error: OxcookError | None = None


@dataclass
class SceneMaterial:
    name: str
    slots: dict[str, tuple[int, str]] = field(default_factory=dict)  # material field -> (image, preset)
    alpha_mode: str = "OPAQUE"  # OPAQUE | MASK | BLEND
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    base_color: tuple = (1.0, 1.0, 1.0, 1.0)
    metalness: float = 0.0
    roughness: float = 1.0
    normal_scale: float = 1.0
    occlusion: float = 1.0
    emissive: tuple = (0.0, 0.0, 0.0)
    orm_packed: bool = False
    uv: dict = field(default_factory=dict)  # uv_scale / uv_offset / uv_rotation_radians / uv_set


@dataclass
class ScenePrimitive:
    arrays: dict  # positions, indices, normals, uvs, tangents, colors (numpy)
    material: int | None


@dataclass
class SceneMeshDesc:
    name: str
    primitives: list[ScenePrimitive]


@dataclass
class SceneNodeDesc:
    name: str
    parent: int | None  # index into the node list; parents come before children
    translation: tuple = (0.0, 0.0, 0.0)
    rotation: tuple = (0.0, 0.0, 0.0, 1.0)
    scale: tuple = (1.0, 1.0, 1.0)
    mesh: int | None = None


@dataclass
class SceneDescription:
    name: str
    images: list[SceneImage]
    materials: list[SceneMaterial]
    meshes: list[SceneMeshDesc]
    nodes: list[SceneNodeDesc]


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


def unique_names(names: list[str], fallback: str) -> list[str]:
    """Names made safe as path segments and unique (a clash gets its index appended)."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        clean = sanitize_segment(name, fallback=f"{fallback}{i}")
        if clean in seen:
            clean = f"{clean}_{i}"
        seen.add(clean)
        out.append(clean)
    return out


def material_record(material: SceneMaterial, name: str, texture_indices: dict[str, int]):
    """The ``MaterialAssetDesc`` of a scene material (pure)."""
    flags = MaterialFlags.NONE
    if material.double_sided:
        flags |= MaterialFlags.DOUBLE_SIDED
    domain = {"MASK": MaterialDomain.MASKED, "BLEND": MaterialDomain.ALPHA_BLENDED}.get(material.alpha_mode, MaterialDomain.OPAQUE)
    if material.alpha_mode == "MASK":
        flags |= MaterialFlags.ALPHA_TEST
    if not texture_indices:
        flags |= MaterialFlags.NO_TEXTURE_SAMPLING
    if material.orm_packed:
        flags |= MaterialFlags.GLTF_ORM_PACKED
    return MATERIAL_ASSET_DESC[Epoch.B].make(
        header=material_header(name),
        material_domain=int(domain),
        flags=int(flags),
        base_color=tuple(float(v) for v in material.base_color),
        normal_scale=float(material.normal_scale),
        metalness=unorm16(material.metalness),
        roughness=unorm16(material.roughness),
        ambient_occlusion=unorm16(material.occlusion),
        emissive_factor=tuple(min(float(v), 65504.0) for v in material.emissive),
        alpha_cutoff=unorm16(material.alpha_cutoff),
        **texture_indices,
        **material.uv,
    )


class SceneImporter(Importer):
    """The streaming scene flow; subclasses supply ``describe(path)``."""

    def describe(self, path: Path) -> SceneDescription:
        raise NotImplementedError

    async def import_async(self, request, session: ImportSession, importer: "AsyncImporter", job: "JobContext") -> None:
        loop = asyncio.get_running_loop()
        path = Path(request.source_path)
        job.progress(ImportPhase.PARSING, 0, 0, f"reading {path.name}")
        scene = await loop.run_in_executor(None, self.describe, path)
        layout = request.layout
        scene_name = sanitize_segment(scene.name, fallback="scene")
        material_names = unique_names([m.name for m in scene.materials], "material")
        mesh_names = unique_names([m.name for m in scene.meshes], "mesh")
        material_vpath = [layout.virtual_path(f"{layout.materials_dir}/{scene_name}/{n}.omat") for n in material_names]
        default_material = layout.virtual_path(f"{layout.materials_dir}/{scene_name}/Default.omat")

        textures: dict[tuple, TextureSource] = {}
        unreadable: set[tuple] = set()
        for material in scene.materials:
            for image, preset in material.slots.values():
                key = (image, preset)
                if key in textures or key in unreadable:
                    continue
                source = scene.images[image] if 0 <= image < len(scene.images) else SceneImage(f"image{image}", error=SceneError(f"image {image} does not exist"))
                if source.data is None:
                    unreadable.add(key)
                    error = source.error or SceneError(f"{source.source_id}: unreadable")
                    session.add_diagnostic(ImportDiagnostic(ImportSeverity.ERROR, error.code, error.message, source.source_id))
                    continue
                source_id = f"{scene_name}/{source.source_id}" + ("" if preset in ("albedo", "orm") else f"@{preset}")
                desc = preset_desc(preset, source_id)
                if preset == "albedo-alpha-test":
                    desc = dataclasses.replace(desc, alpha_cutoff=min(max(material.alpha_cutoff, 0.01), 0.99))
                textures[key] = TextureSource(source_id, (), desc, preset, data=(source.data,))

        indices: dict[tuple, int] = {key: 0 for key in unreadable}
        needs = {m: {(i, p) for i, p in mat.slots.values() if (i, p) not in unreadable} for m, mat in enumerate(scene.materials)}
        tracker = MaterialReadinessTracker(needs)

        def emit_material(m: int) -> None:
            material = scene.materials[m]
            fields = {name: indices.get(slot, 0) for name, slot in material.slots.items()}
            relpath = material_vpath[m][len(layout.virtual_mount_root) + 1 :]
            record = material_record(material, material_names[m], fields)
            session.asset_emitter.emit(AssetType.MATERIAL, relpath, pack_material(record, default_shader_refs(material.alpha_mode == "MASK")))

        for m in tracker.ready_now():
            emit_material(m)
        if any(p.material is None or not 0 <= p.material < len(scene.materials) for mesh in scene.meshes for p in mesh.primitives):
            relpath = default_material[len(layout.virtual_mount_root) + 1 :]
            record = material_record(SceneMaterial("Default"), "Default", {})
            session.asset_emitter.emit(AssetType.MATERIAL, relpath, pack_material(record, default_shader_refs(False)))

        by_source = {t.source_id: key for key, t in textures.items()}

        def on_cooked(source: TextureSource, index: int) -> None:
            key = by_source[source.source_id]
            indices[key] = index
            for m in tracker.cooked(key):
                emit_material(m)

        async with asyncio.TaskGroup() as group:
            group.create_task(cook_textures(list(textures.values()), session, importer, job, on_cooked))
            geometry = group.create_task(self._emit_geometry(scene, scene_name, mesh_names, material_vpath, default_material, session, layout, importer, job))
        geometry_keys = geometry.result()
        job.progress(ImportPhase.SCENE, 0, 1, "building the scene")
        scene_vpath = layout.virtual_path(f"{layout.scenes_dir}/{scene_name}.oscene")
        nodes = [SceneNode(asset_key_for(f"{scene_vpath}#root"), scene_name, 0)]
        renderables = []
        for i, node in enumerate(scene.nodes):
            parent = 0 if node.parent is None else node.parent + 1
            nodes.append(SceneNode(asset_key_for(f"{scene_vpath}#node{i}"), node.name[:255], parent, node.translation, node.rotation, node.scale))
            if node.mesh is not None and 0 <= node.mesh < len(geometry_keys):
                renderables.append(Renderable(i + 1, geometry_keys[node.mesh]))
        packed = pack_scene(Scene(scene_name, tuple(nodes), tuple(renderables)))
        session.asset_emitter.emit(AssetType.SCENE, f"{layout.scenes_dir}/{scene_name}.oscene", packed)

    async def _emit_geometry(
        self, scene: SceneDescription, scene_name: str, mesh_names: list[str], material_vpath: list[str], default_material: str, session, layout, importer, job
    ) -> list[bytes]:
        """Pack every primitive as backend work (in parallel), then emit buffers and geometry in mesh order."""
        window = asyncio.Semaphore(importer.config.texture_queue_capacity)

        async def pack(i: int, p: int, arrays: dict) -> MeshBuffers:
            source_id = f"{scene_name}/{mesh_names[i]}#{p}"
            async with window:
                raw = await importer.backend.submit("mesh", mesh_work(f"mesh{i}.{p}", source_id, arrays, job.key), job=job.key)
            result = decode_message(raw, expect="mesh-result")
            if not result["ok"]:
                raise SceneError(result["error"]["message"])
            return mesh_from_result(result)

        async with asyncio.TaskGroup() as group:
            tasks = [[group.create_task(pack(i, p, prim.arrays)) for p, prim in enumerate(mesh.primitives)] for i, mesh in enumerate(scene.meshes)]
        keys = []
        for i, mesh in enumerate(scene.meshes):
            packed = [t.result() for t in tasks[i]]
            emitter = session.buffer_emitter
            vb = emitter.emit(b"".join(b.vertices for b in packed), usage_flags=VERTEX_USAGE, element_stride=72, alignment=72)
            ib = emitter.emit(b"".join(b.indices for b in packed), usage_flags=INDEX_USAGE, element_format=R32_UINT, alignment=4)
            submeshes, first_vertex, first_index = [], 0, 0
            for p, (buffers, prim) in enumerate(zip(packed, mesh.primitives, strict=True)):
                material = prim.material
                vpath = material_vpath[material] if material is not None and 0 <= material < len(material_vpath) else default_material
                view = MeshView(first_index, buffers.index_count, first_vertex, buffers.vertex_count)
                submeshes.append(SubMesh(f"{mesh_names[i]}_{p}", asset_key_for(vpath), buffers.bbox_min, buffers.bbox_max, (view,)))
                first_vertex += buffers.vertex_count
                first_index += buffers.index_count
            lo = tuple(min(s.bbox_min[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
            hi = tuple(max(s.bbox_max[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
            geometry = Geometry(mesh_names[i], lo, hi, (Mesh(mesh_names[i], vb, ib, lo, hi, tuple(submeshes)),))
            relpath = f"{layout.geometry_dir}/{scene_name}/{mesh_names[i]}.ogeo"
            keys.append(session.asset_emitter.emit(AssetType.GEOMETRY, relpath, pack_geometry(geometry)))
        return keys

