"""The compute-backend seam: pipelines submit wire-encoded work and await wire-encoded results.

A backend is anything with this small contract (style rule 9); the local
process pool and the Celery farm implement it, and nothing above this line
knows which one runs. :func:`open_backend` picks one from a broker URL.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from ._errors import ConfigError


class ComputeBackend(Protocol):
    """Runs work items somewhere; results come back as wire bytes."""

    name: str

    def submit(self, kind: str, message: bytes, *, job: str) -> "asyncio.Future[bytes]":
        """Queue one work item; the future resolves to the result message.

        Cancelling the future revokes the item if it has not started.
        """

    def cancel_job(self, job: str) -> None:
        """Ask every running item of ``job`` to stop at its next stage boundary."""

    async def forget_job(self, job: str) -> None:
        """The job is over: drop everything the backend keeps for it (flags, keys, blobs)."""

    async def close(self) -> None:
        """Stop accepting work and release workers."""


KNOWN_SCHEMES = ("local", "redis", "rediss")


def open_backend(broker_url: str | None, *, workers: int, **options) -> ComputeBackend:
    """The backend for ``broker_url``: none or ``local`` → process pool, ``redis://`` → Celery farm.

    Raises:
        ConfigError: an unknown scheme (the message lists the known ones).
    """
    scheme = (broker_url or "local").split(":", 1)[0].lower()
    if scheme == "local":
        from ._local_backend import LocalBackend

        return LocalBackend(workers=workers)
    if scheme in ("redis", "rediss"):
        from ._farm_backend import FarmBackend

        return FarmBackend(broker_url, **options)
    raise ConfigError(f"unknown broker URL scheme {scheme!r}; known schemes: {', '.join(KNOWN_SCHEMES)}")
