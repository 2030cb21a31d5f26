"""AssetImporter: the synchronous façade — one call cooks a request to completion and returns its report."""

from __future__ import annotations

import shutil

from oxcook import formats as f
from oxcook.coordinator import AssetImporter, Config, CookedRootFiles, ImportFormat, ImportRequest, TextureImportRequest, expand_sources
from oxcook.coordinator._types import TextureSettings


def test_a_folder_of_textures_and_a_scene_cook_to_a_valid_root_in_one_call(tmp_path, shared_assets):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(shared_assets / "images/png/hopper.png", src / "hopper_albedo.png")
    shutil.copytree(shared_assets / "gltf/BoxTextured", tmp_path / "box")
    importer = AssetImporter(Config(thread_pool_size=1))
    assert importer.detect_format(tmp_path / "box/BoxTextured.gltf") == ImportFormat.GLTF

    textures = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / "root")
    report = importer.import_to_loose_cooked(textures)
    assert report.success and [t.source_id for t in report.textures] == ["hopper_albedo.png"]

    scene = importer.import_to_loose_cooked(ImportRequest(source_path=tmp_path / "box/BoxTextured.gltf", cooked_root=tmp_path / "root"))
    assert scene.success
    validation = f.validate_container(CookedRootFiles(tmp_path / "root"))
    assert validation.ok, [str(v) for v in validation.violations]
    kinds = {a.asset_type for a in f.parse_index((tmp_path / "root" / f.INDEX_FILE_NAME).read_bytes()).assets}
    assert {f.AssetType.MATERIAL, f.AssetType.GEOMETRY, f.AssetType.SCENE} <= kinds
