"""What a running job is made of: its cancel object (:class:`JobScope`) and what importers see (:class:`JobContext`).

The ``AsyncImporter`` builds one ``JobContext`` per job and hands it to the
importer: the session to emit into, the configuration, progress reporting, and
the two pipelines (texture, mesh) bound to the job's compute backend. Importers
never see the ``AsyncImporter`` itself, so dependencies point one way:
service → async importer → importers → pipelines/session.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Callable

from oxcook.worker import ImportDiagnostic

from ._config import Config
from ._types import ImportJobId, ImportPhase, ImportProgress
from .backends import ComputeBackend
from .cache import CookCache
from .emit import ImportSession
from .pipelines import MeshPipeline, ResultVerifier, TexturePipeline

ProgressSink = Callable[[ImportProgress], None]

# Share of the whole job each phase stands for, in order (overall progress = the
# phases before + this phase's share × its own fraction).
_PHASE_WEIGHTS = {
    ImportPhase.PENDING: 0.0,
    ImportPhase.PARSING: 0.05,
    ImportPhase.TEXTURES: 0.75,
    ImportPhase.MATERIALS: 0.0,
    ImportPhase.GEOMETRY: 0.1,
    ImportPhase.SCENE: 0.05,
    ImportPhase.WRITING: 0.05,
}


def overall_fraction(phase: ImportPhase, phase_fraction: float) -> float:
    """The job's overall progress from its phase and the fraction of that phase done (pure)."""
    if phase in (ImportPhase.COMPLETE, ImportPhase.FAILED, ImportPhase.CANCELLED):
        return 1.0
    before = 0.0
    for p, weight in _PHASE_WEIGHTS.items():
        if p is phase:
            return min(1.0, before + weight * phase_fraction)
        before += weight
    return before


class JobScope:
    """The cancel object of one job: ``cancel(reason)`` is idempotent and records why."""

    def __init__(self, job_id: ImportJobId) -> None:
        self.job_id = job_id
        self.reason: str | None = None
        self._task: asyncio.Task | None = None
        self._on_cancel: list[Callable[[], None]] = []

    @property
    def cancel_called(self) -> bool:
        return self.reason is not None

    def attach(self, task: asyncio.Task) -> None:
        self._task = task
        if self.cancel_called:
            task.cancel()

    def on_cancel(self, fn: Callable[[], None]) -> None:
        self._on_cancel.append(fn)

    def cancel(self, reason: str) -> None:
        """Cancel the job (call on the loop). The first reason wins; later calls do nothing."""
        if self.reason is not None:
            return
        self.reason = reason
        for fn in self._on_cancel:
            fn()
        if self._task is not None:
            self._task.cancel()


@dataclass
class JobContext:
    """What an importer sees of its job.

    Attributes:
        job_id: the service's id of the job.
        scope: the job's cancel object.
        session: the output session (emitters, diagnostics, report).
        config: the service's configuration.
        backend: where work items run (pipelines use it; importers need not).
        sink: where progress snapshots go (``None``: nobody listens).
        cache: the cook cache the pipelines consult (``None``: off).
        verifier: re-cooks a share of fresh farm results here (``None``: none).
        token: makes :attr:`key` unique across coordinators sharing one farm.
    """

    job_id: ImportJobId
    scope: JobScope
    session: ImportSession
    config: Config
    backend: ComputeBackend
    sink: ProgressSink | None = None
    cache: CookCache | None = None
    verifier: ResultVerifier | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def key(self) -> str:
        """The job's name on the backend: unique across coordinators sharing one farm."""
        return f"job{self.job_id}-{self.token}"

    @property
    def shares_files(self) -> bool:
        """Workers read the coordinator's files by path (no need to send source bytes)."""
        return self.backend.shares_files

    def texture_pipeline(self) -> TexturePipeline:
        """A new texture pipeline for this job (use it as ``async with``)."""
        return TexturePipeline(
            self.backend,
            capacity=self.config.texture_queue_capacity,
            job=self.key,
            cache=self.cache,
            encoder_target=self.config.encoder_target,
            split_above=self.config.split_above,
            verifier=self.verifier,
            quality=self.config.quality,
        )

    def mesh_pipeline(self) -> MeshPipeline:
        """A new mesh pipeline for this job (use it as ``async with``)."""
        return MeshPipeline(self.backend, capacity=self.config.texture_queue_capacity, job=self.key, cache=self.cache, verifier=self.verifier)

    def progress(
        self,
        phase: ImportPhase,
        done: int,
        total: int,
        message: str = "",
        diagnostics: tuple[ImportDiagnostic, ...] = (),
        throughput: float = 0.0,
        in_flight: int = 0,
    ) -> None:
        """Report progress; ``in_flight`` items (submitted, not finished) are split into running and queued."""
        if self.sink is None:
            return
        fraction = done / total if total else 0.0
        overall = overall_fraction(phase, fraction)
        running = min(in_flight, self.backend.running(self.key)) if in_flight else 0
        self.sink(
            ImportProgress(
                job_id=self.job_id,
                phase=phase,
                phase_progress=fraction,
                overall_progress=overall,
                message=message,
                items_completed=done,
                items_total=total,
                throughput=throughput,
                new_diagnostics=tuple(diagnostics),
                items_running=running,
                items_queued=in_flight - running,
            )
        )
