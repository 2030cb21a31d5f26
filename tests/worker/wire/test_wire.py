"""The wire: every message round-trips; the decoder refuses what is not ours."""

from __future__ import annotations

import dataclasses

import msgpack
import numpy as np
import pytest

from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import CookedTexture, MeshBuffers, QualitySums, preset_desc
from oxcook.worker.wire import WIRE_VERSION, MeshResult, MeshWork, TextureResult, TextureWork, WireError, WorkRef, decode, encode, error_result, peek_version

DESC = preset_desc("albedo", "a.png")
WARN = ImportDiagnostic(ImportSeverity.WARNING, "texture-nonfinite-clamped", "clamped")  # a cook's note names no source
COOKED = CookedTexture(
    payload=b"OTX1" + bytes(60),
    texture_type=3,
    width=4,
    height=4,
    depth=1,
    array_layers=1,
    mip_levels=3,
    format=62,
    content_hash=0xDEADBEEF,
    flags=0,
    diagnostics=(WARN,),
    timings_ms={"decode": 1.5},
)
LEVEL = {"texels": 16, "colour_sse": 12.0, "colour_samples": 48, "alpha_sse": 3.0, "alpha_samples": 16, "passing": 9, "peak": 255.0}
SUMS = QualitySums.from_plain({"format": 98, "levels": [list(LEVEL.values())] * 3, "translucent": True, "source_passing": 10, "alpha_cutoff": 0.5, "normals": [16, 4.5, [3, 0, 13]]})
MESH = MeshBuffers(bytes(72 * 3), bytes(12), (0.0, -1.0, 0.5), (1.0, 1.0, 2.0), 3, 3)

MESSAGES = [
    TextureWork("j:1", "a.png", DESC, job="j", sources=(b"\x89PNG...",)),
    TextureWork("j:2", "b.png", DESC, paths=("/art/b.png",)),
    TextureWork("j:3", "c.png", DESC, job="j", blobs=("oxcook:blob:ab", "oxcook:blob:cd")),
    TextureResult("j:1", "a.png", cooked=COOKED),
    TextureResult("j:1", "a.png", error=ImportDiagnostic(ImportSeverity.ERROR, "texture-decode-failed", "a.png: bad", "a.png")),
    MeshResult("j:4", "s/m#0", mesh=MESH),
    MeshResult("j:4", "s/m#0", error=ImportDiagnostic(ImportSeverity.ERROR, "mesh-invalid", "s/m#0: no positions", "s/m#0")),
    TextureWork("j:6", "d.png", DESC, sources=(b"x",), quality=False),
    TextureResult("j:1", "a.png", cooked=dataclasses.replace(COOKED, quality=SUMS)),
]


def _altered(message, **fields) -> bytes:
    plain = msgpack.unpackb(encode(message), raw=False)
    return msgpack.packb({**plain, **fields}, use_bin_type=True)


def _altered_cooked(message, **fields) -> bytes:
    plain = msgpack.unpackb(encode(message), raw=False)
    return msgpack.packb({**plain, "cooked": {**plain["cooked"], **fields}}, use_bin_type=True)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message):
    assert decode(encode(message)) == message


def test_mesh_work_round_trips_its_arrays():
    arrays = {"positions": np.arange(9, dtype=np.float32).reshape(3, 3), "indices": np.array([0, 1, 2], np.uint32)}
    back = decode(encode(MeshWork("j:5", "s/m#0", arrays, job="j")))
    assert isinstance(back, MeshWork) and back.key == "j:5" and back.job == "j"
    for name, array in arrays.items():
        np.testing.assert_array_equal(back.arrays[name], array)
        assert back.arrays[name].dtype == array.dtype


def test_error_result_names_the_source_for_work_and_references():
    work = MESSAGES[0]
    failed = error_result(work, "texture-worker-crashed", "a.png: died")
    assert isinstance(failed, TextureResult) and not failed.ok and failed.error.source_id == "a.png"
    ref = error_result(WorkRef(MeshWork, "k", "m#1"), "wire-invalid", "m#1: unreadable")
    assert isinstance(ref, MeshResult) and ref.error.code == "wire-invalid"


def test_a_texture_work_item_has_exactly_one_kind_of_source():
    with pytest.raises(WireError):
        TextureWork("k", "a.png", DESC)
    with pytest.raises(WireError):
        TextureWork("k", "a.png", DESC, sources=(b"x",), paths=("/a",))


def _raw(**fields) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xc1garbage", "not a msgpack"),
        (msgpack.packb([1, 2]), "not a map"),
        (_raw(v=WIRE_VERSION + 1, kind="texture-work"), "wire version"),
        (_raw(v=WIRE_VERSION, kind="pickle"), "unknown message kind"),
        (_raw(v=WIRE_VERSION, kind="texture-result", key="k", source_id="a"), "exactly one of cooked and error"),
        (_raw(v=WIRE_VERSION, kind="texture-work", key="k", source_id="a", desc={"nope": 1}, sources=[b"x"]), r"desc: missing \[\], unknown \['nope'\]"),
        (_raw(v=WIRE_VERSION, kind="texture-work", key="k", source_id="a", desc=DESC.to_dict(), sources=["not bytes"]), "wrong type"),
        (_raw(v=WIRE_VERSION, kind="texture-work", key=5, source_id="a", desc=DESC.to_dict(), sources=[b"x"]), "wrong type"),
        (_raw(v=WIRE_VERSION, kind="mesh-work", key="k", source_id="a", arrays={"positions": {"dtype": "<f4", "shape": [9, 3], "data": b"1234"}}), "does not match"),
        (_raw(v=WIRE_VERSION, kind="mesh-work", key="k", source_id="a", arrays={"positions": {"dtype": "|O", "shape": [1], "data": b"12345678"}}), "not numeric"),
        (_raw(v=WIRE_VERSION, kind="mesh-result", key="k", source_id="a", extra=1), "unknown"),
        (_altered(MESSAGES[0], quality="yes"), "wrong type"),
        (_altered_cooked(MESSAGES[8], quality={"format": 98}), "cooked.quality: quality sums must be a map"),
        (_altered_cooked(MESSAGES[8], quality={**SUMS.to_plain(), "levels": [[1, 2, 3]]}), "list of 7 numbers"),
        (_altered_cooked(MESSAGES[8], quality={**SUMS.to_plain(), "levels": [[-1, 0, 0, 0, 0, 0, 0]]}), "non-negative"),
    ],
)
def test_decoder_refuses(data, reason):
    with pytest.raises(WireError, match=reason):
        decode(data)


def test_decoder_refuses_an_unexpected_kind():
    with pytest.raises(WireError, match="expected 'texture-result'"):
        decode(encode(MESSAGES[5]), expect=TextureResult)


def test_peek_version_names_a_foreign_wire():
    assert peek_version(encode(MESSAGES[0])) == WIRE_VERSION
    assert peek_version(_raw(v=1, kind="texture-work")) == 1
    assert peek_version(b"junk") is None
