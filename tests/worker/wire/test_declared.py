"""Each message is declared once: every declared field crosses the wire, and every field of the wrong type is refused by name."""

from __future__ import annotations

import dataclasses

import msgpack
import numpy as np
import pytest

from oxcook.worker.wire import MeshResult, MeshWork, TextureChunk, TextureResult, TextureWork, WireError, decode, encode, encoded
from tests.worker.wire.test_wire import COOKED, MESH, MESSAGES, SUMS

ARRAYS = {"positions": np.arange(9, dtype=np.float32).reshape(3, 3), "indices": np.array([0, 1, 2], np.uint32)}
FULL = [
    *MESSAGES,
    TextureWork("j:7", "e.png", MESSAGES[0].desc, job="j", paths=("/e.png",), encoder_target="sse4", cache_key="ab" * 32, part=(1, 3), quality=False),
    TextureResult("j:1", "a.png", cooked=dataclasses.replace(COOKED, quality=SUMS), cook_ms=12.5, lease="w1:abc"),
    MeshResult("j:4", "s/m#0", mesh=MESH, cook_ms=3.0, lease="w2:def"),
    MeshWork("j:5", "s/m#0", ARRAYS, job="j", cache_key="cd" * 32),
    TextureChunk("c1", (("j:1", "a.png"), ("j:2", "b.png")), job="j"),
]


def _declared(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}


def test_every_declared_field_of_every_message_crosses_the_wire():
    seen: dict[type, set[str]] = {}
    for message in FULL:
        back = decode(encode(message))
        if isinstance(message, MeshWork):
            assert back.arrays.keys() == message.arrays.keys() and all(np.array_equal(back.arrays[n], a) for n, a in message.arrays.items())
            back = dataclasses.replace(back, arrays=message.arrays)
        assert back == message
        plain = msgpack.unpackb(encode(message), raw=False)
        assert plain.pop("v") and plain.pop("kind") == message.KIND
        seen.setdefault(type(message), set()).update(plain)
    assert {cls.KIND for cls in seen} == {"texture-work", "texture-result", "mesh-work", "mesh-result", "texture-chunk"}
    for cls, names in seen.items():
        assert names == _declared(cls), cls.__name__


def _wrong(value):
    """A value of another plain type than ``value``."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "7"
    if isinstance(value, str):
        return 7
    if isinstance(value, bytes):
        return "text"
    if isinstance(value, list):
        return {"a": 1}
    return [1]


def _paths(value, prefix=()):
    """Every field path of a plain message, into its records, lists and maps."""
    items = value.items() if isinstance(value, dict) else enumerate(value[:1]) if isinstance(value, list) else ()
    for step, inner in items:
        path = (*prefix, step)
        yield path
        yield from _paths(inner, path)


def _name(path) -> str:
    """How a refusal names the field at ``path``: as far as the wire reads it (a quality record and an array
    check their own plain form, and are named as a whole)."""
    name = ""
    for i, step in enumerate(path):
        name += f"[{step}]" if isinstance(step, int) else f".{step}" if name else step
        if step == "quality" and path[0] == "cooked" or i and path[i - 1] == "arrays":
            break
    return name


def _set(plain, path, value):
    *head, last = path
    for step in head:
        plain = plain[step]
    plain[last] = value


def _cases():
    for message in FULL:
        plain = msgpack.unpackb(encode(message), raw=False)
        for path in _paths({k: v for k, v in plain.items() if k not in ("v", "kind")}):
            yield pytest.param(message, path, id=f"{message.KIND}:{'.'.join(map(str, path))}")


@pytest.mark.parametrize("message, path", list(_cases()))
def test_a_field_of_the_wrong_type_is_refused_by_name(message, path):
    plain = msgpack.unpackb(encode(message), raw=False)
    value = plain
    for step in path:
        value = value[step]
    _set(plain, path, _wrong(value))
    with pytest.raises(WireError) as refused:
        decode(msgpack.packb(plain, use_bin_type=True))
    assert refused.value.code == "wire-invalid"
    assert refused.value.message.startswith(_name(path)), refused.value.message


@pytest.mark.parametrize("message", FULL, ids=lambda m: m.KIND)
def test_a_missing_or_unknown_field_is_refused(message):
    plain = msgpack.unpackb(encode(message), raw=False)
    with pytest.raises(WireError, match=r"unknown \['surplus'\]") as refused:
        decode(msgpack.packb({**plain, "surplus": 1}, use_bin_type=True))
    assert refused.value.code == "wire-invalid"
    del plain["key"]
    with pytest.raises(WireError, match=r"missing \['key'\]"):
        decode(msgpack.packb(plain, use_bin_type=True))


def test_a_decoded_result_hands_on_its_own_bytes_until_it_changes():
    data = encode(MESSAGES[3])
    result = decode(data)
    assert encoded(result) is data
    assert encoded(dataclasses.replace(result, key="other")) == encode(dataclasses.replace(MESSAGES[3], key="other"))
    fresh = dataclasses.replace(MESSAGES[3])
    assert encoded(fresh) == data and encoded(fresh) is encoded(fresh)  # encoded once, then handed on
