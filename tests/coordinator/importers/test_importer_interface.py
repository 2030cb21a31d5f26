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


def test_one_table_declares_each_source_kind_and_everything_else_is_read_from_it(tmp_path):
    from oxcook.coordinator.importers import IMPORTERS, SCENE_FORMATS, SOURCE_KINDS, importer_for
    from oxcook.coordinator.importers._importer import SCENE_EXTENSIONS, TEXTURE_EXTENSIONS

    assert set(IMPORTERS) == {kind.format for kind in SOURCE_KINDS} == set(ImportFormat) - {ImportFormat.UNKNOWN}
    assert SCENE_FORMATS == {ImportFormat.GLTF, ImportFormat.GLB, ImportFormat.FBX}
    assert set(SCENE_EXTENSIONS) | set(TEXTURE_EXTENSIONS) == {e for kind in SOURCE_KINDS for e in kind.extensions}
    for kind in SOURCE_KINDS:
        assert issubclass(importer_for(kind.format), Importer)
        for extension in kind.extensions:  # a file of no known magic is known by its extension
            path = tmp_path / f"plain{extension}"
            path.write_bytes(b"\0" * 64)
            assert detect_format(path) == kind.format, extension
    # magic bytes win over the name; a scene that cannot be read is still its importer's to name
    (tmp_path / "binary.gltf").write_bytes(b"glTF" + b"\0" * 60)
    assert detect_format(tmp_path / "binary.gltf") == ImportFormat.GLB
    (tmp_path / "named.png").write_bytes(b"Kaydara FBX Binary  \0" + b"\0" * 40)
    assert detect_format(tmp_path / "named.png") == ImportFormat.FBX
    assert detect_format(tmp_path / "absent.fbx") == ImportFormat.FBX
    assert detect_format(tmp_path / "absent.png") == ImportFormat.UNKNOWN


def test_a_file_in_a_folder_is_known_by_the_suffix_it_has_when_named_alone(tmp_path):
    from PIL import Image

    from oxcook.coordinator import TextureSettings, expand_sources

    folder = tmp_path / "src"
    folder.mkdir()
    names = ("..png", "a..png", "plain.png", ".png", "trailing.", "noext")
    for name in names:
        Image.new("RGB", (4, 4)).save(folder / name, format="PNG")
    found = sorted(t.source_id.rsplit("/", 1)[-1] for t in expand_sources([folder], TextureSettings()).textures)
    alone = sorted(name for name in names if detect_format(folder / name) == ImportFormat.TEXTURES)
    assert found == alone == ["..png", "a..png", "plain.png"]
