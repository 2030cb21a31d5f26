"""The build record's bytes and verdicts: pure, no files."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from oxcook.coordinator._errors import BuildRecordError
from oxcook.coordinator.cache import (
    BuildRecord,
    SceneEntry,
    Stamp,
    TextureEntry,
    entry_verdict,
    is_verified,
    merge_record,
    pack_record,
    same_entries,
    unpack_record,
    versions_changed,
)

VERSIONS = {"oxcook": "1.0", "cooker": "oxcook-cook-3", "encoder": "ispc_texcomp 1.0.4"}
KEY = "a" * 64
STAMP = Stamp("/src/wall_albedo.png", 1234, 1_700_000_000_000_000_000, 42)


def _texture(source_id: str = "wall_albedo.png", **changes) -> TextureEntry:
    entry = TextureEntry(source_id, (STAMP,), KEY, 3, "albedo", "BC7_UNORM_SRGB", 16, 16, 5, 3328)
    return dataclasses.replace(entry, **changes)


def _record(**changes) -> BuildRecord:
    scene = SceneEntry("/src/box.gltf", KEY, (Stamp("/src/box.gltf", 10, 5, 6), Stamp("/src/box.bin", 20, 5, 7)), ("/.cooked/Scenes/box.oscene",), 1)
    record = BuildRecord("b" * 64, "c" * 32, 1_800_000_000_000_000_000, dict(VERSIONS), {"wall_albedo.png": _texture()}, {scene.path: scene})
    return dataclasses.replace(record, **changes)


def test_a_record_round_trips_and_packs_to_the_same_bytes():
    record = _record(textures={"caf\udce9_albedo.png": _texture("caf\udce9_albedo.png", stamps=(Stamp("/src/caf\udce9_albedo.png", 1, 2, 3),))})
    data = pack_record(record)
    assert unpack_record(data) == record
    assert pack_record(unpack_record(data)) == data


def test_a_record_packed_from_the_one_read_reuses_its_rows_and_packs_the_same_bytes():
    """The rows a cook kept (the very entries of the record it read) are copied from the bytes read; the rest packed."""
    names = ["a_albedo.png", "b_albedo.png", "c_albedo.png", "d_albedo.png"]
    read_bytes = pack_record(_record(textures={n: _texture(n, index=i + 1) for i, n in enumerate(names)}))
    read = unpack_record(read_bytes)
    textures = dict(read.textures)
    textures["b_albedo.png"] = _texture("b_albedo.png", index=7, stamps=(Stamp("/src/b_albedo.png", 99, 98, 97, 96),))
    del textures["c_albedo.png"]
    textures["aa_albedo.png"] = _texture("aa_albedo.png", index=8)
    after = dataclasses.replace(read, textures=textures, started_ns=5)
    data = pack_record(after, read)
    assert data == pack_record(after)
    assert unpack_record(data) == after
    assert pack_record(read, read) == read_bytes
    assert pack_record(after, _record()) == pack_record(after)  # a record not read from bytes lends no rows


@pytest.mark.parametrize("keep", [0, 1, 7, 40, -1])
def test_a_truncated_record_is_refused_by_code(keep):
    data = pack_record(_record())
    with pytest.raises(BuildRecordError) as info:
        unpack_record(data[:keep] if keep >= 0 else data[:-1])
    assert info.value.code == "build-record-invalid"


@pytest.mark.parametrize("garbage", [b"\x00" * 64, b"not msgpack at all", msgpack.packb([1, 2, 3]), msgpack.packb({"magic": "something else"})])
def test_garbage_is_refused_by_code(garbage):
    with pytest.raises(BuildRecordError):
        unpack_record(garbage)


def _top(**changes) -> bytes:
    top = msgpack.unpackb(pack_record(_record()), raw=False)
    top.update(changes)
    return msgpack.packb(top)


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"version": 99}, "version 99"),
        ({"index_sha256": "B" * 64}, "index_sha256"),
        ({"started_ns": -1}, "started_ns"),
        ({"textures": [[b"x", [], KEY, "3", "albedo", "BC7", 1, 1, 1, 1, True]]}, "textures[0][3]"),
        ({"textures": [[b"x", [[b"/p", 1, 2]], KEY, 3, "albedo", "BC7", 1, 1, 1, 1, True]]}, "textures[0][1][0]"),
        ({"textures": [[b"x", [], KEY, 3, "albedo", "BC7", 1, 1, 1, 1, 1]]}, "textures[0][10]"),
        ({"scenes": [[b"/s", KEY, [], "not a list", 0, True]]}, "scenes[0][3]"),
        ({"scenes": [["/s", KEY, [], [], 0, True]]}, "scenes[0][0]"),
        ({"versions": {"oxcook": 1}}, "versions.oxcook"),
        ({"extra": 1}, "keys"),
    ],
)
def test_every_field_is_checked_and_named(changes, where):
    with pytest.raises(BuildRecordError) as info:
        unpack_record(_top(**changes))
    assert where in info.value.message


def test_two_entries_for_one_texture_are_refused():
    entry = msgpack.unpackb(pack_record(_record()), raw=False)["textures"][0]
    with pytest.raises(BuildRecordError, match="a second entry"):
        unpack_record(_top(textures=[entry, entry]))


def test_verdicts_name_what_changed():
    entry = _texture()
    assert entry_verdict(entry, (STAMP,), KEY).unchanged
    assert entry_verdict(None, (STAMP,), KEY).reason == "new input"
    assert entry_verdict(entry, (STAMP,), "d" * 64).reason == "settings changed"
    assert entry_verdict(entry, (None,), KEY).reason.endswith("is missing or unreadable")
    assert "mtime" in entry_verdict(entry, (STAMP._replace(mtime_ns=1),), KEY).reason
    assert "inode" in entry_verdict(entry, (STAMP._replace(ino=43),), KEY).reason
    assert "size" in entry_verdict(entry, (STAMP._replace(size=1),), KEY).reason
    assert "moved" in entry_verdict(entry, (STAMP._replace(path="/elsewhere.png"),), KEY).reason
    assert "racy" in entry_verdict(dataclasses.replace(entry, verified=False), (STAMP,), KEY).reason


def test_a_stamp_not_older_than_the_cook_is_not_verified():
    assert is_verified((STAMP,), STAMP.mtime_ns + 1)
    assert not is_verified((STAMP,), STAMP.mtime_ns)
    assert not is_verified((STAMP,), STAMP.mtime_ns - 1)


def test_merging_keeps_other_inputs_drops_failures_and_forgets_other_versions():
    previous = _record()
    new = _texture("floor_albedo.png", index=4)
    merged = merge_record(previous, versions=VERSIONS, started_ns=9, textures={"floor_albedo.png": new, "wall_albedo.png": None}, scenes={})
    assert set(merged.textures) == {"floor_albedo.png"} and set(merged.scenes) == set(previous.scenes)
    other = merge_record(previous, versions={**VERSIONS, "encoder": "ispc_texcomp 2.0"}, started_ns=9, textures={}, scenes={})
    assert other.textures == {} and other.scenes == {}
    assert same_entries(merge_record(previous, versions=VERSIONS, started_ns=10, textures={}, scenes={}), previous)
    assert versions_changed(VERSIONS, {**VERSIONS, "oxcook": "1.1"}) == "oxcook or encoder version changed (oxcook 1.0 → 1.1)"
    assert versions_changed(VERSIONS, dict(VERSIONS)) == ""
