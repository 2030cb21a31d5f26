"""What crosses between coordinator and workers: five typed messages, encoded once, as msgpack.

One module, imported by both sides, so the two can never disagree (style rule 1).
Every message is a msgpack map ``{"v": WIRE_VERSION, "kind": <KIND>, ...fields}``;
bytes travel as msgpack ``bin`` (no base64, no pickle). Each message is declared
once, as the dataclass below (its fields and their types) with :func:`_message`
naming its kind; its encoding, decoding and checks are derived from that
declaration (``_plain``), as ``formats._layout`` derives a binary layout's.
:func:`decode` refuses unknown versions and kinds, missing or unknown fields,
and fields of the wrong type, so a garbage message is a :class:`WireError`,
never a crash further in.

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

A result keeps the bytes it was decoded from, or first encoded in: :func:`encoded`
hands them on (to a cache entry) instead of encoding the result again, so each
hop encodes a payload once. A changed copy (``dataclasses.replace``) has none.

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

from ..cook import CookedTexture, DEFAULT_TARGET, MeshBuffers, QualitySums, TextureImportDesc
from .._diagnostics import ImportDiagnostic, ImportSeverity
from ._plain import WireError, record_codec

WIRE_VERSION = 8  # what a worker and a coordinator must share: they refuse each other's messages of another version
MAX_PARTS = 64  # the most parts one texture is split into
MAX_CHUNK_ITEMS = 256  # the most work items one chunk task names

_MESSAGES: dict[str, type] = {}  # kind -> its message class
_ANNOTATED = {"QualitySums": QualitySums}  # what CookedTexture's annotations name for type checkers only


def _message(kind: str):
    """Declare a message: its kind, and its wire form derived from its dataclass fields."""

    def declare(cls: type) -> type:
        cls.KIND = kind
        cls._PLAIN = record_codec(cls, _ANNOTATED)
        _MESSAGES[kind] = cls
        return cls

    return declare


@_message("texture-work")
@dataclass(frozen=True)
class TextureWork:
    """One texture to cook."""

    KIND: ClassVar[str]
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


@_message("texture-result")
@dataclass(frozen=True)
class TextureResult:
    """A cooked texture, or the error diagnostic that says why there is none."""

    KIND: ClassVar[str]
    key: str
    source_id: str
    cooked: CookedTexture | None = None
    error: ImportDiagnostic | None = None
    cook_ms: float = 0.0  # time the worker spent on the item (not counting its wait in a queue)
    lease: str = ""  # the farm lease its worker held on the item (worker.farm.keys.lease); empty off the farm
    wire: bytes = field(default=b"", init=False, compare=False, repr=False)  # the bytes it was decoded from (encoded())

    def __post_init__(self) -> None:
        if (self.cooked is None) == (self.error is None):
            raise WireError(f"{self.source_id}: a texture result needs exactly one of cooked and error")

    @property
    def ok(self) -> bool:
        return self.cooked is not None


@_message("mesh-work")
@dataclass(frozen=True)
class MeshWork:
    """One mesh primitive to pack: its attribute arrays (positions required)."""

    KIND: ClassVar[str]
    key: str
    source_id: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    job: str = ""
    cache_key: str = ""

    def describe(self) -> str:
        positions = self.arrays.get("positions")
        return f"{self.source_id} mesh {0 if positions is None else len(positions)} vertices"


@_message("mesh-result")
@dataclass(frozen=True)
class MeshResult:
    KIND: ClassVar[str]
    key: str
    source_id: str
    mesh: MeshBuffers | None = None
    error: ImportDiagnostic | None = None
    cook_ms: float = 0.0
    lease: str = ""  # as TextureResult's
    wire: bytes = field(default=b"", init=False, compare=False, repr=False)  # as TextureResult's

    def __post_init__(self) -> None:
        if (self.mesh is None) == (self.error is None):
            raise WireError(f"{self.source_id}: a mesh result needs exactly one of mesh and error")

    @property
    def ok(self) -> bool:
        return self.mesh is not None


@_message("texture-chunk")
@dataclass(frozen=True)
class TextureChunk:
    """Several texture work items run by one farm task, in this order: ``items`` are their ``(key, source_id)``."""

    KIND: ClassVar[str]
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


def answer(work: Work, found: Result) -> Result:
    """``work``'s result holding what ``found`` holds (a cache entry's result: the same bytes, whoever they were cooked
    for — a cooked texture names no source), as a fresh cook of ``work`` would answer it."""
    if isinstance(work, TextureWork):
        return TextureResult(work.key, work.source_id, cooked=found.cooked)
    return MeshResult(work.key, work.source_id, mesh=found.mesh)


def encode(message: Work | Result | TextureChunk) -> bytes:
    """One typed message as msgpack bytes."""
    return msgpack.packb({"v": WIRE_VERSION, "kind": message.KIND, **message._PLAIN.encode(message)}, use_bin_type=True)


def encoded(message: Work | Result | TextureChunk) -> bytes:
    """The message's bytes, encoded at most once: a result keeps those it was decoded from or first encoded in
    (a changed copy, ``dataclasses.replace``, has none until it is encoded)."""
    data = getattr(message, "wire", b"")
    if not data:
        data = encode(message)
        if "wire" in type(message).__dataclass_fields__:
            object.__setattr__(message, "wire", data)
    return data


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
    decoded = cls._PLAIN.decode(message, "")
    if "wire" in cls.__dataclass_fields__:
        object.__setattr__(decoded, "wire", bytes(data))
    return decoded


def _names(expect: type | tuple[type, ...]) -> str:
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(repr(k.KIND) for k in kinds)

