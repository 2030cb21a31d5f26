"""``ResultVerifier``: a share of a job's fresh farm results cooked again on the coordinator's own pool, compared byte for byte.

The checks against what the coordinator knows (``_checks``) cannot see a lie
of the right shape — BC7 blocks shuffled within their levels and hashed again.
Cooks are deterministic, so cooking the same work item again and comparing the
bytes can. Which results: the ``fraction`` chosen by name (:func:`sampled` over
the source id and part, so the same items on every run), and every later result
of a worker already caught. Results of the local pool are the coordinator's own
and are not verified; cache hits have ``--cache-verify``.

A result that differs is rejected and the cook here takes its place; the job
gets a ``worker-result-mismatch`` error naming the worker by the hostname in
the lease its result names, and every later result of that worker in the job
is cooked again here and replaced. A worker's unsampled results wait while one
of its sampled results is being compared, so a lie caught then costs nothing
placed; results of that worker the job had already accepted unverified cannot
be taken back from the container: the job then fails with
:class:`WorkerResultMismatch` and commits nothing. Cache entries made from a
caught worker's results are discarded.

With honest workers verification changes no byte: a verified result is the
worker's own, and equal to the cook here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Callable, Collection

from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.wire import MeshWork, Result, TextureWork

from .._errors import WorkerResultMismatch
from .._sampling import sampled
from ..backends import ComputeBackend
from ..cache import CookCache, same_cook

LOCAL = "local"  # who cooked a result of the coordinator's own pool


def cooked_by(result: Result) -> str:
    """Who cooked ``result``: the worker hostname in the lease token its farm worker held (``host/attempt``), else ``local``."""
    if not result.lease:
        return LOCAL
    return result.lease.rpartition("/")[0] or result.lease


def sample_name(work: TextureWork | MeshWork) -> str:
    """What a work item is chosen by: its source id, and its part of a split texture."""
    part = getattr(work, "part", None)
    return work.source_id if part is None else f"{work.source_id}#{part[0]}/{part[1]}"


def to_verify(fraction: float, work: TextureWork | MeshWork, result: Result, caught: Collection[str]) -> bool:
    """Whether ``result`` of ``work`` is cooked again here: a farm worker's success, chosen by name or from a caught worker."""
    host = cooked_by(result)
    return result.ok and host != LOCAL and (host in caught or sampled(fraction, sample_name(work)))


class ResultVerifier:
    """One job's verification: which workers were caught, and what was taken from them unverified.

    Args:
        fraction: the share of fresh farm results cooked again here.
        recook: the coordinator's own backend (opened on first use).
        report: where the job's diagnostics go.
        cache: the cook cache whose entries a caught worker's results must leave.
    """

    def __init__(self, fraction: float, recook: Callable[[], ComputeBackend], report: Callable[[ImportDiagnostic], None], cache: CookCache | None = None) -> None:
        self.fraction = fraction
        self._recook = recook
        self._report = report
        self._cache = cache
        self._caught: set[str] = set()
        self._unverified: dict[str, int] = {}  # host -> its results accepted without verification
        self._published: dict[str, list[str]] = {}  # host -> cache keys of entries made from its results
        self._comparing: dict[str, int] = {}  # host -> its results being compared now
        self._settled: dict[str, asyncio.Event] = {}  # host -> set while none of its results is being compared

    @property
    def caught(self) -> frozenset[str]:
        return frozenset(self._caught)

    async def check(self, work: TextureWork | MeshWork, result: Result) -> Result:
        """``result``, or the cook here in its place when it differs (or its worker was caught).

        Raises:
            WorkerResultMismatch: a worker caught now had results already accepted unverified.
        """
        host = cooked_by(result)
        if not to_verify(self.fraction, work, result, self._caught):
            if result.ok and host != LOCAL:
                if host in self._settled:
                    await self._settled[host].wait()
                if host in self._caught:  # caught while this one waited
                    return await self._cook_here(work)
                self._unverified[host] = self._unverified.get(host, 0) + 1
            return result
        if host in self._caught:
            return await self._cook_here(work)
        self._comparing[host] = self._comparing.get(host, 0) + 1
        self._settled.setdefault(host, asyncio.Event()).clear()
        try:
            here = await self._cook_here(work)
            if not here.ok:  # the cook here failed (a smaller memory budget, say): nothing to compare with
                message = f"{work.source_id}: the result of worker {host} could not be verified: {here.error.message}"
                self._report(ImportDiagnostic(ImportSeverity.WARNING, "worker-result-unverified", message, work.source_id))
                self._unverified[host] = self._unverified.get(host, 0) + 1
                return result
            if same_cook(result, here):
                return result
            await self._catch(host, work)
            return here
        finally:
            self._comparing[host] -= 1
            if not self._comparing[host]:
                self._settled[host].set()

    async def _cook_here(self, work: TextureWork | MeshWork) -> Result:
        return dataclasses.replace(await self._recook().submit(dataclasses.replace(work, cache_key="")), key=work.key)

    async def _catch(self, host: str, work: TextureWork | MeshWork) -> None:
        self._caught.add(host)
        await self._discard(self._published.pop(host, []))
        accepted = self._unverified.get(host, 0)
        message = f"{sample_name(work)}: worker {host} returned bytes that differ from a cook of the same input on the coordinator"
        if accepted:
            raise WorkerResultMismatch(
                f"{message}; {accepted} of its results this job had accepted unverified cannot be taken back, so nothing was committed "
                "(cook again; a larger --verify-results catches a lying worker before its results are used)"
            )
        self._report(
            ImportDiagnostic(ImportSeverity.ERROR, "worker-result-mismatch", f"{message}; its results in this job were replaced by cooks on the coordinator", work.source_id)
        )

    async def published(self, hosts: Collection[str], digest: str) -> None:
        """An entry under ``digest`` was made from a result these hosts cooked: it goes if one of them is (or gets) caught."""
        if any(h in self._caught for h in hosts):
            await self._discard([digest])
            return
        for host in hosts:
            if host != LOCAL:
                self._published.setdefault(host, []).append(digest)

    async def _discard(self, digests: list[str]) -> None:
        if self._cache is not None and digests:
            await asyncio.get_running_loop().run_in_executor(None, lambda: [self._cache.discard(d) for d in digests])
