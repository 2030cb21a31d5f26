"""The seed's ``ResourcePipeline`` concept, and the bounded window every pipeline is built on.

A pipeline is pure compute through a backend (seed §2): ``submit`` waits for a
free slot of its bounded window and returns once the item is queued;
``collect`` returns the next finished item, whichever finished first. A slot is
freed when its result is collected, so memory stays bounded however many items
a job has. Pipelines never write: the caller hands results to an emitter.

:class:`WorkPipeline` is an async context manager owning one
``asyncio.TaskGroup``: leaving it (or ``cancel_all``) cancels every item still
running. Subclasses say how an item becomes a typed work message
(``_work``) and how a typed result becomes what ``collect`` returns
(``_outcome``, ``_refused``); every outcome has a ``success`` flag.

A result is kept in the cook cache only once it is accepted — checked
(``_problem``) and, when the job verifies a share of farm results
(:class:`ResultVerifier`), verified — with who cooked it and, where a subclass
can say (``_recipe``), what cooks it again.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import itertools
import time
from typing import Generic, Protocol, TypeVar

from oxcook.worker import ImportDiagnostic
from oxcook.worker.cache import CacheKey
from oxcook.worker.wire import Result, TextureResult, TextureWork, error_result

from .._types import PipelineProgress
from ..backends import ComputeBackend
from ..cache import CookCache, Lookup
from ._verify import LOCAL, ResultVerifier, cooked_by

_THROUGHPUT_WINDOW_S = 30.0

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class ResourcePipeline(Protocol[Item, Outcome]):
    """What every resource pipeline offers (the seed's concept)."""

    async def submit(self, item: Item) -> None: ...

    async def collect(self) -> Outcome: ...

    def has_pending(self) -> bool: ...

    def pending_count(self) -> int: ...

    def progress(self) -> PipelineProgress: ...

    def cancel_all(self) -> None: ...


class WorkPipeline(Generic[Item, Outcome]):
    """A bounded window of work items through a backend; outcomes in completion order."""

    kind = "work"  # names this pipeline's items on the backend: keys are unique per job across pipelines

    def __init__(self, backend: ComputeBackend, *, capacity: int, job: str, cache: CookCache | None = None, verifier: ResultVerifier | None = None) -> None:
        self._backend = backend
        self._job = job
        self._cache = cache if cache is not None and cache.enabled else None
        self._verifier = verifier
        self._cooks: dict[str, set[str]] = {}  # work key -> who cooked it (a split texture's parts: several)
        self._slots = asyncio.Semaphore(max(1, capacity))
        self._results: asyncio.Queue[Outcome] = asyncio.Queue()
        self._group: asyncio.TaskGroup | None = None
        self._submitted = self._completed = self._failed = 0
        self._outstanding = 0  # submitted, not yet collected
        self._done_times: collections.deque[float] = collections.deque()
        self._keys = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        self._to_come = 0  # items the caller said it will still submit (``expect``)
        self._room: asyncio.Semaphore | None = None  # the caller's window, taken before each of them (``expect``)
        self._at_cache = 0  # submitted items whose cache answer is not in yet
        self._changed = asyncio.Event()  # set, and replaced, at every change a waiting decision may care about
        self._waiting = 0  # decisions waiting on it (none: a change has nobody to wake)

    async def __aenter__(self):
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(self, *exc_info) -> bool | None:
        if exc_info[0] is not None:
            self.cancel_all()
        return await self._group.__aexit__(*exc_info)

    # --- what a subclass says -------------------------------------------------------------------

    def _work(self, key: str, item: Item):
        """The typed work message for ``item``."""
        raise NotImplementedError

    def _outcome(self, item: Item, work, result, milliseconds: float, lookup: Lookup) -> Outcome:
        """What ``collect`` returns for the result of ``work`` (made from ``item``), under the item's id: a hit's
        result is the cache entry's, kept under its cache key (``lookup``: what the cache said)."""
        raise NotImplementedError

    async def _compute(self, item: Item, work) -> Result:
        """The result of ``work`` (made from ``item``) from the backend (a subclass may split it into several items)."""
        return await self._cooked(work, work.key)

    async def _cooked(self, work, owner: str) -> Result:
        """The backend's result of ``work``, verified when the job asks; who cooked it is noted under ``owner`` (the item's key)."""
        result = await self._backend.submit(work)
        if self._verifier is not None:
            result = await self._verifier.check(work, result)
        self._cooks.setdefault(owner, set()).add(cooked_by(result))
        return result

    def _recipe(self, item: Item, work, digest: str) -> TextureWork | None:
        """The work item by paths that cooks ``work`` again, kept in its cache entry under ``digest`` (``None``: none can)."""
        return None

    def _problem(self, item: Item, work, result) -> str | None:
        """Why a successful result cannot be what ``work`` (made from ``item``) asked for (checked before anything is written or cached)."""
        return None

    def _checks_inline(self, item: Item, result) -> bool:
        """Whether :meth:`_problem` of ``result`` is cheap enough to run on the loop (no file read, a few kilobytes
        hashed) rather than on a thread: for a small texture the hop costs more than the check."""
        return False

    def _refused(self, item: Item, diagnostic: ImportDiagnostic) -> Outcome:
        """What ``collect`` returns for an item that never ran."""
        raise NotImplementedError

    # --- the seed's pipeline contract ----------------------------------------------------------

    def expect(self, count: int, room: asyncio.Semaphore | None = None) -> None:
        """The caller will submit (or reject) ``count`` more items: until it has, more work is known to be coming.

        ``room``: the caller takes a slot of it before each item and gives slots back as it uses the results in
        the order the items were submitted — so while it is full, nothing more comes until the earliest item
        whose result is not in yet is done."""
        self._to_come += count
        self._room = room

    async def submit(self, item: Item) -> None:
        """Queue ``item`` once the in-flight window has room (backpressure)."""
        await self._slots.acquire()
        work = self._work(f"{self._job}:{self.kind}{next(self._keys)}", item)
        self._submitted += 1
        self._outstanding += 1
        self._to_come = max(0, self._to_come - 1)
        self._at_cache += 1  # no _notify: an item more at the cache makes no waiting decision ready
        task = self._group.create_task(self._run(item, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reject(self, item: Item, diagnostic: ImportDiagnostic) -> None:
        """Record an item that failed before it could be submitted (its source was unreadable)."""
        await self._slots.acquire()
        self._submitted += 1
        self._outstanding += 1
        self._to_come = max(0, self._to_come - 1)
        self._notify()
        self._finish(self._refused(item, diagnostic))

    async def _run(self, item: Item, work) -> None:
        start = time.perf_counter()
        try:
            lookup, key = await self._look_up(item, work)
        finally:
            self._at_cache -= 1
            self._notify()
        if lookup.result is not None and not self._cache.should_verify(key):
            self._finish(self._outcome(item, work, lookup.result, (time.perf_counter() - start) * 1000.0, lookup))
            return
        if key is not None:
            work = dataclasses.replace(work, cache_key=key.digest)  # a worker with a shared tier consults and fills it too
        result = await self._compute(item, work)  # BackendError fails the job
        problem = None
        if result.ok and self._checks_inline(item, result):
            problem = self._problem(item, work, result)
        elif result.ok:
            problem = await asyncio.get_running_loop().run_in_executor(None, self._problem, item, work, result)  # it hashes the payload
        if problem is not None:
            result = error_result(work, "worker-result-invalid", f"{work.source_id}: a worker returned a result that is not what was asked: {problem}")
        hosts = self._cooks.pop(work.key, set())
        if lookup.result is not None:
            result = _verified(work, lookup.result, result)
        elif key is not None and result.ok:
            who = ",".join(sorted(hosts)) or LOCAL
            store = functools.partial(self._cache.store, work, key, result, cooked_by=who, recipe=self._recipe(item, work, key.digest))
            await asyncio.get_running_loop().run_in_executor(None, store)
            if self._verifier is not None:
                await self._verifier.published(hosts, key.digest)
        self._finish(self._outcome(item, work, result, (time.perf_counter() - start) * 1000.0, lookup))

    async def _look_up(self, item: Item, work) -> tuple[Lookup, CacheKey | None]:
        """The cache's answer for ``work``, in one trip off the loop (hashing the source, reading the entry, checking it)."""
        if self._cache is None:
            return Lookup(None, "off"), None
        return await asyncio.get_running_loop().run_in_executor(None, self._checked_lookup, item, work)

    def _checked_lookup(self, item: Item, work) -> tuple[Lookup, CacheKey | None]:
        """A hit only if its result is what ``work`` asks for (an executor thread's: checking hashes the payload)."""
        try:
            key = self._cache.key_for(work)
        except OSError:  # an unreadable source: the worker will say so
            return Lookup(None, "miss", "source unreadable"), None
        lookup = self._cache.lookup(work, key)
        if lookup.result is not None and self._problem(item, work, lookup.result) is not None:
            return Lookup(None, "miss", "entry corrupt"), key  # a well-framed entry that is not what it claims: never trusted
        return lookup, key

    def _notify(self) -> None:
        """Wake every :meth:`_until` to look again (an item was rejected, got its cache answer, or went to compute)."""
        if self._waiting:
            self._changed.set()
            self._changed = asyncio.Event()

    async def _until(self, ready):
        """The first true value of ``ready()``, looked at again at each :meth:`_notify`."""
        while not (value := ready()):
            self._waiting += 1
            try:
                await self._changed.wait()
            finally:
                self._waiting -= 1
        return value

    def _finish(self, outcome: Outcome) -> None:
        self._failed += not outcome.success
        self._completed += 1
        now = time.monotonic()
        self._done_times.append(now)
        self._forget_done_before(now - _THROUGHPUT_WINDOW_S)  # kept for the throughput window only, read or not
        self._results.put_nowait(outcome)

    async def collect(self) -> Outcome:
        """The next finished item (completion order); frees its window slot."""
        result = await self._results.get()
        self._outstanding -= 1
        self._slots.release()
        return result

    def has_pending(self) -> bool:
        return self._outstanding > 0

    def pending_count(self) -> int:
        return self._outstanding

    def progress(self) -> PipelineProgress:
        now = time.monotonic()
        self._forget_done_before(now - _THROUGHPUT_WINDOW_S)
        span = (now - self._done_times[0]) if len(self._done_times) > 1 else 0.0
        throughput = (len(self._done_times) - 1) / span if span > 0 else 0.0
        return PipelineProgress(
            submitted=self._submitted,
            completed=self._completed,
            failed=self._failed,
            in_flight=self._submitted - self._completed,
            throughput=throughput,
        )

    def _forget_done_before(self, moment: float) -> None:
        while self._done_times and self._done_times[0] < moment:
            self._done_times.popleft()

    def cancel_all(self) -> None:
        """Stop every item: running ones at their next stage boundary, queued ones now."""
        self._backend.cancel_job(self._job)
        for task in list(self._tasks):
            task.cancel()



def _verified(work, cached: Result, fresh: Result) -> Result:
    """A hit cooked again (``--cache-verify``): the fresh result when the bytes agree, else a named failure."""
    if fresh.ok and (fresh.cooked.payload == cached.cooked.payload if isinstance(fresh, TextureResult) else fresh.mesh == cached.mesh):
        return fresh
    message = f"{work.source_id}: the cached result differs from a fresh cook of the same input (a damaged entry or a non-deterministic encoder)"
    return error_result(work, "cache-verify-mismatch", message)
