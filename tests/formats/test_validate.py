"""The container validator: a valid hand-built root passes; each corruption is named by its rule."""

from __future__ import annotations

import dataclasses

import pytest

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles
from tests.sample_container import build_sample_root

B = f.Epoch.B


@pytest.fixture
def sample(tmp_path):
    return build_sample_root(tmp_path / "root")


def rules(root) -> set[str]:
    report = f.validate_container(CookedRootFiles(root))
    return {v.rule for v in report.violations if v.severity == f.Severity.ERROR}


def rewrite_index(root, **changes):
    path = root / f.INDEX_FILE_NAME
    index = f.parse_index(path.read_bytes())
    path.write_bytes(f.build_index(dataclasses.replace(index, **changes)))


def test_sample_root_is_valid(sample):
    report = f.validate_container(CookedRootFiles(sample.root))
    assert report.ok, [str(v) for v in report.violations]
    assert report.violations == []
    assert len(report.texture_rows) == 3 and len(report.buffer_rows) == 3


def test_sample_index_layout(sample):
    data = (sample.root / f.INDEX_FILE_NAME).read_bytes()
    header = f.INDEX_HEADER[B].unpack(data)
    assert header.magic == b"OXLCIDX\0" and header.flags == 3
    assert header.string_table_offset == 256
    assert header.asset_entries_offset == 256 + header.string_table_size
    assert header.file_records_offset == header.asset_entries_offset + 3 * 65
    assert len(data) == header.file_records_offset + 4 * 14


def test_missing_index_is_not_a_container(tmp_path):
    report = f.validate_container(CookedRootFiles(tmp_path))
    assert not report.recognized and {v.rule for v in report.violations} == {"index-missing"}


def test_truncated_index(sample):
    path = sample.root / f.INDEX_FILE_NAME
    path.write_bytes(path.read_bytes()[:200])
    assert rules(sample.root) == {"index-truncated"}


def test_bad_magic(sample):
    path = sample.root / f.INDEX_FILE_NAME
    path.write_bytes(b"GARBAGE!" + path.read_bytes()[8:])
    report = f.validate_container(CookedRootFiles(sample.root))
    assert not report.recognized and rules(sample.root) == {"index-magic"}


def test_wrong_entry_size(sample):
    path = sample.root / f.INDEX_FILE_NAME
    data = path.read_bytes()
    path.write_bytes(data[:60] + (64).to_bytes(4, "little") + data[64:])
    assert rules(sample.root) == {"index-entry-size"}


def test_bad_uuid_v7(sample):
    path = sample.root / f.INDEX_FILE_NAME
    data = bytearray(path.read_bytes())
    data[22] = 0x40  # version nibble 4
    path.write_bytes(bytes(data))
    assert rules(sample.root) == {"index-source-identity"}


def test_path_with_dotdot(sample):
    path = sample.root / f.INDEX_FILE_NAME
    data = path.read_bytes()
    # same length, so every offset stays valid: "Materials/Brick.omat" -> "Materials/../ck.omat"
    path.write_bytes(data.replace(b"Materials/Brick.omat\0", b"Materials/../ck.omat\0", 1))
    assert "asset-relpath" in rules(sample.root)


def test_misaligned_texture_row(sample):
    table = sample.root / "Resources/textures.table"
    layout = f.TEXTURE_RESOURCE_DESC[B]
    rows = layout.unpack_array(table.read_bytes(), 3)
    rows[1] = rows[1]._replace(data_offset=rows[1].data_offset + 16)
    table.write_bytes(layout.pack_array(rows))
    assert "texture-placement" in rules(sample.root)


def test_texture_alignment_field(sample):
    table = sample.root / "Resources/textures.table"
    layout = f.TEXTURE_RESOURCE_DESC[B]
    rows = layout.unpack_array(table.read_bytes(), 3)
    rows[2] = rows[2]._replace(alignment=1)
    table.write_bytes(layout.pack_array(rows))
    assert "texture-alignment" in rules(sample.root)


def test_out_of_range_texture_row(sample):
    table = sample.root / "Resources/textures.table"
    layout = f.TEXTURE_RESOURCE_DESC[B]
    rows = layout.unpack_array(table.read_bytes(), 3)
    rows[2] = rows[2]._replace(data_offset=1 << 20)
    table.write_bytes(layout.pack_array(rows))
    assert "texture-range" in rules(sample.root)


def test_wrong_file_size(sample):
    with open(sample.root / "Resources/textures.data", "ab") as fh:
        fh.write(b"\0" * 256)
    assert rules(sample.root) == {"file-size"}


def test_table_size_not_a_row_multiple(sample):
    table = sample.root / "Resources/buffers.table"
    table.write_bytes(table.read_bytes() + b"\0")
    rewrite_index(
        sample.root,
        files=tuple(
            dataclasses.replace(r, size=r.size + 1) if r.relpath.endswith("buffers.table") else r
            for r in f.parse_index((sample.root / f.INDEX_FILE_NAME).read_bytes()).files
        ),
    )
    assert "table-row-size" in rules(sample.root)


def test_descriptor_sha_mismatch(sample):
    path = sample.root / "Materials/Brick.omat"
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    assert {"descriptor-sha256", "descriptor-content-hash"} <= rules(sample.root)


def test_descriptor_missing(sample):
    (sample.root / "Geometry/Box.ogeo").unlink()
    assert "descriptor-missing" in rules(sample.root)


def test_texture_payload_hash_mismatch(sample):
    path = sample.root / "Resources/textures.data"
    data = bytearray(path.read_bytes())
    data[sample.texture_rows[1].data_offset + 600] ^= 1
    path.write_bytes(bytes(data))
    assert rules(sample.root) == {"texture-content-hash"}


def test_texture_payload_header_inconsistent(sample):
    path = sample.root / "Resources/textures.data"
    data = bytearray(path.read_bytes())
    at = sample.texture_rows[2].data_offset + 28 + 8  # first SubresourceLayout.size_bytes
    data[at : at + 4] = (12).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert "texture-layout" in rules(sample.root)


def test_material_texture_index_out_of_range(sample):
    path = sample.root / "Materials/Brick.omat"
    desc, refs = f.unpack_material(path.read_bytes())
    raw = f.pack_material(desc._replace(normal_texture=99), f.default_shader_refs(False))
    sealed, sha = f.seal_descriptor(raw)
    path.write_bytes(sealed)
    index = f.parse_index((sample.root / f.INDEX_FILE_NAME).read_bytes())
    rewrite_index(
        sample.root,
        assets=tuple(dataclasses.replace(a, descriptor_sha256=sha) if a.asset_type == 1 else a for a in index.assets),
    )
    assert rules(sample.root) == {"material-texture-index"}


def test_buffer_sentinel_and_range(sample):
    table = sample.root / "Resources/buffers.table"
    layout = f.BUFFER_RESOURCE_DESC[B]
    rows = layout.unpack_array(table.read_bytes(), 3)
    rows[0] = rows[0]._replace(size_bytes=4, element_stride=4, data_offset=0, content_hash=f.content_hash(bytes(range(4))))
    rows[2] = rows[2]._replace(data_offset=4096)
    table.write_bytes(layout.pack_array(rows))
    assert {"buffer-sentinel", "buffer-range"} <= rules(sample.root)


def test_index_escaping_path_is_never_read(sample, tmp_path):
    (tmp_path / "secret.omat").write_bytes(b"x" * 10)
    data = (sample.root / f.INDEX_FILE_NAME).read_bytes()
    rel = b"Materials/Brick.omat"
    # same length, so the string table stays consistent
    patched = data.replace(rel + b"\0", b"../../secret.omat".ljust(len(rel), b"/") + b"\0", 1)
    (sample.root / f.INDEX_FILE_NAME).write_bytes(patched)
    found = rules(sample.root)
    assert "asset-relpath" in found and "descriptor-missing" in found


def test_hashes_can_be_skipped(sample):
    path = sample.root / "Resources/textures.data"
    data = bytearray(path.read_bytes())
    data[sample.texture_rows[1].data_offset + 600] ^= 1
    path.write_bytes(bytes(data))
    assert f.validate_container(CookedRootFiles(sample.root), verify_hashes=False).ok
    assert not f.validate_container(CookedRootFiles(sample.root)).ok


def _damage_texture_row(root, row: int) -> None:
    table = root / "Resources/textures.table"
    layout = f.TEXTURE_RESOURCE_DESC[B]
    rows = layout.unpack_array(table.read_bytes(), 3)
    rows[row] = rows[row]._replace(data_offset=rows[row].data_offset + 16)
    table.write_bytes(layout.pack_array(rows))


def test_rows_before_since_are_taken_as_checked(sample):
    """``since``: the rows an earlier check already passed (a table only grows) are not checked again; rows after are."""
    _damage_texture_row(sample.root, 1)
    files = CookedRootFiles(sample.root)
    assert "texture-placement" in {v.rule for v in f.validate_container(files).violations}
    report = f.validate_container(files, since={f.FileKind.TEXTURES_TABLE: 2, f.FileKind.BUFFERS_TABLE: 3})
    assert report.ok, [str(v) for v in report.violations]
    assert report.texture_count == 3 and report.buffer_count == 3
    assert len(report.texture_rows) == 1  # only the rows it read


def test_rows_from_since_are_checked(sample):
    _damage_texture_row(sample.root, 2)
    report = f.validate_container(CookedRootFiles(sample.root), since={f.FileKind.TEXTURES_TABLE: 2})
    errors = [v for v in report.violations if v.severity == f.Severity.ERROR]
    assert "texture-placement" in {v.rule for v in errors} and {v.where for v in errors} == {"row 2"}


def test_since_beyond_a_shrunk_table_checks_every_row(sample):
    """A table shorter than the rows ``since`` vouches for was not only appended to: every row is checked."""
    _damage_texture_row(sample.root, 1)
    report = f.validate_container(CookedRootFiles(sample.root), since={f.FileKind.TEXTURES_TABLE: 7})
    assert "texture-placement" in {v.rule for v in report.violations}
    assert len(report.texture_rows) == 3


def test_since_still_checks_references_against_every_row(sample):
    path = sample.root / "Materials/Brick.omat"
    desc, refs = f.unpack_material(path.read_bytes())
    sealed, sha = f.seal_descriptor(f.pack_material(desc._replace(normal_texture=3), f.default_shader_refs(False)))
    path.write_bytes(sealed)
    index = f.parse_index((sample.root / f.INDEX_FILE_NAME).read_bytes())
    rewrite_index(sample.root, assets=tuple(dataclasses.replace(a, descriptor_sha256=sha) if a.asset_type == 1 else a for a in index.assets))
    report = f.validate_container(CookedRootFiles(sample.root), since={f.FileKind.TEXTURES_TABLE: 3})
    assert {v.rule for v in report.violations if v.severity == f.Severity.ERROR} == {"material-texture-index"}
