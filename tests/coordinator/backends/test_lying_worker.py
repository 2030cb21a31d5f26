"""Every result a worker returns is checked against what the coordinator knows before a byte is written.

A lying backend wraps the real local backend and falsifies each result: either a
field of it, or — the lies a checksum cannot catch — a real, self-consistent cook
of something else (another image, another size, one mip, re-hashed blocks, a mesh
with a triangle dropped or its positions scaled). The texture (or scene) must fail
with ``worker-result-invalid``, the container must stay valid and no cache tier may
keep the lie. On the farm, a result is taken only from the worker holding its
item's lease: real redis-server, real ``oxcook worker`` processes.

What no check against the coordinator's knowledge can catch is a lie of the right
shape (blocks shuffled within their levels and re-hashed): only a re-cook finds it.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import threading

import numpy as np
import pytest
import redis
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import Config, CookedRootFiles, ImportRequest, ImportService, LocalBackend, TextureImportRequest, TextureSettings, expand_sources
from oxcook.coordinator.backends._farm_backend import FarmBackend
from oxcook.coordinator.cache import CacheSettings
from tests.conftest import SHARED_ASSETS
from tests.farm_fixtures import CeleryWorker, RedisServer, wait_until
from tests.helpers import png_bytes, read_texture
from tests.lying_worker import repacked
from oxcook.worker import run_work
from oxcook.worker.cook import MipPolicy
from oxcook.worker.wire import MeshResult, TextureResult, TextureWork, decode, encode
from oxcook.worker.farm import keys
from oxcook.worker.farm.celery_app import _finish


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
    if how == "zeroed-rehashed":
        return repacked(cooked, lambda tight: bytes(len(tight)))
    raise AssertionError(how)


def _png(width: int, height: int, seed: int = 0) -> bytes:
    return png_bytes(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


def _upscaled(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return png_bytes(np.asarray(im.resize((im.width * 2, im.height * 2))))


def _cook_of_something_else(work, how):
    """The work item a lying worker cooks instead of ``work``: its result is a real, self-consistent cook."""
    if isinstance(work, TextureWork):
        if how == "another-image":
            return dataclasses.replace(work, sources=(_png(128, 64, seed=7),), paths=())
        if how == "upscaled":
            source = work.sources[0] if work.sources else open(work.paths[0], "rb").read()
            return dataclasses.replace(work, sources=(_upscaled(source),), paths=())
        if how == "one-mip":
            return dataclasses.replace(work, desc=dataclasses.replace(work.desc, mip_policy=MipPolicy.NONE))
        return work
    arrays = dict(work.arrays)
    if how == "dropped-triangle":
        arrays["indices"] = arrays["indices"][:-3]
    elif how == "doubled-positions":
        arrays["positions"] = arrays["positions"] * 2.0
    return dataclasses.replace(work, arrays=arrays)


class LyingBackend(LocalBackend):
    """The real local backend, whose results are falsified on the way back."""

    def __init__(self, how: str, workers: int = 1) -> None:
        super().__init__(workers=workers)
        self.how = how

    async def _run(self, work):
        result = await super()._run(_cook_of_something_else(work, self.how))
        result = dataclasses.replace(result, key=work.key)
        if isinstance(result, TextureResult) and result.ok and self.how in _FIELD_LIES:
            return dataclasses.replace(result, cooked=_lie_payload(result.cooked, self.how))
        if isinstance(result, MeshResult) and result.ok and self.how == "mesh":
            return dataclasses.replace(result, mesh=dataclasses.replace(result.mesh, vertex_count=24_000))
        return result


_FIELD_LIES = ("truncated", "zeroed", "garbage", "dimensions", "mips", "hash", "type", "oversized", "zeroed-rehashed")
_COOKED_LIES = ("another-image", "upscaled", "one-mip")


def _run(request, backend, config=None):
    done = threading.Event()
    reports = []
    with ImportService(config or Config(thread_pool_size=1), backend=backend) as service:
        submit = service.submit_texture_import if isinstance(request, TextureImportRequest) else service.submit_import
        submit(request, lambda _j, r: (reports.append(r), done.set()))
        assert done.wait(120)
    return reports[0]


def _cache_entries(folder) -> list:
    return sorted((folder / "entries").rglob("*.oxc")) if (folder / "entries").is_dir() else []


@pytest.mark.parametrize("how", [*_FIELD_LIES, *_COOKED_LIES])
def test_a_lying_texture_result_fails_its_texture_not_the_container(tmp_path, how):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_albedo.png").write_bytes(_png(256, 256))
    request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend(how), Config(thread_pool_size=1, cache=CacheSettings(local=tmp_path / "cache")))
    assert [d.code for d in report.errors] == ["worker-result-invalid"], report.diagnostics
    assert report.errors[0].source_id == "a_albedo.png" and "a_albedo.png" in report.errors[0].message
    assert report.textures[0].index == 0  # the fallback, never the lie
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
    assert _cache_entries(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("how", "said"),
    [("another-image", "128x64, the source is 256x256"), ("upscaled", "512x512, the source is 256x256"), ("one-mip", "1 mips, the settings ask for 9")],
)
def test_the_diagnostic_says_what_the_coordinator_expected(tmp_path, how, said):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_albedo.png").write_bytes(_png(256, 256))
    request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend(how))
    assert said in report.errors[0].message, report.errors[0].message


def test_a_lying_part_of_a_split_texture_fails_the_texture(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_albedo.png").write_bytes(_png(256, 256))
    request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / "root")
    config = Config(thread_pool_size=1, split_above=64 * 64, cache=CacheSettings(local=tmp_path / "cache"))
    report = _run(request, LyingBackend("upscaled", workers=2), config)
    assert report.textures[0].parts == 2
    assert [d.code for d in report.errors] == ["worker-result-invalid"], report.diagnostics
    assert report.textures[0].index == 0
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
    assert _cache_entries(tmp_path / "cache") == []


def test_a_mesh_result_claiming_more_vertices_than_its_buffer_holds_fails_the_scene(tmp_path):
    request = ImportRequest(source_path=SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf", cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend("mesh"))
    assert report.failure_code == "scene-invalid"
    assert any("24000 vertices" in d.message for d in report.errors)
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok


@pytest.mark.parametrize(("how", "said"), [("dropped-triangle", "33 indices, the source has 36"), ("doubled-positions", "its vertex positions differ from the source's")])
def test_a_self_consistent_mesh_of_other_geometry_fails_the_scene(tmp_path, how, said):
    request = ImportRequest(source_path=SHARED_ASSETS / "gltf/BoxTextured/BoxTextured.gltf", cooked_root=tmp_path / "root")
    report = _run(request, LyingBackend(how), Config(thread_pool_size=1, cache=CacheSettings(local=tmp_path / "cache")))
    assert report.failure_code == "scene-invalid"
    assert any(f"BoxTextured/Mesh#0: a worker returned a result that is not what was asked: {said}" in d.message for d in report.errors), report.diagnostics
    assert f.validate_container(CookedRootFiles(tmp_path / "root")).ok
    assert not any(p.suffix == ".oxc" for p in (tmp_path / "cache").rglob("*"))


def _forged(work: TextureWork, job: str, key: str) -> TextureResult:
    """A real cook of another image of the same size, addressed to ``key``: only who sent it gives it away."""
    with Image.open(io.BytesIO(work.sources[0])) as im:
        size = im.size
    return dataclasses.replace(run_work(dataclasses.replace(work, sources=(_png(*size, seed=99),), blobs=())), key=key)


def test_on_the_farm_only_the_lease_holder_s_result_is_taken(tmp_path, caplog):
    server = RedisServer(tmp_path)
    store = redis.Redis.from_url(server.url)
    worker = None
    try:
        src = tmp_path / "src"
        src.mkdir()
        (src / "a_albedo.png").write_bytes(_png(64, 64))
        request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / "root")
        done, reports = threading.Event(), []
        caplog.set_level(logging.WARNING)
        with ImportService(Config(thread_pool_size=1), backend=FarmBackend(server.url)) as service:
            service.submit_texture_import(request, lambda _j, r: (reports.append(r), done.set()))
            wait_until(lambda: bool(store.keys(keys.work("*", "*"))), 30, "the item to be stored")  # no worker yet: it waits
            name = store.keys(keys.work("*", "*"))[0].decode()
            job, key = name.removeprefix(keys.work("", "")[:-1]).split(":", 1)
            stored = decode(store.get(name), expect=TextureWork)
            work = dataclasses.replace(stored, sources=tuple(store.mget(list(stored.blobs))), blobs=())
            forged = _forged(work, job, key)
            # a worker that was never given the item finishes it through the worker's own script ...
            _finish(store, job, key, forged, holder="rogue@farm/1")
            # ... and one that writes its result and the done list itself, for the item and for one never submitted
            for k in (key, f"{job}:texture999"):
                store.set(keys.result(job, k), encode(dataclasses.replace(forged, key=k, lease="rogue@farm/1")))
                store.rpush(keys.done(job), k)
            wait_until(lambda: store.llen(keys.done(job)) == 0, 30, "the coordinator to read the forged results")
            assert not done.is_set()  # nothing taken: the item still waits for its worker
            worker = CeleryWorker(server.url, "honest", tmp_path / "worker.log")
            assert done.wait(120)
        report = reports[0]
        assert report.success and not report.errors, report.diagnostics
        assert read_texture(tmp_path / "root", report.textures[0].index)[1] == run_work(work).cooked.payload
        assert read_texture(tmp_path / "root", report.textures[0].index)[1] != forged.cooked.payload
        ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
        assert any(key in m and "lease" in m for m in ignored), ignored
        assert any(f"{job}:texture999" in m and "never submitted" in m for m in ignored), ignored
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
