"""What crosses between coordinator and workers: five typed messages, encoded once, as msgpack.

One module, imported by both sides, so the two can never disagree (style rule 1).
Every message is a msgpack map ``{"v": WIRE_VERSION, "kind": <KIND>, ...fields}``;
bytes travel as msgpack ``bin`` (no base64, no pickle). :func:`decode` refuses
unknown versions and kinds, missing or unknown fields, and fields of the wrong
type, so a garbage message is a :class:`WireError`, never a crash further in.

::

    TextureWork  ──▶ worker ──▶ TextureResult   (cooked texture, or an error diagnostic)
    MeshWork     ──▶ worker ──▶ MeshResult      (packed buffers, or an error diagnostic)
    TextureChunk ──▶ worker ──▶ one TextureResult per item it names

A :class:`TextureChunk` is what one farm task of several small textures runs:
it names their work items (each stored on its own, with its own lease and
result), never their content.

A texture result carries the sums its quality figures are made of
(``worker.cook._quality``) unless its work item asked for none (``quality``).
A farm worker's result names the lease it held on its item (``lease``), so the
coordinator takes it only from the worker holding that lease.

A work item carries its sources in exactly one of three ways: ``sources`` (the
encoded bytes), ``paths`` (storage the worker shares) or ``blobs`` (Redis keys,
resolved by the farm worker). :func:`error_result` is the one way to build a
failed result for any work item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

import msgpack
import numpy as np

from oxcook.formats import OxcookError

from ..cook import CookedTexture, DEFAULT_TARGET, MeshBuffers, QualitySums, TextureImportDesc
from .._diagnostics import ImportDiagnostic, ImportSeverity

WIRE_VERSION = 6  # what a worker and a coordinator must share: they refuse each other's messages of another version
MAX_PARTS = 64  # the most parts one texture is split into
MAX_CHUNK_ITEMS = 256  # the most work items one chunk task names


class WireError(OxcookError):
    """A message that is not a valid oxcook message (wrong version, kind or shape)."""

    code = "wire-invalid"


@dataclass(frozen=True)
class TextureWork:
    """One texture to cook."""

    KIND: ClassVar[str] = "texture-work"
    key: str
    source_id: str
    desc: TextureImportDesc
    job: str = ""
    sources: tuple[bytes, ...] = ()
    paths: tuple[str, ...] = ()
    blobs: tuple[str, ...] = ()
    encoder_target: str = DEFAULT_TARGET  # the instruction set whose encoder kernels every worker must use (same bytes everywhere)
    cache_key: str = ""  # the cook-cache key the coordinator computed: a worker with a shared tier consults and fills it
    part: tuple[int, int] | None = None  # (index, count): encode only this part's rows of a split texture (worker.split_bands)
    quality: bool = True  # measure the quality figures (worker.cook._quality); no part of the cache key: they change no byte

    def __post_init__(self) -> None:
        if sum(bool(x) for x in (self.sources, self.paths, self.blobs)) != 1:
            raise WireError(f"{self.source_id}: a texture work item needs exactly one of sources, paths and blobs")
        if self.part is not None and not (len(self.part) == 2 and 0 <= self.part[0] < self.part[1] <= MAX_PARTS):
            raise WireError(f"{self.source_id}: part {self.part} is not (index, count) with index < count <= {MAX_PARTS}")

    def describe(self) -> str:
        """What Flower shows for the task: the texture, its intent and output format (never its bytes)."""
        part = f" part {self.part[0] + 1}/{self.part[1]}" if self.part else ""
        return f"{self.source_id}{part} {self.desc.intent.name.lower()} {self.desc.output_format.name}"


@dataclass(frozen=True)
class TextureResult:
    """A cooked texture, or the error diagnostic that says why there is none."""

    KIND: ClassVar[str] = "texture-result"
    key: str
    source_id: str
    cooked: CookedTexture | None = None
    error: ImportDiagnostic | None = None
    cook_ms: float = 0.0  # time the worker spent on the item (not counting its wait in a queue)
    lease: str = ""  # the farm lease its worker held on the item (worker.farm.keys.lease); empty off the farm

    @property
    def ok(self) -> bool:
        return self.cooked is not None


@dataclass(frozen=True)
class MeshWork:
    """One mesh primitive to pack: its attribute arrays (positions required)."""

    KIND: ClassVar[str] = "mesh-work"
    key: str
    source_id: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    job: str = ""
    cache_key: str = ""

    def describe(self) -> str:
        positions = self.arrays.get("positions")
        return f"{self.source_id} mesh {0 if positions is None else len(positions)} vertices"


@dataclass(frozen=True)
class MeshResult:
    KIND: ClassVar[str] = "mesh-result"
    key: str
    source_id: str
    mesh: MeshBuffers | None = None
    error: ImportDiagnostic | None = None
    cook_ms: float = 0.0
    lease: str = ""  # as TextureResult's

    @property
    def ok(self) -> bool:
        return self.mesh is not None


@dataclass(frozen=True)
class TextureChunk:
    """Several texture work items run by one farm task, in this order: ``items`` are their ``(key, source_id)``."""

    KIND: ClassVar[str] = "texture-chunk"
    key: str
    items: tuple[tuple[str, str], ...]
    job: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.items) <= MAX_CHUNK_ITEMS:
            raise WireError(f"chunk {self.key}: {len(self.items)} items, expected 1..{MAX_CHUNK_ITEMS}")
        if len({key for key, _ in self.items}) != len(self.items):
            raise WireError(f"chunk {self.key}: an item is named twice")

    def describe(self) -> str:
        """What Flower shows for the task: its first texture and how many more."""
        first = self.items[0][1]
        return first if len(self.items) == 1 else f"{first} +{len(self.items) - 1} more"


Work = Union[TextureWork, MeshWork]
Result = Union[TextureResult, MeshResult]
_MESSAGES = {cls.KIND: cls for cls in (TextureWork, TextureResult, MeshWork, MeshResult, TextureChunk)}
RESULT_FOR = {TextureWork: TextureResult, MeshWork: MeshResult}


@dataclass(frozen=True)
class WorkRef:
    """A work item named without its content (what a farm task carries, or a message that did not decode)."""

    kind: type  # TextureWork or MeshWork
    key: str
    source_id: str


def error_result(work: Work | WorkRef, code: str, message: str) -> Result:
    """The failed result of ``work``: an error diagnostic with a stable code, naming the source."""
    kind = work.kind if isinstance(work, WorkRef) else type(work)
    diagnostic = ImportDiagnostic(ImportSeverity.ERROR, code, message, work.source_id)
    return RESULT_FOR[kind](work.key, work.source_id, error=diagnostic)


# --- encoding: each field's plain form ---------------------------------------------------------


def _array_to_plain(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}


def _array_from_plain(spec: Any) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise WireError("an array must be {dtype, shape, data}")
    try:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(n) for n in spec["shape"])
    except (TypeError, ValueError) as exc:
        raise WireError(f"bad array spec: {exc}") from exc
    if dtype.kind not in "fiu" or dtype.itemsize > 8:
        raise WireError(f"array dtype {dtype} is not numeric")
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(spec["data"]):
        raise WireError(f"array of shape {list(shape)} and dtype {dtype} does not match its {len(spec['data'])} bytes")
    return np.frombuffer(spec["data"], dtype).reshape(shape)


_COOKED_FIELDS = ("texture_type", "width", "height", "depth", "array_layers", "mip_levels", "format", "content_hash", "flags")


def _to_plain(message) -> dict:
    if isinstance(message, TextureChunk):
        return {"key": message.key, "items": [list(item) for item in message.items], "job": message.job}
    if isinstance(message, TextureWork):
        body = {
            "key": message.key,
            "source_id": message.source_id,
            "desc": message.desc.to_dict(),
            "job": message.job,
            "encoder_target": message.encoder_target,
            "cache_key": message.cache_key,
            "quality": message.quality,
        }
        for name in ("sources", "paths", "blobs"):
            if getattr(message, name):
                body[name] = list(getattr(message, name))
        if message.part is not None:
            body["part"] = list(message.part)
        return body
    if isinstance(message, MeshWork):
        arrays = {name: _array_to_plain(a) for name, a in message.arrays.items() if a is not None}
        return {"key": message.key, "source_id": message.source_id, "arrays": arrays, "job": message.job, "cache_key": message.cache_key}
    body = {"key": message.key, "source_id": message.source_id, "cook_ms": float(message.cook_ms)}
    if message.lease:
        body["lease"] = message.lease
    if message.error is not None:
        body["error"] = message.error.to_dict()
    if isinstance(message, TextureResult) and message.cooked is not None:
        cooked = message.cooked
        body["cooked"] = {name: getattr(cooked, name) for name in _COOKED_FIELDS}
        body["payload"] = cooked.payload
        body["diagnostics"] = [d.to_dict() for d in cooked.diagnostics]
        body["timings_ms"] = dict(cooked.timings_ms)
        if cooked.quality is not None:
            body["quality"] = cooked.quality.to_plain()
    if isinstance(message, MeshResult) and message.mesh is not None:
        mesh = message.mesh
        body["mesh"] = {
            "vertices": mesh.vertices,
            "indices": mesh.indices,
            "bbox_min": list(mesh.bbox_min),
            "bbox_max": list(mesh.bbox_max),
            "vertex_count": mesh.vertex_count,
            "index_count": mesh.index_count,
        }
    return body


def _check_fields(kind: str, fields: dict, required: set[str], optional: set[str]) -> None:
    missing = required - set(fields)
    unknown = set(fields) - required - optional
    if missing or unknown:
        raise WireError(f"{kind}: missing {sorted(missing)}, unknown {sorted(unknown)}")


def _typed(value: Any, kind: type | tuple, what: str):
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise WireError(f"{what} has the wrong type ({type(value).__name__})")
    return value


def _str_list(value: Any, what: str, item: type) -> tuple:
    return tuple(_typed(v, item, what) for v in _typed(value, list, what))


def _diagnostic(value: Any, what: str) -> ImportDiagnostic:
    try:
        return ImportDiagnostic.from_dict(_typed(value, dict, what))
    except (KeyError, ValueError) as exc:
        raise WireError(f"{what}: {exc}") from exc


def _quality(value: Any) -> QualitySums:
    try:
        return QualitySums.from_plain(value)
    except ValueError as exc:
        raise WireError(f"quality: {exc}") from exc


def _from_plain(cls, fields: dict):
    key = _typed(fields.get("key"), str, "key")
    if cls is TextureChunk:
        _check_fields(cls.KIND, fields, {"key", "items"}, {"job"})
        items = []
        for item in _typed(fields["items"], list, "items"):
            pair = _str_list(item, "chunk item", str)
            if len(pair) != 2:
                raise WireError(f"chunk {key}: an item is not [key, source_id]")
            items.append(pair)
        return TextureChunk(key, tuple(items), job=_typed(fields.get("job", ""), str, "job"))
    source_id = _typed(fields.get("source_id"), str, "source_id")
    if cls is TextureWork:
        _check_fields(cls.KIND, fields, {"key", "source_id", "desc"}, {"job", "sources", "paths", "blobs", "encoder_target", "cache_key", "part", "quality"})
        try:
            desc = TextureImportDesc.from_dict(_typed(fields["desc"], dict, "desc"))
        except (TypeError, ValueError) as exc:
            raise WireError(f"{source_id}: bad texture settings: {exc}") from exc
        return TextureWork(
            key,
            source_id,
            desc,
            job=_typed(fields.get("job", ""), str, "job"),
            sources=_str_list(fields.get("sources", []), "sources", bytes),
            paths=_str_list(fields.get("paths", []), "paths", str),
            blobs=_str_list(fields.get("blobs", []), "blobs", str),
            encoder_target=_typed(fields.get("encoder_target", DEFAULT_TARGET), str, "encoder_target"),
            cache_key=_typed(fields.get("cache_key", ""), str, "cache_key"),
            part=_str_list(fields["part"], "part", int) if "part" in fields else None,
            quality=_typed(fields.get("quality", True), bool, "quality"),
        )
    if cls is MeshWork:
        _check_fields(cls.KIND, fields, {"key", "source_id", "arrays"}, {"job", "cache_key"})
        arrays = {_typed(n, str, "array name"): _array_from_plain(s) for n, s in _typed(fields["arrays"], dict, "arrays").items()}
        return MeshWork(key, source_id, arrays, job=_typed(fields.get("job", ""), str, "job"), cache_key=_typed(fields.get("cache_key", ""), str, "cache_key"))
    error = _diagnostic(fields["error"], "error") if "error" in fields else None
    cook_ms = float(_typed(fields.get("cook_ms", 0.0), (int, float), "cook_ms"))
    lease = _typed(fields.get("lease", ""), str, "lease")
    if cls is TextureResult:
        _check_fields(cls.KIND, fields, {"key", "source_id"}, {"cook_ms", "lease", "error", "cooked", "payload", "diagnostics", "timings_ms", "quality"})
        cooked = None
        if "cooked" in fields:
            row = _typed(fields["cooked"], dict, "cooked")
            _check_fields("cooked", row, set(_COOKED_FIELDS), set())
            cooked = CookedTexture(
                source_id=source_id,
                payload=_typed(fields.get("payload"), bytes, "payload"),
                diagnostics=tuple(_diagnostic(d, "diagnostic") for d in _typed(fields.get("diagnostics", []), list, "diagnostics")),
                timings_ms=_typed(fields.get("timings_ms", {}), dict, "timings_ms"),
                quality=_quality(fields["quality"]) if "quality" in fields else None,
                **{name: _typed(row[name], int, name) for name in _COOKED_FIELDS},
            )
        if (cooked is None) == (error is None):
            raise WireError(f"{source_id}: a texture result needs exactly one of cooked and error")
        return TextureResult(key, source_id, cooked, error, cook_ms, lease)
    _check_fields(cls.KIND, fields, {"key", "source_id"}, {"cook_ms", "lease", "error", "mesh"})
    mesh = None
    if "mesh" in fields:
        m = _typed(fields["mesh"], dict, "mesh")
        _check_fields("mesh", m, {"vertices", "indices", "bbox_min", "bbox_max", "vertex_count", "index_count"}, set())
        mesh = MeshBuffers(
            _typed(m["vertices"], bytes, "vertices"),
            _typed(m["indices"], bytes, "indices"),
            tuple(float(_typed(v, (int, float), "bbox_min")) for v in _typed(m["bbox_min"], list, "bbox_min")),
            tuple(float(_typed(v, (int, float), "bbox_max")) for v in _typed(m["bbox_max"], list, "bbox_max")),
            _typed(m["vertex_count"], int, "vertex_count"),
            _typed(m["index_count"], int, "index_count"),
        )
    if (mesh is None) == (error is None):
        raise WireError(f"{source_id}: a mesh result needs exactly one of mesh and error")
    return MeshResult(key, source_id, mesh, error, cook_ms, lease)


def encode(message: Work | Result | TextureChunk) -> bytes:
    """One typed message as msgpack bytes."""
    return msgpack.packb({"v": WIRE_VERSION, "kind": message.KIND, **_to_plain(message)}, use_bin_type=True)


def peek_version(data: bytes) -> Any:
    """The wire version a message claims (``None`` when it is not a map): names a worker of another version."""
    try:
        message = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception:  # msgpack's own error classes vary by version
        return None
    return message.get("v") if isinstance(message, dict) else None


def decode(data: bytes, *, expect: type | tuple[type, ...] | None = None):
    """The typed message in ``data``.

    Raises:
        WireError: not msgpack, not a map, wrong version, unknown or unexpected kind, bad fields.
    """
    try:
        message = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack's own error classes vary by version
        raise WireError(f"not a msgpack message: {exc}") from exc
    if not isinstance(message, dict):
        raise WireError("message is not a map")
    version = message.pop("v", None)
    kind = message.pop("kind", None)
    if version != WIRE_VERSION:
        raise WireError(f"wire version {version!r}, expected {WIRE_VERSION}")
    cls = _MESSAGES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise WireError(f"unknown message kind {kind!r}")
    if expect is not None and not issubclass(cls, expect):
        raise WireError(f"expected {_names(expect)}, got a {kind!r} message")
    return _from_plain(cls, message)


def _names(expect: type | tuple[type, ...]) -> str:
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(repr(k.KIND) for k in kinds)

