"""``TexturePipeline``: textures cooked through a backend, results in completion order (seed §2).

An item is a :class:`TextureWorkItem` (source bytes, or paths the workers can
read); what ``collect`` returns is a :class:`TextureWorkResult` — the cooked
texture, or the diagnostics that say why there is none. The window and
cancellation are :class:`WorkPipeline`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker import CookedTexture, ImportDiagnostic, TextureImportDesc, TextureResult, TextureWork

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

    @property
    def success(self) -> bool:
        return self.cooked is not None


class TexturePipeline(WorkPipeline[TextureWorkItem, TextureWorkResult]):
    kind = "texture"

    def _work(self, key: str, item: TextureWorkItem) -> TextureWork:
        return TextureWork(key, item.source_id, item.desc, job=self._job, sources=item.sources, paths=() if item.sources else item.paths)

    def _outcome(self, item: TextureWorkItem, result: TextureResult, milliseconds: float) -> TextureWorkResult:
        queue_ms = max(milliseconds - result.cook_ms, 0.0)
        if result.cooked is not None:
            return TextureWorkResult(item.source_id, result.cooked, result.cooked.diagnostics, item.tag, result.cook_ms, queue_ms)
        return TextureWorkResult(item.source_id, None, (result.error,), item.tag, result.cook_ms, queue_ms)

    def _failed(self, item: TextureWorkItem, diagnostic: ImportDiagnostic) -> TextureWorkResult:
        return TextureWorkResult(item.source_id, None, (diagnostic,), item.tag)
