"""ImportService: many threads, progress order, cancellation, shutdown, failures as data."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import threading

import pytest

from oxcook import formats as f
from oxcook.coordinator import (
    Config,
    CookedRootFiles,
    ImportPhase,
    ImportRequest,
    ImportService,
    QueueDispatcher,
    ServiceClosedError,
    TextureImportRequest,
    expand_sources,
)
from oxcook.coordinator._types import TextureSettings
from tests.helpers import snapshot

TIMEOUT = 120


def texture_request(src, root, **settings) -> TextureImportRequest:
    return TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(**settings)).textures), cooked_root=root)


@pytest.fixture(scope="module")
def service():
    with ImportService(Config(thread_pool_size=2)) as svc:
        yield svc


@pytest.fixture
def slow_source(tmp_path, shared_assets):
    """Six 2048² textures at default BC7 quality: several seconds of work on two cores."""
    src = tmp_path / "slow"
    src.mkdir()
    for i in range(6):
        shutil.copy(shared_assets / "gltf/WaterBottle/WaterBottle_baseColor.png", src / f"bottle{i}_albedo.png")
        # distinct files so nothing deduplicates
        with open(src / f"bottle{i}_albedo.png", "ab") as fh:
            fh.write(b"\0" * i)
    return src


class Waiter:
    """Collects callbacks and lets a test wait for them (events, never sleeps)."""

    def __init__(self) -> None:
        self.reports: dict[int, object] = {}
        self.cancelled: list[int] = []
        self.progress: list = []
        self._done = threading.Condition()
        self.started = threading.Event()

    def complete(self, job, report) -> None:
        with self._done:
            self.reports[job] = report
            self._done.notify_all()

    def cancel(self, job) -> None:
        self.cancelled.append(job)

    def on_progress(self, progress) -> None:
        self.progress.append(progress)
        if progress.phase == ImportPhase.TEXTURES:
            self.started.set()

    def wait(self, count: int = 1) -> None:
        with self._done:
            assert self._done.wait_for(lambda: len(self.reports) >= count, timeout=TIMEOUT), "jobs did not finish"


def test_submissions_from_eight_threads(service, tmp_path, shared_assets):
    waiter = Waiter()
    ids: list[int] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        root = tmp_path / f"root{i}"
        job = service.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", root), waiter.complete)
        with lock:
            ids.append(job)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    waiter.wait(8)
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 8
    for job in ids:
        assert waiter.reports[job].success
    for i in range(8):
        assert f.validate_container(CookedRootFiles(tmp_path / f"root{i}")).ok


def test_progress_phases_in_order(service, tmp_path, shared_assets):
    waiter = Waiter()
    service.submit_import(
        ImportRequest(source_path=shared_assets / "images/png", cooked_root=tmp_path / "root"), waiter.complete, waiter.on_progress
    )
    waiter.wait()
    order = [ImportPhase.PENDING, ImportPhase.PARSING, ImportPhase.TEXTURES, ImportPhase.WRITING, ImportPhase.COMPLETE]
    phases = [p.phase for p in waiter.progress]
    assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases)
    assert phases[0] == ImportPhase.PENDING and phases[-1] == ImportPhase.COMPLETE
    textures = [p for p in waiter.progress if p.phase == ImportPhase.TEXTURES]
    assert textures[-1].items_completed == textures[-1].items_total == 14


def test_cancel_running_job_keeps_previous_container(service, tmp_path, shared_assets, slow_source):
    root = tmp_path / "root"
    first = Waiter()
    service.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", root), first.complete)
    first.wait()
    before = snapshot(root)
    waiter = Waiter()
    job = service.submit_texture_import(texture_request(slow_source, root), waiter.complete, waiter.on_progress, waiter.cancel)
    assert waiter.started.wait(TIMEOUT)
    assert service.is_job_active(job)
    assert service.cancel_job(job, "test cancel")
    waiter.wait()
    report = waiter.reports[job]
    assert report.cancelled and not report.success and waiter.cancelled == [job]
    assert any(d.code == "job-cancelled" and "test cancel" in d.message for d in report.diagnostics)
    assert snapshot(root) == before
    assert not service.is_job_active(job) and not service.cancel_job(job)


def test_cancel_all(service, tmp_path, slow_source):
    waiter = Waiter()
    jobs = [service.submit_texture_import(texture_request(slow_source, tmp_path / f"r{i}"), waiter.complete, waiter.on_progress) for i in range(2)]
    assert waiter.started.wait(TIMEOUT)
    service.cancel_all()
    waiter.wait(2)
    assert all(waiter.reports[j].cancelled for j in jobs)
    for i in range(2):
        assert not (tmp_path / f"r{i}" / "container.index.bin").exists()


def test_shutdown_with_jobs_in_flight(tmp_path, slow_source, shared_assets):
    waiter = Waiter()
    svc = ImportService(Config(thread_pool_size=2))
    job = svc.submit_texture_import(texture_request(slow_source, tmp_path / "root"), waiter.complete, waiter.on_progress)
    assert waiter.started.wait(TIMEOUT)
    svc.request_shutdown()
    with pytest.raises(ServiceClosedError):
        svc.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", tmp_path / "other"), waiter.complete)
    svc.close(timeout=TIMEOUT)
    assert waiter.reports[job].cancelled
    assert not (tmp_path / "root" / "container.index.bin").exists()


class ExplodingBackend:
    """A backend with a bug: every submit raises."""

    name = "exploding"
    shares_files = True

    def submit(self, work):
        raise RuntimeError("kaboom")

    def running(self, job) -> int:
        return 0

    def cancel_job(self, job) -> None:
        pass

    async def forget_job(self, job) -> None:
        await asyncio.sleep(0)

    async def close(self) -> None:
        await asyncio.sleep(0)


def test_exception_inside_a_job_becomes_a_diagnostic(tmp_path, shared_assets):
    waiter = Waiter()
    with ImportService(Config(thread_pool_size=1), backend=ExplodingBackend()) as svc:
        job = svc.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", tmp_path / "root"), waiter.complete)
        waiter.wait()
        report = waiter.reports[job]
        assert report.failure_code == "internal-error" and not report.success
        assert any("kaboom" in d.message for d in report.errors)
        # the import thread survived: the service still runs jobs
        second = svc.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", tmp_path / "root2"), waiter.complete)
        waiter.wait(2)
        assert waiter.reports[second].failure_code == "internal-error"


def test_queue_dispatcher_runs_callbacks_on_the_callers_thread(tmp_path, shared_assets):
    dispatcher = QueueDispatcher()
    seen: list[str] = []
    done = threading.Event()

    def complete(job, report) -> None:
        seen.append(threading.current_thread().name)
        done.set()

    with ImportService(Config(thread_pool_size=1), dispatcher=dispatcher) as svc:
        svc.submit_texture_import(texture_request(shared_assets / "images/png/hopper.png", tmp_path / "root"), complete)
        while not done.is_set():
            dispatcher.run_pending(timeout=0.1)
    assert seen == [threading.current_thread().name]


def test_config_is_frozen_and_sized_to_the_machine():
    config = Config()
    assert config.thread_pool_size >= 1 and config.texture_queue_capacity == 64
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_concurrent_jobs = 9
