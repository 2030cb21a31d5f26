"""Plain forms derived from declarations: a dataclass's annotated fields are its wire fields.

A wire message or record is declared once, as a frozen dataclass; :func:`record_codec`
reads its fields and their annotations and compiles, once, what turns a value into
msgpack's plain data (str, int, float, bool, bytes, list, map) and back. Types:

* ``str int float bool bytes`` (an ``int`` is never a ``bool``; a ``float`` may arrive as an ``int``);
* ``X | None``; ``tuple[X, ...]`` and ``tuple[X, Y]`` (a list); ``dict[str, X]`` (a map);
* an ``enum.Enum`` (its value); ``np.ndarray`` (``{dtype, shape, data}``, numeric only);
* another dataclass (a map of its own fields, derived the same way);
* a class with ``to_plain``/``from_plain`` (it checks its own plain form).

A field whose value is empty (``None``, ``""``, ``()``, ``{}``) and equal to its
default is left off the map; on reading, a field left off takes its default and
a field without a default must be there. Reading never trusts the data: a
missing or unknown field, a value of the wrong type, an enum value not in the
enum or a record its own ``__post_init__`` refuses is a :class:`WireError`
naming the field (``cooked.width``), never another exception.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any, Callable

import numpy as np

from oxcook.formats import OxcookError


class WireError(OxcookError):
    """A message that is not a valid oxcook message (wrong version, kind or shape)."""

    code = "wire-invalid"


Encode = Callable[[Any], Any]
Decode = Callable[[Any, str], Any]


class Codec(typing.NamedTuple):
    encode: Encode
    decode: Decode


def _wrong(value: Any, what: str) -> WireError:
    return WireError(f"{what} has the wrong type ({type(value).__name__})")


def _scalar(kind: type) -> Codec:
    def decode(value: Any, what: str) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise _wrong(value, what)
        return value

    return Codec(lambda value: value, decode)


def _float() -> Codec:
    def decode(value: Any, what: str) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _wrong(value, what)
        return float(value)

    return Codec(float, decode)


def _optional(inner: Codec) -> Codec:
    return Codec(lambda value: None if value is None else inner.encode(value), lambda value, what: None if value is None else inner.decode(value, what))


def _sequence(inner: Codec) -> Codec:
    def decode(value: Any, what: str) -> tuple:
        if not isinstance(value, list):
            raise _wrong(value, what)
        return tuple(inner.decode(item, f"{what}[{i}]") for i, item in enumerate(value))

    return Codec(lambda value: [inner.encode(item) for item in value], decode)


def _fixed(inners: tuple[Codec, ...]) -> Codec:
    def decode(value: Any, what: str) -> tuple:
        if not isinstance(value, list):
            raise _wrong(value, what)
        if len(value) != len(inners):
            raise WireError(f"{what} has {len(value)} items, expected {len(inners)}")
        return tuple(inner.decode(item, f"{what}[{i}]") for i, (inner, item) in enumerate(zip(inners, value)))

    return Codec(lambda value: [inner.encode(item) for inner, item in zip(inners, value, strict=True)], decode)


def _mapping(inner: Codec) -> Codec:
    def decode(value: Any, what: str) -> dict:
        if not isinstance(value, dict):
            raise _wrong(value, what)
        return {_scalar(str).decode(name, f"{what} key"): inner.decode(item, f"{what}.{name}") for name, item in value.items()}

    return Codec(lambda value: {name: inner.encode(item) for name, item in value.items()}, decode)


def _enum(cls: type[enum.Enum]) -> Codec:
    def decode(value: Any, what: str) -> enum.Enum:
        try:
            return cls(value)
        except ValueError as exc:
            raise WireError(f"{what}: {exc}") from exc

    return Codec(lambda value: cls(value).value, decode)


def _array() -> Codec:
    def encode(array: np.ndarray) -> dict:
        array = np.ascontiguousarray(array)
        return {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}

    def decode(spec: Any, what: str) -> np.ndarray:
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"} or not isinstance(spec["data"], bytes):
            raise WireError(f"{what}: an array must be {{dtype, shape, data}}")
        try:
            dtype = np.dtype(spec["dtype"])
            shape = tuple(int(n) for n in spec["shape"])
        except (TypeError, ValueError) as exc:
            raise WireError(f"{what}: bad array spec: {exc}") from exc
        if dtype.kind not in "fiu" or dtype.itemsize > 8:
            raise WireError(f"{what}: array dtype {dtype} is not numeric")
        if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(spec["data"]):
            raise WireError(f"{what}: array of shape {list(shape)} and dtype {dtype} does not match its {len(spec['data'])} bytes")
        return np.frombuffer(spec["data"], dtype).reshape(shape)

    return Codec(encode, decode)


def _own_plain(cls: type) -> Codec:
    def decode(value: Any, what: str) -> Any:
        try:
            return cls.from_plain(value)
        except ValueError as exc:
            raise WireError(f"{what}: {exc}") from exc

    return Codec(lambda value: value.to_plain(), decode)


_SCALARS = {str: _scalar(str), int: _scalar(int), bool: _scalar(bool), bytes: _scalar(bytes), float: _float()}


def codec_for(hint: Any, namespace: dict) -> Codec:
    """The codec of one annotation (``namespace`` resolves the names of nested records' annotations)."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"no wire form for {hint!r}: a union is X | None")
        return _optional(codec_for(rest[0], namespace))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(codec_for(args[0], namespace))
        return _fixed(tuple(codec_for(a, namespace) for a in args))
    if origin is dict and args and args[0] is str:
        return _mapping(codec_for(args[1], namespace))
    if hint is np.ndarray:
        return _array()
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    if isinstance(hint, type) and hasattr(hint, "from_plain") and hasattr(hint, "to_plain"):
        return _own_plain(hint)
    if dataclasses.is_dataclass(hint):
        return record_codec(hint, namespace)
    raise TypeError(f"no wire form for {hint!r}")


def _empty(value: Any) -> bool:
    return value is None or isinstance(value, (str, bytes, tuple, list, dict)) and len(value) == 0


_NO_DEFAULT = object()


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return _NO_DEFAULT


def record_codec(cls: type, namespace: dict) -> Codec:
    """The codec of a dataclass: a map of its fields (those its constructor takes), each by its annotation."""
    hints = typing.get_type_hints(cls, localns=namespace)
    fields = [(f.name, codec_for(hints[f.name], namespace), _default(f)) for f in dataclasses.fields(cls) if f.init]
    names = {name for name, _, _ in fields}
    required = {name for name, _, default in fields if default is _NO_DEFAULT}

    def encode(record: Any) -> dict:
        plain = {}
        for name, codec, default in fields:
            value = getattr(record, name)
            if not (_empty(value) and value == default):
                plain[name] = codec.encode(value)
        return plain

    def decode(plain: Any, what: str) -> Any:
        """``what``: the field this record is (``cooked``); ``""`` for a message, whose fields are named alone."""
        label = what or getattr(cls, "KIND", cls.__name__)
        if not isinstance(plain, dict):
            raise _wrong(plain, label)
        missing, unknown = required - set(plain), set(plain) - names
        if missing or unknown:
            raise WireError(f"{label}: missing {sorted(missing)}, unknown {sorted(map(str, unknown))}")
        values = {name: codec.decode(plain[name], f"{what}.{name}" if what else name) for name, codec, _ in fields if name in plain}
        try:
            return cls(**values)
        except WireError:
            raise
        except (TypeError, ValueError) as exc:
            raise WireError(f"{label}: {exc}") from exc

    return Codec(encode, decode)
