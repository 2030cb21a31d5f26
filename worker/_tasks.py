"""Work items as the backends run them: wire bytes in, wire bytes out.

Both compute backends (the local process pool and the Celery farm) call these
functions, so a texture cooks the same way wherever it runs. A failure becomes
an error result carrying its stable code; nothing is raised to the caller but
:class:`WireError` for a message that is not ours.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._cook import CookedTexture, cook_texture, cook_texture_layers
from ._desc import TextureImportDesc
from ._diagnostics import ImportDiagnostic
from ._errors import TextureImportError, TextureImportErrorCode
from ._failpoints import failpoint
from ._mesh import MeshBuffers, build_mesh_buffers
from ._wire import WireError, decode_message, encode_message

CancelCheck = Callable[[], bool]


def texture_work(
    key: str, source_id: str, desc: TextureImportDesc, *, sources: list[bytes] | None = None, paths: list[str] | None = None, job: str = ""
) -> bytes:
    """The wire form of one texture work item: source bytes, or paths on storage the worker shares."""
    if (sources is None) == (paths is None):
        raise ValueError("give exactly one of sources and paths")
    body = {"sources": list(sources)} if sources is not None else {"paths": [str(p) for p in paths]}
    return encode_message("texture-work", key=key, source_id=source_id, desc=desc.to_dict(), job=job, **body)


def _load_sources(item: dict) -> list[bytes]:
    if "sources" in item:
        return item["sources"]
    sources = []
    for path in item.get("paths", []):
        try:
            with open(path, "rb") as fh:
                sources.append(fh.read())
        except OSError as exc:
            code = TextureImportErrorCode.FILE_NOT_FOUND if isinstance(exc, FileNotFoundError) else TextureImportErrorCode.FILE_READ_FAILED
            raise TextureImportError(code, item["source_id"], f"cannot read {path}: {exc.strerror or exc}") from exc
    return sources


def run_texture_work(message: bytes, cancel: CancelCheck | None = None) -> bytes:
    """Cook one texture work item; returns the wire form of its result."""
    item = decode_message(message, expect="texture-work")
    key, source_id = item["key"], item["source_id"]
    failpoint(f"cook:{source_id}")
    try:
        desc = TextureImportDesc.from_dict(item["desc"])
        sources = _load_sources(item)
        if len(sources) == 1 and desc.array_layers == 1:
            cooked = cook_texture(sources[0], desc, source_id, cancel=cancel)
        else:
            cooked = cook_texture_layers(sources, desc, source_id, cancel=cancel)
    except TextureImportError as exc:
        return encode_message("texture-result", key=key, source_id=source_id, ok=False, error=exc.to_dict())
    except (ValueError, TypeError) as exc:
        error = {"code": "texture-desc-invalid", "message": f"{source_id}: {exc}"}
        return encode_message("texture-result", key=key, source_id=source_id, ok=False, error=error)
    except MemoryError:
        error = {"code": "texture-out-of-memory", "message": f"{source_id}: out of memory"}
        return encode_message("texture-result", key=key, source_id=source_id, ok=False, error=error)
    return encode_message(
        "texture-result",
        key=key,
        source_id=source_id,
        ok=True,
        cooked={
            "texture_type": cooked.texture_type,
            "width": cooked.width,
            "height": cooked.height,
            "depth": cooked.depth,
            "array_layers": cooked.array_layers,
            "mip_levels": cooked.mip_levels,
            "format": cooked.format,
            "content_hash": cooked.content_hash,
            "flags": cooked.flags,
        },
        payload=cooked.payload,
        diagnostics=[d.to_dict() for d in cooked.diagnostics],
        timings_ms=cooked.timings_ms,
    )


def cooked_from_result(result: dict) -> CookedTexture:
    """The :class:`CookedTexture` of a successful ``texture-result``."""
    return CookedTexture(
        source_id=result["source_id"],
        payload=result["payload"],
        diagnostics=tuple(ImportDiagnostic.from_dict(d) for d in result.get("diagnostics", ())),
        timings_ms=result.get("timings_ms", {}),
        **result["cooked"],
    )


def mesh_work(key: str, source_id: str, arrays: dict[str, np.ndarray | None], job: str = "") -> bytes:
    """The wire form of one mesh primitive: its attribute arrays as raw little-endian bytes."""
    packed = {
        name: {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}
        for name, array in arrays.items()
        if array is not None
    }
    return encode_message("mesh-work", key=key, source_id=source_id, arrays=packed, job=job)


def _array(spec: dict) -> np.ndarray:
    dtype = np.dtype(spec["dtype"])
    if dtype.kind not in "fiu" or dtype.itemsize > 8:
        raise ValueError(f"array dtype {dtype} is not numeric")
    return np.frombuffer(spec["data"], dtype).reshape(spec["shape"])


def run_mesh_work(message: bytes, cancel: CancelCheck | None = None) -> bytes:
    """Pack one mesh primitive (tangents, vertices, indices, bounds); returns the wire result."""
    item = decode_message(message, expect="mesh-work")
    key, source_id = item["key"], item["source_id"]
    try:
        arrays = {name: _array(spec) for name, spec in item["arrays"].items()}
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
        return encode_message("mesh-result", key=key, source_id=source_id, ok=False, error={"code": "mesh-invalid", "message": f"{source_id}: {exc}"})
    return encode_message(
        "mesh-result",
        key=key,
        source_id=source_id,
        ok=True,
        vertices=packed.vertices,
        indices=packed.indices,
        bbox_min=list(packed.bbox_min),
        bbox_max=list(packed.bbox_max),
        vertex_count=packed.vertex_count,
        index_count=packed.index_count,
    )


def mesh_from_result(result: dict) -> MeshBuffers:
    return MeshBuffers(
        result["vertices"], result["indices"], tuple(result["bbox_min"]), tuple(result["bbox_max"]), result["vertex_count"], result["index_count"]
    )


_RUNNERS = {"texture": run_texture_work, "mesh": run_mesh_work}


def run_work(kind: str, message: bytes, cancel: CancelCheck | None = None) -> bytes:
    """Run one work item of ``kind`` (the single entry point every backend calls).

    Raises:
        WireError: unknown kind or a message that is not ours.
    """
    runner = _RUNNERS.get(kind)
    if runner is None:
        raise WireError(f"unknown work kind {kind!r}")
    return runner(message, cancel)
