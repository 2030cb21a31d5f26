"""container.index.bin: golden bytes of spec §1.13, round trips, loader rules."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oxcook import formats as f

SOURCE = bytes.fromhex("01930000000070008000000000000001")
BRICK = "/.cooked/Materials/Brick.omat"


def brick_index(epoch: f.Epoch = f.Epoch.B) -> f.ContainerIndex:
    return f.ContainerIndex(
        source_identity=SOURCE,
        assets=(
            f.AssetRecord(
                asset_key=f.asset_key_for(BRICK, epoch=epoch.value),
                asset_type=f.AssetType.MATERIAL,
                descriptor_relpath="Materials/Brick.omat",
                virtual_path=BRICK,
                descriptor_size=1191,
            ),
        ),
        files=(
            f.FileRecordInfo(f.FileKind.TEXTURES_DATA, "Resources/textures.data", 1792),
            f.FileRecordInfo(f.FileKind.TEXTURES_TABLE, "Resources/textures.table", 78),
        ),
        epoch=epoch,
    )


# Spec §1.13, Epoch B, lines that are all zero omitted.
GOLDEN_B = {
    0x000: "4f 58 4c 43 49 44 58 00 01 00 00 00 03 00 00 00",
    0x010: "01 93 00 00 00 00 70 00 80 00 00 00 00 00 00 01",
    0x020: "00 01 00 00 00 00 00 00 65 00 00 00 00 00 00 00",
    0x030: "65 01 00 00 00 00 00 00 01 00 00 00 41 00 00 00",
    0x040: "a6 01 00 00 00 00 00 00 02 00 00 00 0e 00 00 00",
    0x100: "00 4d 61 74 65 72 69 61 6c 73 2f 42 72 69 63 6b",
    0x160: "64 61 74 61 00 1d e1 29 bf f4 7e 24 d5 36 dd 39",
    0x170: "59 58 df 2d ca 01 01 00 00 00 16 00 00 00 a7 04",
    0x1A0: "00 00 00 00 00 00 03 00 4e 00 00 00 00 00 00 00",
    0x1B0: "34 00 00 00 04 00 00 07 00 00 00 00 00 00 4d 00",
    0x1C0: "00 00",
}


def test_index_b_matches_spec_example_byte_for_byte():
    data = f.build_index(brick_index())
    assert len(data) == 450
    for offset, hexline in GOLDEN_B.items():
        expected = bytes.fromhex(hexline)
        assert data[offset : offset + len(expected)] == expected, f"line {offset:#06x}"
    assert data[0x50:0x100] == bytes(0xB0)


def test_index_a_matches_spec_example():
    data = f.build_index(brick_index(f.Epoch.A), epoch=f.Epoch.A)
    assert len(data) == 561
    assert data[0x40:0x50] == SOURCE
    assert data[0x165:0x175] == bytes.fromhex("1b97fb53049acac9718b07908fdaef3f")
    assert data[0x175:0x189] == bytes.fromhex("01000000160000000100000" + "0a704000000000000")
    assert data[0x1B1:0x1B9] == bytes.fromhex("0300000034000000")
    assert data[0x1F1:0x1FD] == bytes.fromhex("040000004d00000000070000")


@pytest.mark.parametrize("epoch", list(f.Epoch))
def test_index_round_trip(epoch):
    index = brick_index(epoch)
    back = f.parse_index(f.build_index(index, epoch=epoch))
    assert back.epoch == epoch
    assert back.assets == index.assets
    assert sorted(back.files, key=lambda r: r.kind) == sorted(index.files, key=lambda r: r.kind)


def test_sizes_pinned_to_spec():
    assert {e: f.INDEX_HEADER[e].SIZE for e in f.Epoch} == {f.Epoch.A: 256, f.Epoch.B: 256}
    assert {e: f.ASSET_ENTRY[e].SIZE for e in f.Epoch} == {f.Epoch.A: 76, f.Epoch.B: 65}
    assert {e: f.FILE_RECORD[e].SIZE for e in f.Epoch} == {f.Epoch.A: 64, f.Epoch.B: 14}
    assert f.INDEX_HEADER[f.Epoch.B].offsets["source_identity"] == 16
    assert f.INDEX_HEADER[f.Epoch.A].offsets["source_identity"] == 64
    assert f.ASSET_ENTRY[f.Epoch.B].offsets["descriptor_sha256"] == 33


def test_string_table_dedups_and_starts_with_nul():
    index = dataclasses.replace(
        brick_index(),
        assets=brick_index().assets
        + (
            f.AssetRecord(
                # the loader does not forbid two entries sharing one descriptor file
                f.asset_key_for("/.cooked/Materials/Other.omat"), 1, "Materials/Brick.omat", "/.cooked/Materials/Other.omat", 10
            ),
        ),
    )
    data = f.build_index(index)
    size = int.from_bytes(data[40:48], "little")
    table = data[256 : 256 + size]
    assert table[0] == 0
    strings = table.split(b"\0")[:-1]
    assert strings.count(b"Materials/Brick.omat") == 1
    assert len(strings) == len(set(strings))


def test_assets_sorted_by_key_and_records_by_kind():
    paths = [f"/.cooked/Materials/M{i}.omat" for i in range(20)]
    assets = tuple(f.AssetRecord(f.asset_key_for(p), 1, p[len("/.cooked/") :], p, 1) for p in paths)
    data = f.build_index(dataclasses.replace(brick_index(), assets=assets))
    back = f.parse_index(data)
    assert [a.asset_key for a in back.assets] == sorted(a.asset_key for a in assets)
    assert [r.kind for r in back.files] == [3, 4]


def test_same_content_same_bytes_whatever_the_order():
    one = brick_index()
    two = dataclasses.replace(one, files=tuple(reversed(one.files)))
    assert f.build_index(one) == f.build_index(two)


def test_writer_refuses_bad_paths_and_identity():
    bad = dataclasses.replace(
        brick_index(), assets=(dataclasses.replace(brick_index().assets[0], descriptor_relpath="../Brick.omat"),)
    )
    with pytest.raises(f.LayoutError, match="'..'"):
        f.build_index(bad)
    with pytest.raises(f.LayoutError, match="UUIDv7"):
        f.build_index(dataclasses.replace(brick_index(), source_identity=bytes(range(16))))
    unpaired = dataclasses.replace(brick_index(), files=brick_index().files[:1])
    with pytest.raises(f.LayoutError, match="together"):
        f.build_index(unpaired)


@pytest.mark.parametrize(
    "mutate, rule",
    [
        (lambda d: d[:100], "index-truncated"),
        (lambda d: b"OXLCIDY\0" + d[8:], "index-magic"),
        (lambda d: d[:8] + b"\x02\x00" + d[10:], "index-version"),
        (lambda d: d[:60] + (66).to_bytes(4, "little") + d[64:], "index-entry-size"),
        (lambda d: d[:12] + (0x8).to_bytes(4, "little") + d[16:], "index-flags"),
        (lambda d: d[:22] + b"\x40" + d[23:], "index-source-identity"),
        (lambda d: d[:76] + (15).to_bytes(4, "little") + d[80:], "index-record-size"),
        (lambda d: d[:40] + (0).to_bytes(8, "little") + d[48:], "index-sections"),
        (lambda d: d[:256] + b"X" + d[257:], "index-strings"),
        (lambda d: d[:-5], "index-truncated"),
    ],
)
def test_parse_rejects_each_structural_rule(mutate, rule):
    data = mutate(f.build_index(brick_index()))
    with pytest.raises(f.FormatError) as info:
        f.parse_index(data)
    assert info.value.rule == rule


def test_index_problems_per_entry_rules():
    asset = brick_index().assets[0]
    index = dataclasses.replace(
        brick_index(),
        assets=(
            asset,
            dataclasses.replace(asset, virtual_path="/.cooked/Mat.s/Brick.omat"),
            dataclasses.replace(asset, descriptor_relpath="C:/x.omat", asset_key=bytes(16)),
        ),
        files=brick_index().files + (f.FileRecordInfo(42, "Resources/x.bin", 0),),
    )
    rules = {rule for rule, _ in f.index_problems(index)}
    assert {"asset-duplicate-key", "asset-virtual-path", "asset-relpath", "asset-duplicate-virtual-path", "file-kind"} <= rules


@given(
    content_version=st.integers(0, 0xFFFF),
    sizes=st.lists(st.integers(0, 2**40), min_size=4, max_size=4),
    names=st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True), min_size=1, max_size=8, unique=True),
)
def test_round_trip_any_content(content_version, sizes, names):
    assets = tuple(
        f.AssetRecord(f.asset_key_for(f"/.cooked/Geometry/{n}.ogeo"), 2, f"Geometry/{n}.ogeo", f"/.cooked/Geometry/{n}.ogeo", sizes[0])
        for n in names
    )
    files = tuple(f.FileRecordInfo(k, f.DEFAULT_RELPATHS[f.FileKind(k)], s) for k, s in zip((1, 2, 3, 4), sizes))
    index = f.ContainerIndex(f.new_source_key(), assets, files, content_version)
    back = f.parse_index(f.build_index(index))
    assert back == dataclasses.replace(index, assets=tuple(sorted(assets, key=lambda a: a.asset_key)))
