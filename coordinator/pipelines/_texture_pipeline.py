"""``TexturePipeline``: textures cooked through a backend, results in completion order (seed §2).

An item is a :class:`TextureWorkItem` (source bytes, or paths the workers can
read); what ``collect`` returns is a :class:`TextureWorkResult` — the cooked
texture, or the diagnostics that say why there is none. The window and
cancellation are :class:`WorkPipeline`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker import CookedTexture, ImportDiagnostic, TextureImportDesc, TextureResult, TextureWork, default_encoder_target

from ..cache import Lookup
from ._checks import texture_result_problem
from ._pipeline import WorkPipeline


@dataclass(frozen=True)
class TextureWorkItem:
    """One texture to cook: either source bytes or paths the workers can read."""

    source_id: str
    desc: TextureImportDesc
    sources: tuple[bytes, ...] = ()
    paths: tuple[str, ...] = ()
    tag: object = None  # the caller's correlation data, echoed in the result


@dataclass(frozen=True)
class TextureWorkResult:
    source_id: str
    cooked: CookedTexture | None
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    tag: object = None
    cook_ms: float = 0.0  # time its worker spent cooking it
    queue_ms: float = 0.0  # the rest of the time from submission to result: waiting for a worker, transport
    cache: str = "off"  # "hit" | "miss" | "off"
    miss_reason: str = ""

    @property
    def success(self) -> bool:
        return self.cooked is not None


class TexturePipeline(WorkPipeline[TextureWorkItem, TextureWorkResult]):
    kind = "texture"

    def __init__(self, backend, *, capacity: int, job: str, cache=None, encoder_target: str | None = None) -> None:
        super().__init__(backend, capacity=capacity, job=job, cache=cache)
        self.encoder_target = encoder_target or default_encoder_target()

    def _work(self, key: str, item: TextureWorkItem) -> TextureWork:
        return TextureWork(
            key, item.source_id, item.desc, job=self._job, sources=item.sources, paths=() if item.sources else item.paths, encoder_target=self.encoder_target
        )

    def _outcome(self, item: TextureWorkItem, result: TextureResult, milliseconds: float, lookup: Lookup) -> TextureWorkResult:
        cook_ms = 0.0 if lookup.status == "hit" and result is lookup.result else result.cook_ms
        queue_ms = max(milliseconds - cook_ms, 0.0)
        diagnostics = result.cooked.diagnostics if result.cooked is not None else (result.error,)
        return TextureWorkResult(item.source_id, result.cooked, diagnostics, item.tag, cook_ms, queue_ms, lookup.status, lookup.reason)

    def _problem(self, work: TextureWork, result: TextureResult) -> str | None:
        return texture_result_problem(work, result.cooked)

    def _refused(self, item: TextureWorkItem, diagnostic: ImportDiagnostic) -> TextureWorkResult:
        return TextureWorkResult(item.source_id, None, (diagnostic,), item.tag)
