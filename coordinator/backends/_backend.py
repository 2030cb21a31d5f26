"""The compute-backend seam: pipelines submit typed work items and await typed results.

A backend is anything with this small contract (style rule 9); the local
process pool and the Celery farm implement it, and nothing above this line
knows which one runs. Each backend encodes a work item exactly once, in its
own transport. :func:`open_backend` picks one from a broker URL.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Protocol

from oxcook.worker.wire import Result, Work

from ._urls import BACKENDS, check_broker_url


class ComputeBackend(Protocol):
    """Runs work items somewhere; results come back typed."""

    name: str
    shares_files: bool  # workers can read the coordinator's files by path (send paths, not bytes)

    @classmethod
    def open(cls, url: str, *, workers: int, memory_budget: int | None = None, **options) -> "ComputeBackend":
        """A backend for ``url`` (its scheme's row of ``BACKENDS``), ready for work; options it has no use for are ignored."""

    def submit(self, work: Work) -> "asyncio.Future[Result]":
        """Queue one work item (of job ``work.job``); the future resolves to its result.

        Cancelling the future revokes the item if it has not started.
        """

    async def parallelism(self) -> int:
        """How many items it can cook at once (the parts a huge texture is split into)."""

    def running(self, job: str) -> int:
        """How many items of ``job`` a worker is cooking now (the rest of those submitted are queued)."""

    def cancel_job(self, job: str) -> None:
        """Ask every running item of ``job`` to stop at its next stage boundary."""

    async def forget_job(self, job: str) -> None:
        """The job is over: drop everything the backend keeps for it (flags, keys, blobs)."""

    async def close(self) -> None:
        """Stop accepting work and release workers."""


def open_backend(broker_url: str | None, *, workers: int, memory_budget: int | None = None, **options) -> ComputeBackend:
    """The backend for ``broker_url`` (its scheme's row of ``BACKENDS``): none or ``local`` → process pool,
    ``redis://`` → Celery farm.

    Raises:
        ConfigError: an unknown scheme (the message lists the known ones).
    """
    url = broker_url or "local"
    check_broker_url(url)
    module, name = BACKENDS[url.split(":", 1)[0].lower()]
    backend_class = getattr(importlib.import_module(module, __package__), name)
    return backend_class.open(url, workers=workers, memory_budget=memory_budget, **options)
