"""Work items as the backends run them: a typed work message in, a typed result out.

Both compute backends (the local process pool and the Celery farm) call
:func:`run_work`, so a texture cooks the same way wherever it runs. A failure
becomes an error result carrying its stable code; nothing is raised to the
caller. The one file access on the compute side lives here: a work item sent
by path (shared storage) is read by :func:`load_sources`.
"""

from __future__ import annotations

import dataclasses
import os
import time

from .cook import build_mesh_buffers, cook_texture, cook_texture_layers, DEFAULT_MAX_DIMENSION, encoder_target
from ._errors import CancelCheck, TextureImportError, TextureImportErrorCode
from ._failpoints import failpoint
from .wire import MeshResult, MeshWork, Result, TextureResult, TextureWork, Work, error_result


def source_roots() -> list[str]:
    """The folders this worker may read sources from (``OXCOOK_SOURCE_ROOTS``, ``os.pathsep``-separated; none: no paths at all)."""
    return [os.path.realpath(r) for r in os.environ.get("OXCOOK_SOURCE_ROOTS", "").split(os.pathsep) if r]


def worker_max_dimension() -> int:
    """The largest image edge this worker decodes (``OXCOOK_MAX_DIMENSION``): a work item may ask for less, never more."""
    try:
        return int(os.environ.get("OXCOOK_MAX_DIMENSION", DEFAULT_MAX_DIMENSION))
    except ValueError:
        return DEFAULT_MAX_DIMENSION


def load_sources(work: TextureWork) -> tuple[bytes, ...]:
    """The encoded source bytes of ``work``: carried in the message, or read from the paths it names —
    only under this worker's source roots, whatever the message says.

    Raises:
        TextureImportError: a named file is outside the roots, or cannot be read.
    """
    if work.sources:
        return work.sources
    roots = source_roots()
    sources = []
    for path in work.paths:
        real = os.path.realpath(path)
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            where = ", ".join(roots) if roots else "none configured (oxcook worker --source-root DIR)"
            raise TextureImportError(TextureImportErrorCode.PATH_REFUSED, work.source_id, f"{path} is not under this worker's source roots ({where})")
        try:
            with open(path, "rb") as fh:
                sources.append(fh.read())
        except OSError as exc:
            code = TextureImportErrorCode.FILE_NOT_FOUND if isinstance(exc, FileNotFoundError) else TextureImportErrorCode.FILE_READ_FAILED
            raise TextureImportError(code, work.source_id, f"cannot read {path}: {exc.strerror or exc}") from exc
    return tuple(sources)


def run_texture_work(work: TextureWork, cancel: CancelCheck | None = None) -> TextureResult:
    """Cook one texture work item (sources given or by path; blobs are the farm's to resolve)."""
    failpoint(f"cook:{work.source_id}")
    if work.desc.max_dimension > worker_max_dimension():
        work = dataclasses.replace(work, desc=dataclasses.replace(work.desc, max_dimension=worker_max_dimension()))
    try:
        sources = load_sources(work)
        with encoder_target(work.encoder_target):
            if len(sources) == 1 and work.desc.array_layers == 1:
                cooked = cook_texture(sources[0], work.desc, work.source_id, cancel=cancel, part=work.part, quality=work.quality)
            else:
                cooked = cook_texture_layers(list(sources), work.desc, work.source_id, cancel=cancel, part=work.part, quality=work.quality)
    except TextureImportError as exc:
        return error_result(work, exc.code, exc.message)
    except (ValueError, TypeError) as exc:
        return error_result(work, "texture-desc-invalid", f"{work.source_id}: {exc}")
    except MemoryError:
        return error_result(work, "texture-out-of-memory", f"{work.source_id}: out of memory")
    return TextureResult(work.key, work.source_id, cooked=cooked)


def run_mesh_work(work: MeshWork, cancel: CancelCheck | None = None) -> MeshResult:
    """Pack one mesh primitive (tangents, vertices, indices, bounds)."""
    arrays = work.arrays
    try:
        if "positions" not in arrays:
            raise ValueError("no positions")
        packed = build_mesh_buffers(
            arrays["positions"],
            arrays.get("indices"),
            normals=arrays.get("normals"),
            uvs=arrays.get("uvs"),
            tangents=arrays.get("tangents"),
            colors=arrays.get("colors"),
        )
    except (ValueError, TypeError, KeyError) as exc:
        return error_result(work, "mesh-invalid", f"{work.source_id}: {exc}")
    return MeshResult(work.key, work.source_id, mesh=packed)


def run_work(work: Work, cancel: CancelCheck | None = None) -> Result:
    """Run one typed work item (the single entry point every backend calls); the result says how long it took."""
    start = time.perf_counter()
    result = run_texture_work(work, cancel) if isinstance(work, TextureWork) else run_mesh_work(work, cancel)
    return dataclasses.replace(result, cook_ms=(time.perf_counter() - start) * 1000.0)
