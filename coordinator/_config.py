"""``Config``: the service's sizing knobs (the seed's ``AsyncImportService::Config``), sized to the machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from oxcook.worker import default_encoder_target

from .cache import CacheSettings


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


SPLIT_ABOVE = 4096 * 4096  # pixels: a texture this large or larger is split across processes


@dataclass(frozen=True, kw_only=True)
class Config:
    """Keyword-only, frozen: derive variants with ``dataclasses.replace``.

    Attributes:
        thread_pool_size: compute workers of the local backend (default: usable cores).
        texture_pipeline_workers: I/O threads for positional writes.
        texture_queue_capacity: the in-flight window of each texture pipeline.
        max_concurrent_jobs: jobs running at once (0 = unlimited).
        lock_timeout: seconds to wait for another cook's lock on the same root.
        broker_url: ``None``/``local`` for the process pool, ``redis://…`` for the farm.
        shared_storage: farm workers read sources by path (shared storage) instead of Redis blobs.
        task_timeout: seconds one texture may take on the farm (lease and visibility timeout).
        memory_budget: bytes one local worker process may use for one texture
            (``None``: its share of three quarters of the machine).
        cache: where the cook cache lives (off unless set; the CLI turns it on by default).
        stall_timeout: seconds a farm job may wait with no item started or finished
            before, if no worker answers a ping, it fails (exit 3) naming the queue.
        encoder_target: the instruction set whose encoder kernels every worker
            uses (targets write different bytes; pinning it keeps a mixed farm deterministic).
        split_above: pixels from which one texture is split into parts cooked by
            several processes or farm workers; below it a texture is split only
            across processes that would otherwise idle (0 = never split); the
            bytes do not change.
        verify_results: the share (0..1) of fresh farm results cooked again on
            the coordinator's own pool and compared byte for byte; a worker
            whose bytes differ is named and its results replaced (chosen by
            source id, so the same ones every run).
        quality: workers measure every cooked texture's quality figures (``worker.quality_figures``);
            they change no byte and no cache key.
        farm_priority: ``high``, ``normal`` or ``low``: shifts the Celery priorities of this
            coordinator's farm tasks (``backends._fairness``); it changes no byte.
    """

    thread_pool_size: int = field(default_factory=_cores)
    texture_pipeline_workers: int = 2
    texture_queue_capacity: int = 64
    max_concurrent_jobs: int = 4
    lock_timeout: float = 600.0
    broker_url: str | None = None
    shared_storage: bool = False
    task_timeout: float = 900.0
    memory_budget: int | None = None
    cache: CacheSettings = field(default_factory=CacheSettings)
    encoder_target: str = field(default_factory=default_encoder_target)
    stall_timeout: float = field(default_factory=lambda: float(os.environ.get("OXCOOK_STALL_TIMEOUT", "60")))
    split_above: int = SPLIT_ABOVE
    verify_results: float = 0.0
    quality: bool = True
    farm_priority: str = "normal"
