"""The seed's Importer interface: a synchronous importer runs through the default ``import_async``."""

from __future__ import annotations

import asyncio

from oxcook import formats as f
from oxcook.coordinator import AsyncImporter, Config, CookedRootFiles, Importer, ImportFormat, ImportRequest, JobScope, LocalBackend, detect_format
from oxcook.coordinator._async_importer import JobEntry


class SyncMeshImporter(Importer):
    """A minimal synchronous importer: two buffers and a material, emitted from a worker thread."""

    name = "sync-test"
    formats = frozenset({ImportFormat.UNKNOWN})

    def import_(self, request, session) -> None:
        session.buffer_emitter.emit(bytes(range(72)) * 2, usage_flags=0x101, element_stride=72, alignment=72)
        session.buffer_emitter.emit(bytes(12), usage_flags=0x102, element_format=10, alignment=4)
        mat = f.MATERIAL_ASSET_DESC[f.Epoch.B].make(header=f.material_header("Sync"))
        session.asset_emitter.emit(f.AssetType.MATERIAL, "Materials/Sync.omat", f.pack_material(mat, f.default_shader_refs(False)))


def test_default_import_async_offloads_the_sync_import(tmp_path):
    async def scenario():
        backend = LocalBackend(workers=1)
        importer = AsyncImporter(backend, Config(thread_pool_size=1))
        request = ImportRequest(source_path=tmp_path / "nothing.bin", cooked_root=tmp_path / "root")
        report = await importer.run_job(JobEntry(1, request, SyncMeshImporter(), JobScope(1)))
        await backend.close()
        return report

    report = asyncio.run(scenario())
    assert report.success and report.materials_written == 1
    validation = f.validate_container(CookedRootFiles(tmp_path / "root"))
    assert validation.ok and len(validation.buffer_rows) == 3


def test_detect_format(tmp_path, shared_assets):
    assert detect_format(shared_assets / "gltf/BoxTextured-Binary/BoxTextured.glb") == ImportFormat.GLB
    assert detect_format(shared_assets / "gltf/BoxTextured/BoxTextured.gltf") == ImportFormat.GLTF
    assert detect_format(shared_assets / "fbx/blender_293_textures_7400_binary.fbx") == ImportFormat.FBX
    assert detect_format(shared_assets / "images") == ImportFormat.TEXTURES
    assert detect_format(shared_assets / "images/png/hopper.png") == ImportFormat.TEXTURES
    (tmp_path / "x.bin").write_bytes(b"\0" * 10)
    assert detect_format(tmp_path / "x.bin") == ImportFormat.UNKNOWN
