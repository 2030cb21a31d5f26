"""Scene import shared by every scene format: a plain :class:`SceneDescription` in, assets out (seed §6).

A format adapter (glTF, FBX) turns its file into a ``SceneDescription``;
:class:`SceneImporter` then does the seed's flow: every texture submitted at
once, each material emitted the moment the textures it needs are cooked
(:class:`MaterialReadinessTracker`), mesh primitives packed through the job's
mesh pipeline while textures cook (primitives made from the same source data
once, viewed by each), the scene last. A bad image becomes a diagnostic and the
fallback texture; a bad buffer or a truncated file fails the scene
(``SceneError``), and one whose estimate is over the coordinator's budget is
refused before its vertex data is read (``SceneTooLarge``, ``_scene_budget``);
either leaves the container valid. A scene the root's build record vouches for
(every file it read stats as recorded, the same options) is not read at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Hashable

import numpy as np

from oxcook.formats import (
    INDEX_ALIGNMENT,
    MATERIAL_ASSET_DESC,
    VERTEX_ALIGNMENT,
    VERTEX_STRIDE,
    AssetType,
    BufferUsage,
    Epoch,
    Format,
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
from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import MeshBuffers

from .._errors import PathEscapesRoot, SceneError
from .._memory import coordinator_budget
from .._types import ImportPhase, LooseCookedLayout, TextureSettings, TextureSource
from ..cache import SceneEntry, is_verified
from ..emit import FALLBACK_INDEX, ImportSession, stamp_of
from ..pipelines import MeshWorkItem
from ._importer import Importer
from ._incremental import scene_path, scene_settings_key, scene_verdict
from ._material_readiness import MaterialReadinessTracker
from ._scene_budget import SceneBudget
from ._scene_description import SceneDescription, SceneImage, SceneMaterial, SceneMeshDesc
from ._sources import make_desc
from ._texture_importer import cook_textures

if TYPE_CHECKING:
    from .._job import JobContext

VERTEX_USAGE = int(BufferUsage.VERTEX | BufferUsage.STATIC)
INDEX_USAGE = int(BufferUsage.INDEX | BufferUsage.STATIC)

SlotKey = tuple[int, str]  # (image index, slot preset): what a material slot asks for


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


@dataclass(frozen=True)
class ScenePaths:
    """Where one scene's assets go: safe, unique names and their paths in the root (pure)."""

    layout: LooseCookedLayout
    scene_name: str
    material_names: list[str]
    mesh_names: list[str]

    @classmethod
    def plan(cls, scene: SceneDescription, layout: LooseCookedLayout) -> "ScenePaths":
        return cls(
            layout,
            sanitize_segment(scene.name, fallback="scene"),
            unique_names([m.name for m in scene.materials], "material"),
            unique_names([m.name for m in scene.meshes], "mesh"),
        )

    def material(self, m: int | None) -> str:
        """The relative path of material ``m``; the scene's Default material when ``m`` names none."""
        name = self.material_names[m] if m is not None and 0 <= m < len(self.material_names) else "Default"
        return f"{self.layout.materials_dir}/{self.scene_name}/{name}.omat"

    def material_key(self, m: int | None) -> bytes:
        return asset_key_for(self.layout.virtual_path(self.material(m)))

    def geometry(self, i: int) -> str:
        return f"{self.layout.geometry_dir}/{self.scene_name}/{self.mesh_names[i]}.ogeo"

    @property
    def scene(self) -> str:
        return f"{self.layout.scenes_dir}/{self.scene_name}.oscene"


def texture_sources(
    scene: SceneDescription, paths: ScenePaths, session: ImportSession, settings: TextureSettings
) -> tuple[dict[str, TextureSource], dict[SlotKey, str | None]]:
    """One cook per (source image, preset) the materials use; unreadable images become diagnostics.

    Two glTF images (or FBX textures) naming one file are one texture: the
    texture's id is the file (or the embedded image), not the image index.
    ``settings`` (the command line) apply over each slot's preset.

    Returns:
        the textures to cook by id, and for every (image, preset) slot the id of
        its texture (``None``: unreadable, it resolves to the fallback).
    """
    textures: dict[str, TextureSource] = {}
    slot_texture: dict[SlotKey, str | None] = {}
    for material in scene.materials:
        for image, slot_preset in material.slots.values():
            if (image, slot_preset) in slot_texture:
                continue
            source = scene.images[image] if 0 <= image < len(scene.images) else SceneImage(f"image{image}", error=SceneError(f"image {image} does not exist"))
            if source.data is None:
                slot_texture[image, slot_preset] = None
                error = source.error or SceneError(f"{source.source_id}: unreadable")
                session.add_diagnostic(ImportDiagnostic(ImportSeverity.ERROR, error.code, error.message, source.source_id))
                continue
            base_id = f"{paths.scene_name}/{source.source_id}"
            source_id = base_id if slot_preset in ("albedo", "orm") else f"{base_id}@{slot_preset}"
            if source_id in textures and textures[source_id].preset != make_desc(source_id, settings, slot_preset)[0]:
                source_id = f"{base_id}@{slot_preset}"  # one image used as two kinds of texture: two cooks
            slot_texture[image, slot_preset] = source_id
            if source_id in textures:
                continue
            preset, desc = make_desc(source_id, settings, slot_preset)
            if preset == "albedo-alpha-test":
                desc = dataclasses.replace(desc, alpha_cutoff=min(max(material.alpha_cutoff, 0.01), 0.99))
            textures[source_id] = TextureSource(source_id, (), desc, preset, data=(source.data,), gates=settings.gates())
    return textures, slot_texture


class _MaterialEmission:
    """Emits each material of a scene as soon as every texture it needs is placed."""

    def __init__(self, scene: SceneDescription, paths: ScenePaths, session: ImportSession, slot_texture: dict[SlotKey, str | None]) -> None:
        self._scene, self._paths, self._session = scene, paths, session
        self._slot_texture = slot_texture
        self._indices: dict[str, int] = {}
        needs = {m: {slot_texture[slot] for slot in mat.slots.values()} - {None} for m, mat in enumerate(scene.materials)}
        self._tracker = MaterialReadinessTracker(needs)

    def start(self) -> None:
        """Emit the materials that wait for nothing, and the Default material if a primitive needs it."""
        for m in self._tracker.ready_now():
            self._emit(m)
        materials = self._scene.materials
        if any(p.material is None or not 0 <= p.material < len(materials) for mesh in self._scene.meshes for p in mesh.primitives):
            record = material_record(SceneMaterial("Default"), "Default", {})
            self._session.asset_emitter.emit(AssetType.MATERIAL, self._paths.material(None), pack_material(record, default_shader_refs(False)))

    def texture_placed(self, source: TextureSource, index: int) -> None:
        self._indices[source.source_id] = index
        for m in self._tracker.cooked(source.source_id):
            self._emit(m)

    def _emit(self, m: int) -> None:
        material = self._scene.materials[m]
        fields = {name: self._indices.get(self._slot_texture[slot], FALLBACK_INDEX) for name, slot in material.slots.items()}
        record = material_record(material, self._paths.material_names[m], fields)
        packed = pack_material(record, default_shader_refs(material.alpha_mode == "MASK"))
        self._session.asset_emitter.emit(AssetType.MATERIAL, self._paths.material(m), packed)


class SceneImporter(Importer):
    """The streaming scene flow; subclasses supply ``describe(path)``."""

    def describe(self, path: Path, budget: SceneBudget) -> SceneDescription:
        """The scene of ``path``, refused (``SceneTooLarge``) before its vertex data is read when its estimate is over ``budget``."""
        raise NotImplementedError

    def _describe(self, path: Path, budget: SceneBudget) -> SceneDescription:
        """``describe``, with whatever a malformed file still provokes named as ``scene-invalid`` (never an internal error)."""
        try:
            with np.errstate(all="ignore"):  # non-finite data is checked and named by the readers
                return self.describe(path, budget)
        except (SceneError, PathEscapesRoot):
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
            raise SceneError(f"{path.name}: malformed {self.name.upper()} file: {type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            raise SceneError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc

    async def import_async(self, request, job: "JobContext") -> None:
        path = Path(request.source_path)
        session = job.session
        key = scene_settings_key(request.options.textures, job.config.encoder_target)
        verdict = scene_verdict(path, request.options.textures, session.previous_record, job.config.encoder_target, session.record_reason)
        if verdict.unchanged:  # every file it read stats as recorded: nothing is read, emitted or written
            session.report.unchanged = True
            return
        job.progress(ImportPhase.PARSING, 0, 0, f"reading {path.name}")
        budget = SceneBudget(coordinator_budget(job.config.memory_budget), job.config.texture_queue_capacity)
        try:
            scene = await asyncio.get_running_loop().run_in_executor(None, self._describe, path, budget)
        except SceneError:
            session.record_scenes[scene_path(path)] = None
            raise
        for warning in scene.warnings:
            job.session.add_diagnostic(warning)
        paths = ScenePaths.plan(scene, request.layout)
        textures, slot_texture = texture_sources(scene, paths, job.session, request.options.textures)
        materials = _MaterialEmission(scene, paths, job.session, slot_texture)
        materials.start()

        async with asyncio.TaskGroup() as group:
            # the scene's geometry is held while its textures cook: their results get what it leaves of the budget
            texture_budget = max(budget.budget - scene.estimate, 1)
            group.create_task(cook_textures(list(textures.values()), job, materials.texture_placed, budget=texture_budget))
            geometry = group.create_task(_emit_geometry(scene, paths, job))
        job.progress(ImportPhase.SCENE, 0, 1, "building the scene")
        _emit_scene(scene, paths, geometry.result(), job.session)
        session.record_scenes[scene_path(path)] = _record_entry(scene, key, session, len(textures))


def _record_entry(scene: SceneDescription, key: str, session: ImportSession, textures: int) -> SceneEntry | None:
    """What the build record keeps of a scene cooked cleanly by this cook (``None``: cook it again next time).

    Its files are stamped after they were read: a stamp older than the cook's start proves the file did not
    change since, so the bytes read are the bytes stamped; a newer one leaves the entry unverified."""
    if any(d.severity == ImportSeverity.ERROR for d in session.diagnostics):
        return None
    stamps = tuple(stamp_of(f) for f in dict.fromkeys(scene.files))
    if not stamps or None in stamps:
        return None
    assets = tuple(session.asset_emitter.order)
    return SceneEntry(stamps[0].path, key, stamps, assets, textures, is_verified(stamps, session.started_ns))


def pack_keys(scene: SceneDescription) -> dict[tuple[int, int], Hashable]:
    """What each (mesh, primitive) is packed as (pure): primitives with one key are packed once."""
    return {
        (i, p): ("primitive", i, p) if prim.key is None else prim.key
        for i, mesh in enumerate(scene.meshes)
        for p, prim in enumerate(mesh.primitives)
    }


async def _pack_primitives(scene: SceneDescription, paths: ScenePaths, keys: dict[tuple[int, int], Hashable], job: "JobContext") -> dict[Hashable, MeshBuffers]:
    """Each primitive packed through the job's mesh pipeline once per key, named after its first use."""
    items: dict[Hashable, MeshWorkItem] = {}
    for (i, p), key in keys.items():
        if key not in items:
            items[key] = MeshWorkItem(f"{paths.scene_name}/{paths.mesh_names[i]}#{p}", scene.meshes[i].primitives[p].arrays, tag=key)
    packed: dict[Hashable, MeshBuffers] = {}
    async with job.mesh_pipeline() as pipeline, asyncio.TaskGroup() as group:

        async def feed() -> None:
            for item in items.values():
                await pipeline.submit(item)

        group.create_task(feed())
        for _ in items:
            result = await pipeline.collect()
            if not result.success:
                raise SceneError(result.diagnostics[0].message)
            packed[result.tag] = result.mesh
            if result.cache == "hit":
                job.session.report.mesh_cache_hits += 1
            else:
                job.session.report.meshes_built += 1
    return packed


def buffer_layout(keys: list[Hashable], packed: dict[Hashable, MeshBuffers]) -> tuple[list[Hashable], list[MeshView]]:
    """What one mesh's vertex and index buffers hold, and each primitive's view of them (pure).

    Each key's packed buffers go in once, in the order of first use; every
    primitive of that key views the same range. The format allows it: a
    ``MeshViewDesc`` is a range inside its mesh's vertex and index buffers and
    the mesh's ``vertex_buffer``/``index_buffer`` are indices into
    ``buffers.table`` (spec §4.5), with nothing asking ranges to be disjoint or
    indices to be unique; the engine's own cooker gives equal buffers one index
    (dedup by signature, spec §3.2).

    Returns:
        the keys in buffer order, and one view per entry of ``keys``.
    """
    order: list[Hashable] = []
    views: dict[Hashable, MeshView] = {}
    first_vertex = first_index = 0
    for key in keys:
        if key not in views:
            buffers = packed[key]
            views[key] = MeshView(first_index, buffers.index_count, first_vertex, buffers.vertex_count)
            order.append(key)
            first_vertex += buffers.vertex_count
            first_index += buffers.index_count
    return order, [views[key] for key in keys]


def _geometry(mesh: SceneMeshDesc, name: str, packed: list[MeshBuffers], views: list[MeshView], paths: ScenePaths, vb: int, ib: int) -> Geometry:
    """The geometry descriptor of one mesh whose primitives share one vertex and one index buffer (pure)."""
    submeshes = [
        SubMesh(f"{name}_{p}", paths.material_key(prim.material), buffers.bbox_min, buffers.bbox_max, (view,))
        for p, (buffers, view, prim) in enumerate(zip(packed, views, mesh.primitives, strict=True))
    ]
    lo = tuple(min(s.bbox_min[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
    hi = tuple(max(s.bbox_max[a] for s in submeshes) for a in range(3)) if submeshes else (0.0, 0.0, 0.0)
    return Geometry(name, lo, hi, (Mesh(name, vb, ib, lo, hi, tuple(submeshes)),))


async def _emit_geometry(scene: SceneDescription, paths: ScenePaths, job: "JobContext") -> list[bytes | None]:
    """Pack every primitive (in parallel), then emit buffers and geometry in mesh order; returns the geometry keys."""
    keys = pack_keys(scene)
    packed = await _pack_primitives(scene, paths, keys, job)
    emitter, assets = job.session.buffer_emitter, job.session.asset_emitter
    geometry_keys: list[bytes | None] = []
    for i, mesh in enumerate(scene.meshes):
        if not mesh.primitives:  # every primitive was skipped (with a warning): no geometry, no renderable
            geometry_keys.append(None)
            continue
        mesh_keys = [keys[i, p] for p in range(len(mesh.primitives))]
        order, views = buffer_layout(mesh_keys, packed)
        vb = emitter.emit(b"".join(packed[k].vertices for k in order), usage_flags=VERTEX_USAGE, element_stride=VERTEX_STRIDE, alignment=VERTEX_ALIGNMENT)
        ib = emitter.emit(b"".join(packed[k].indices for k in order), usage_flags=INDEX_USAGE, element_format=int(Format.R32_UINT), alignment=INDEX_ALIGNMENT)
        geometry = _geometry(mesh, paths.mesh_names[i], [packed[k] for k in mesh_keys], views, paths, vb, ib)
        geometry_keys.append(assets.emit(AssetType.GEOMETRY, paths.geometry(i), pack_geometry(geometry)))
    return geometry_keys


def _emit_scene(scene: SceneDescription, paths: ScenePaths, geometry_keys: list[bytes | None], session: ImportSession) -> None:
    """The scene descriptor: a root node, the scene's nodes below it, a renderable per node with a mesh."""
    vpath = paths.layout.virtual_path(paths.scene)
    nodes = [SceneNode(asset_key_for(f"{vpath}#root"), paths.scene_name, 0)]
    renderables = []
    for i, node in enumerate(scene.nodes):
        parent = 0 if node.parent is None else node.parent + 1
        nodes.append(SceneNode(asset_key_for(f"{vpath}#node{i}"), node.name[:255], parent, node.translation, node.rotation, node.scale))
        if node.mesh is not None and 0 <= node.mesh < len(geometry_keys) and geometry_keys[node.mesh] is not None:
            renderables.append(Renderable(i + 1, geometry_keys[node.mesh]))
    session.asset_emitter.emit(AssetType.SCENE, paths.scene, pack_scene(Scene(paths.scene_name, tuple(nodes), tuple(renderables))))
