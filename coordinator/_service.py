"""``ImportService`` (the seed's ``AsyncImportService``): the thread-safe public door.

A dedicated import thread runs an asyncio loop with the :class:`AsyncImporter`.
Every public method is synchronous and safe from any thread; the only code
that crosses threads is :class:`_LoopThread` (style rule 12). Callbacks leave
the loop through a dispatcher: :class:`DirectDispatcher` calls them on the
import thread, :class:`QueueDispatcher` queues them for the caller's own thread
(``run_pending``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import itertools
import queue
import threading
import traceback
from typing import Callable, Protocol

from ._async_importer import AsyncImporter, JobEntry
from ._config import Config
from ._job import JobScope
from ._types import ImportJobId, ImportProgress, ImportReport, ImportRequest, TextureImportRequest
from .backends import ComputeBackend, open_backend
from .emit import TextureOutputFactory, loose_cooked_textures
from .importers import Importer, TextureSetImporter, detect_format, importer_for

CompletionCallback = Callable[[ImportJobId, ImportReport], None]
ProgressCallback = Callable[[ImportProgress], None]
CancelCallback = Callable[[ImportJobId], None]


class Dispatcher(Protocol):
    def dispatch(self, fn: Callable, *args) -> None: ...


class DirectDispatcher:
    """Runs callbacks on the import thread; an exception in one is printed, never raised."""

    def dispatch(self, fn: Callable, *args) -> None:
        try:
            fn(*args)
        except Exception:  # a caller's bug must not stop the import thread
            traceback.print_exc()


class QueueDispatcher:
    """Queues callbacks; the caller runs them on its own thread with :meth:`run_pending`."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def dispatch(self, fn: Callable, *args) -> None:
        self._queue.put((fn, args))

    def run_pending(self, timeout: float | None = 0.0) -> int:
        """Run queued callbacks; wait up to ``timeout`` for the first one. Returns how many ran."""
        ran = 0
        try:
            fn, args = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn(*args)
            ran += 1
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return ran


class ServiceState(enum.Enum):
    RUNNING = "running"
    SHUTTING_DOWN = "shutting down"
    CLOSED = "closed"


class ServiceClosedError(RuntimeError):
    """The service was used after ``request_shutdown`` or ``close``."""


class _LoopThread:
    """The one door between threads: owns the import thread and its event loop."""

    def __init__(self, name: str) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._setup: Callable[[], object] | None = None

    def start(self, setup: Callable[[], object]) -> None:
        """Start the thread; returns once the loop runs and ``setup`` (run on it) is done."""
        self._setup = setup
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self._setup()
        except BaseException as exc:  # reported to start(), which re-raises it
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()

    def run(self, coro) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable, *args) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop.set)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class ImportService:
    """Submit imports from any thread; results arrive through callbacks.

    Use as a context manager, or call :meth:`close` (blocks until every job has
    finished or been cancelled). ``texture_output`` makes each job's texture output
    (``coordinator.emit.TextureOutput``): the engine's loose-cooked container unless given.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        backend: ComputeBackend | None = None,
        dispatcher: Dispatcher | None = None,
        texture_output: TextureOutputFactory = loose_cooked_textures,
    ) -> None:
        self.config = config or Config()
        self._texture_output = texture_output
        self.dispatcher = dispatcher or DirectDispatcher()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[ImportJobId, JobScope] = {}
        self._futures: dict[ImportJobId, concurrent.futures.Future] = {}
        self._state = ServiceState.RUNNING
        self._backend = backend
        self._importer: AsyncImporter | None = None
        self._door = _LoopThread("oxcook-import")
        self._door.start(self._setup)

    def _setup(self) -> None:
        if self._backend is None:
            self._backend = open_backend(
                self.config.broker_url,
                workers=self.config.thread_pool_size,
                memory_budget=self.config.memory_budget,
                shared_storage=self.config.shared_storage,
                task_timeout=self.config.task_timeout,
                stall_timeout=self.config.stall_timeout,
                window=self.config.texture_queue_capacity,
                priority=self.config.farm_priority,
            )
        self._importer = AsyncImporter(self._backend, self.config, texture_output=self._texture_output)

    def __enter__(self) -> "ImportService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _submit(self, request, importer: Importer, on_complete, on_progress, on_cancel) -> ImportJobId:
        with self._lock:
            if self._state is not ServiceState.RUNNING:
                raise ServiceClosedError(f"import service is {self._state.value}")
            job_id = next(self._ids)
            scope = JobScope(job_id)
            self._jobs[job_id] = scope
        dispatch = self.dispatcher.dispatch
        sink = (lambda p: dispatch(on_progress, p)) if on_progress else None
        entry = JobEntry(job_id, request, importer, scope, sink)

        async def job() -> None:
            report = await self._importer.run_job(entry)
            with self._lock:
                self._jobs.pop(job_id, None)
                self._futures.pop(job_id, None)
            if report.cancelled and on_cancel is not None:
                dispatch(on_cancel, job_id)
            dispatch(on_complete, job_id, report)

        with self._lock:
            self._futures[job_id] = self._door.run(job())
        return job_id

    def submit_import(
        self,
        request: ImportRequest,
        on_complete: CompletionCallback,
        on_progress: ProgressCallback | None = None,
        on_cancel: CancelCallback | None = None,
    ) -> ImportJobId:
        """Queue an import of ``request.source_path``; returns its job id at once.

        Raises:
            ServiceClosedError: after ``request_shutdown``.
            ValueError: no importer supports the source.
        """
        fmt = detect_format(request.source_path)
        importer = importer_for(fmt)
        if importer is None:
            raise ValueError(f"{request.source_path}: no importer for {fmt.value} sources")
        return self._submit(request, importer(), on_complete, on_progress, on_cancel)

    def submit_texture_import(
        self,
        request: TextureImportRequest,
        on_complete: CompletionCallback,
        on_progress: ProgressCallback | None = None,
        on_cancel: CancelCallback | None = None,
    ) -> ImportJobId:
        """Queue a standalone texture-set import; returns its job id at once."""
        return self._submit(request, TextureSetImporter(), on_complete, on_progress, on_cancel)

    def cancel_job(self, job_id: ImportJobId, reason: str = "cancelled by the user") -> bool:
        """Cancel one job; ``False`` when it is not active."""
        with self._lock:
            scope = self._jobs.get(job_id)
        if scope is None:
            return False
        self._door.call(scope.cancel, reason)
        return True

    def cancel_all(self, reason: str = "cancelled by the user") -> None:
        with self._lock:
            scopes = list(self._jobs.values())
        for scope in scopes:
            self._door.call(scope.cancel, reason)

    def is_job_active(self, job_id: ImportJobId) -> bool:
        with self._lock:
            return job_id in self._jobs

    def request_shutdown(self) -> None:
        """Stop accepting jobs and cancel those in flight; does not block."""
        with self._lock:
            if self._state is not ServiceState.RUNNING:
                return
            self._state = ServiceState.SHUTTING_DOWN
        self.cancel_all("service shutdown")

    def close(self, timeout: float | None = None) -> None:
        """Wait for every job to finish (or be cancelled), then stop the import thread."""
        with self._lock:
            if self._state is ServiceState.CLOSED:
                return
            if self._state is ServiceState.RUNNING:
                self._state = ServiceState.SHUTTING_DOWN
            futures = list(self._futures.values())
        concurrent.futures.wait(futures, timeout=timeout)
        if self._importer is not None:
            self._door.run(self._importer.close()).result(timeout=timeout)
        if self._backend is not None:
            self._door.run(self._backend.close()).result(timeout=timeout)
        self._door.stop()
        self._door.join(timeout)
        with self._lock:
            self._state = ServiceState.CLOSED
