"""Issue 11: every result a worker returns is checked against what was asked before a byte is written.

A lying backend wraps the real local backend and falsifies one thing in each
result; the texture (or scene) must fail with ``worker-result-invalid`` and the
container must stay valid.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import Config, CookedRootFiles, ImportRequest, ImportService, LocalBackend, TextureImportRequest, TextureSettings, expand_sources
from tests.conftest import SHARED_ASSETS
from oxcook.worker import MeshResult, TextureResult


def _lie_payload(cooked, how):
    payload = cooked.payload
    if how == "truncated":
        return dataclasses.replace(cooked, payload=payload[: len(payload) // 2])
    if how == "zeroed":
        return dataclasses.replace(cooked, payload=bytes(len(payload)))
    if how == "garbage":
        return dataclasses.replace(cooked, payload=np.random.default_rng(1).integers(0, 256, len(payload), dtype=np.uint8).tobytes())
    if how == "dimensions":
        return dataclasses.replace(cooked, width=cooked.width * 2)
    if how == "mips":
        return dataclasses.replace(cooked, mip_levels=cooked.mip_levels + 3)
    if how == "hash":
        return dataclasses.replace(cooked, content_hash=cooked.content_hash ^ 1)
    if how == "type":
        return dataclasses.replace(cooked, texture_type=int(f.TextureType.TEXTURE_CUBE))
    if how == "oversized":
        return dataclasses.replace(cooked, payload=payload + bytes(200 * 2**20))
    raise AssertionError(how)


class LyingBackend(LocalBackend):
    """The real local backend, whose results are falsified on the way back."""

    def __init__(self, how: str) -> None:
        super().__init__(workers=1)
        self.how = how

    async def _run(self, work):
        result = await super()._run(work)
        if isinstance(result, TextureResult) and result.ok and self.how != "mesh":
            return dataclasses.replace(result, cooked=_lie_payload(result.cooked, self.how))
        if isinstance(result, MeshResult) and result.ok and self.how == "mesh":
            return dataclasses.replace(result, mesh=dataclasses.replace(result.mesh, vertex_count=24_000))
        return result


def _run(request, backend):
    done = threading.Event()
    reports = []
    with ImportService(Config(thread_pool_size=1), backend=backend) as service:
        submit = service.submit_texture_import if isinstance(request, TextureImportRequest) else service.submit_import
        submit(request, lambda _j, r: (reports.append(r), done.set()))
        assert done.wait(120)
    return reports[0]


@pytest.mark.parametrize("how", ["truncated", "zeroed", "garbage", "dimensions", "mips", "hash", "type", "oversized"])
def test_a_lying_texture_result_fails_its_texture_not_the_container(tmp_path, how):
    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(src / "a_albedo.png")
    request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings()).textures), cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend(how))
    assert [d.code for d in report.errors] == ["worker-result-invalid"], report.diagnostics
    assert report.textures[0].index == 0  # the fallback, never the lie
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok


def test_a_mesh_result_claiming_more_vertices_than_its_buffer_holds_fails_the_scene(tmp_path):
    request = ImportRequest(source_path=SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf", cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend("mesh"))
    assert report.failure_code == "scene-invalid"
    assert any("24000 vertices" in d.message for d in report.errors)
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
