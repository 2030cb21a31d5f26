"""Source blobs on the farm: stored once per job, deleted once no item waiting reads them.

A texture that has a task of its own sends its sources as blobs,
content-addressed within their job (``oxcook:blob:<job>:<sha256>``, set if
absent, with a TTL), so the parts of a split texture share one upload. Blobs are
uploaded by a blocking client on the uploader's threads: asyncio's transport
copies a value the socket cannot take at once and sends it in slices (146 MB:
~430 ms against ~95 ms). Each item reading a blob counts as one of its readers
from the moment it asks for it; once its last reader is delivered the blob is
deleted, and an upload of the same bytes meanwhile waits for that deletion —
so a job holds in Redis only the sources of its window.
"""

from __future__ import annotations

import asyncio
import hashlib

from oxcook.worker.farm import keys

from ._farm_job import FarmLink


class BlobBook:
    """Which blobs each job has stored, and how many of its items waiting read each."""

    def __init__(self, link: FarmLink) -> None:
        self._link = link
        self._uploads: dict[str, dict[str, asyncio.Future]] = {}  # job -> blob key -> its upload
        self._readers: dict[str, dict[str, int]] = {}  # job -> blob key -> its items not yet delivered
        self._dropping: dict[str, asyncio.Future] = {}  # blob key -> its deletion under way (a new upload waits for it)
        self._last: tuple[bytes, str] | None = None  # the last source hashed (the parts of one texture share it)

    async def store(self, job: str, data: bytes) -> str:
        """The blob key of ``data``, stored once per job: the parts of a split texture share one upload (and one hash).
        The caller's item counts as one of its readers from here on."""
        loop = asyncio.get_running_loop()
        if self._last is not None and self._last[0] is data and self._last[1].startswith(keys.blob(job, "")):
            name = self._last[1]
        else:
            digest = await loop.run_in_executor(None, lambda: hashlib.sha256(data).hexdigest())
            name = keys.blob(job, digest)
            self._last = (data, name)
        while name in self._dropping:
            await asyncio.shield(self._dropping[name])
        readers = self._readers.setdefault(job, {})
        readers[name] = readers.get(name, 0) + 1  # counted at once: a delivery meanwhile cannot delete it
        uploads = self._uploads.setdefault(job, {})
        if name not in uploads:
            bulk, ttl = self._link.bulk_redis, self._link.ttl
            uploads[name] = loop.run_in_executor(self._link.uploader, lambda: bulk.set(name, data, nx=True, ex=ttl))
        await asyncio.shield(uploads[name])
        return name

    def unread(self, job: str, names: tuple[str, ...]) -> list[str]:
        """An item of ``job`` reading ``names`` was delivered: the blobs no item waiting reads any more (to delete
        with :meth:`delete`)."""
        readers = self._readers.get(job, {})
        unread = []
        for name in names:
            readers[name] = readers.get(name, 1) - 1
            if readers[name] <= 0:
                del readers[name]
                self._uploads.get(job, {}).pop(name, None)
                if self._last is not None and self._last[1] == name:
                    self._last = None
                unread.append(name)
        return unread

    async def delete(self, spent: list[str], unread: list[str]) -> None:
        """Delete the keys of delivered items and the blobs none waiting reads; an upload of one of those blobs waits."""
        dropping = asyncio.get_running_loop().create_future()
        for name in unread:
            self._dropping[name] = dropping
        try:
            await self._link.redis.delete(*spent, *unread)
        finally:
            for name in unread:
                if self._dropping.get(name) is dropping:
                    del self._dropping[name]
            dropping.set_result(None)

    def forget(self, job: str) -> dict[str, asyncio.Future]:
        """Drop what is kept of ``job``'s blobs; returns their uploads (blob key -> upload) for the final sweep."""
        self._readers.pop(job, None)
        self._last = None
        return self._uploads.pop(job, {})
