"""``MeshPipeline``: mesh primitives packed through a backend, results in completion order.

An item is a :class:`MeshWorkItem` (a primitive's attribute arrays); what
``collect`` returns is a :class:`MeshWorkResult` — the packed engine buffers
(72-byte vertices, u32 indices, bounds), or the diagnostic that says why there
are none. The window and cancellation are :class:`WorkPipeline`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oxcook.worker import ImportDiagnostic
from oxcook.worker.cook import MeshBuffers
from oxcook.worker.wire import MeshResult, MeshWork

from ..cache import Lookup
from ._checks import mesh_result_problem
from ._pipeline import WorkPipeline


@dataclass(frozen=True)
class MeshWorkItem:
    source_id: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    tag: object = None


@dataclass(frozen=True)
class MeshWorkResult:
    source_id: str
    mesh: MeshBuffers | None
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    tag: object = None
    cache: str = "off"  # "hit" | "miss" | "off"

    @property
    def success(self) -> bool:
        return self.mesh is not None


class MeshPipeline(WorkPipeline[MeshWorkItem, MeshWorkResult]):
    kind = "mesh"

    def _work(self, key: str, item: MeshWorkItem) -> MeshWork:
        return MeshWork(key, item.source_id, {n: a for n, a in item.arrays.items() if a is not None}, job=self._job)

    def _outcome(self, item: MeshWorkItem, work: MeshWork, result: MeshResult, milliseconds: float, lookup: Lookup) -> MeshWorkResult:
        return MeshWorkResult(item.source_id, result.mesh, () if result.error is None else (result.error,), item.tag, lookup.status)

    def _problem(self, item: MeshWorkItem, work: MeshWork, result: MeshResult) -> str | None:
        return mesh_result_problem(work.arrays, result.mesh)

    def _refused(self, item: MeshWorkItem, diagnostic: ImportDiagnostic) -> MeshWorkResult:
        return MeshWorkResult(item.source_id, None, (diagnostic,), item.tag)
