"""``AsyncImporter``: runs import jobs on the import loop — backend, concurrency, cancellation.

Each job owns a :class:`JobScope` (its cancel object: ``cancel(reason)`` is
idempotent, records why, cancels the job's task and stops its remote work), an
:class:`ImportSession`, and the :class:`JobContext` its importer works through.
At most ``max_concurrent_jobs`` run at once. When the configuration asks for
farm results to be verified, each job gets a :class:`ResultVerifier`, and the
importer owns the local pool it re-cooks on (opened on first use). No exception leaves a job:
failures become diagnostics in its ``ImportReport``, with the job's
``failure_code`` set for infrastructure failures.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass

from oxcook.formats import INDEX_FILE_NAME, OxcookError
from oxcook.worker import ImportDiagnostic, ImportSeverity

from ._config import Config
from ._errors import EXIT_FOR_CODE, EXIT_INPUT_FAILED, OutputWriteError
from ._job import JobContext, JobScope, ProgressSink
from ._types import ImportJobId, ImportPhase, ImportReport
from . import backends
from .backends import ComputeBackend
from .cache import CookCache
from .emit import ImportSession, TextureOutputFactory, loose_cooked_textures
from .importers import Importer
from .pipelines import ResultVerifier


def _first_leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


@dataclass
class JobEntry:
    job_id: ImportJobId
    request: object  # ImportRequest or TextureImportRequest
    importer: Importer
    scope: JobScope
    on_progress: ProgressSink | None = None


class AsyncImporter:
    """Owns the compute backend and runs jobs; lives on the import loop."""

    def __init__(self, backend: ComputeBackend, config: Config, *, texture_output: TextureOutputFactory = loose_cooked_textures) -> None:
        self.backend = backend
        self.config = config
        self._texture_output = texture_output  # where each job's cooked textures go (the loose-cooked container by default)
        self._slots = asyncio.Semaphore(config.max_concurrent_jobs) if config.max_concurrent_jobs > 0 else None
        self.cache = CookCache(config.cache) if config.cache.enabled else None
        self._recook_backend: ComputeBackend | None = None

    def _recooker(self) -> ComputeBackend:
        """The coordinator's own pool, where farm results are cooked again (the backend itself when it is one)."""
        if self.backend.name == "local":
            return self.backend
        if self._recook_backend is None:
            backend = backends.LocalBackend(workers=self.config.thread_pool_size, memory_budget=self.config.memory_budget)
            backend.warm_up()
            self._recook_backend = backend
        return self._recook_backend

    async def close(self) -> None:
        """Stop the pool farm results were cooked again on, if one was opened."""
        if self._recook_backend is not None:
            await self._recook_backend.close()
            self._recook_backend = None

    async def run_job(self, entry: JobEntry) -> ImportReport:
        """Run one job to its report; never raises (cancellation included)."""
        task = asyncio.current_task()
        entry.scope.attach(task)
        request = entry.request
        session = ImportSession(
            request.cooked_root,
            request.layout,
            source_key=request.source_key,
            lock_timeout=self.config.lock_timeout,
            io_threads=self.config.texture_pipeline_workers,
            rebuild_invalid=request.options.rebuild_invalid_root,
            ignore_record=request.options.ignore_record,
            texture_output=self._texture_output,
        )
        verifier = ResultVerifier(self.config.verify_results, self._recooker, session.add_diagnostic, self.cache) if self.config.verify_results > 0 else None
        job = JobContext(entry.job_id, entry.scope, session, self.config, self.backend, entry.on_progress, self.cache, verifier)
        entry.scope.on_cancel(lambda: self.backend.cancel_job(job.key))
        entry.scope.on_cancel(lambda: self._recook_backend is not None and self._recook_backend.cancel_job(job.key))
        try:
            if self._slots is not None:
                async with self._slots:
                    report = await self._run(entry, job)
            else:
                report = await self._run(entry, job)
        except asyncio.CancelledError:
            if task is not None:
                task.uncancel()
            report = await session.abort(entry.scope.reason or "cancelled")
            report.diagnostics.append(
                ImportDiagnostic(ImportSeverity.WARNING, "job-cancelled", f"job {entry.job_id} cancelled ({entry.scope.reason or 'cancelled'}); no index was written")
            )
            job.progress(ImportPhase.CANCELLED, 0, 0, entry.scope.reason or "cancelled")
        finally:
            await self.backend.forget_job(job.key)
            if self._recook_backend is not None:
                await self._recook_backend.forget_job(job.key)
            if self.cache is not None:
                await asyncio.get_running_loop().run_in_executor(None, self.cache.close)
        if self.cache is not None:
            report.diagnostics.extend(self.cache.take_warnings())  # warnings only: a cache never changes how a job ends
        return report

    async def _run(self, entry: JobEntry, job: JobContext) -> ImportReport:
        session = job.session
        try:
            job.progress(ImportPhase.PENDING, 0, 0, f"opening {session.cooked_root}")
            timeout = self.config.lock_timeout

            def waiting(holder: str) -> None:
                who = f"pid {holder} (another oxcook cook)" if holder.isdigit() else holder
                job.progress(ImportPhase.PENDING, 0, 0, f"waiting for the lock on {session.cooked_root} held by {who}; --lock-timeout {timeout:g}")

            await session.open(lambda: entry.scope.cancel_called, waiting)
            await entry.importer.import_async(entry.request, job)
            job.progress(ImportPhase.WRITING, 0, 0, "writing tables and index")
            report = await session.finalize()
        except Exception as exc:  # failures become data; a bug must never crash the import thread
            leaf = _first_leaf(exc)
            if isinstance(leaf, OxcookError):
                code, message = leaf.code, leaf.message
            elif isinstance(leaf, (OSError, MemoryError)):
                code, message = OutputWriteError.code, f"{session.cooked_root}: {leaf}"
            else:
                code = "internal-error"
                message = f"job {entry.job_id} failed: " + "".join(traceback.format_exception_only(type(leaf), leaf)).strip()
            report = await self._failed(session, code, message)
            if EXIT_FOR_CODE.get(code) == EXIT_INPUT_FAILED:
                await self._leave_loadable(entry.request)
        job.progress(ImportPhase.COMPLETE if report.success else ImportPhase.FAILED, 0, 0, "done")
        return report

    async def _failed(self, session: ImportSession, code: str, message: str) -> ImportReport:
        session.add_diagnostic(ImportDiagnostic(ImportSeverity.ERROR, code, message))
        report = await session.abort(message)
        report.cancelled = False
        report.failure_code = code
        return report

    async def _leave_loadable(self, request) -> None:
        """An input failed (exit 1 promises a valid container): a fresh root that has none gets an empty, loadable one."""
        if (request.cooked_root / INDEX_FILE_NAME).exists():
            return
        empty = ImportSession(request.cooked_root, request.layout, source_key=request.source_key, lock_timeout=self.config.lock_timeout)
        try:
            await empty.open()
            await empty.finalize()
        except (OxcookError, OSError):
            await empty.abort("could not write an empty container")
