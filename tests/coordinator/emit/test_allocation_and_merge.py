"""Pure bookkeeping: range reservation, dedup tables, the re-import merge, lifecycle guards."""

from __future__ import annotations

import asyncio

import pytest

from oxcook import formats as f
from oxcook.coordinator import ImportSession, LooseCookedLayout, RangeAllocator, ResourceTable, SessionClosedError
from oxcook.coordinator.emit._allocation import texture_signature
from oxcook.coordinator.emit._writer import merge_index


def test_reservations_are_aligned_disjoint_and_padded():
    alloc = RangeAllocator(700)
    first = alloc.reserve(100, 256)
    second = alloc.reserve(10, 256)
    third = alloc.reserve(5, 4)
    assert (first.offset, first.padding_start, first.padding) == (768, 700, 68)
    assert (second.offset, second.padding) == (1024, 156)
    assert (third.offset, third.padding) == (1036, 2)
    assert alloc.end == 1041


def test_resource_table_dedups_including_committed_rows():
    layout = f.TEXTURE_RESOURCE_DESC[f.Epoch.B]
    old = layout.make(data_offset=0, size_bytes=768, width=1, height=1, format=30, content_hash=1)
    table = ResourceTable([old], texture_signature)
    assert table.add(old._replace(data_offset=4096)) == (0, False)
    new = old._replace(content_hash=2)
    assert table.add(new) == (1, True)
    assert table.new_rows == [new] and table.committed == 1


def _asset(name: str, size: int) -> f.AssetRecord:
    vp = f"/.cooked/Materials/{name}.omat"
    return f.AssetRecord(f.asset_key_for(vp), 1, vp[9:], vp, size)


def test_merge_replaces_by_virtual_path_and_kind_and_keeps_identity():
    existing = f.ContainerIndex(
        f.new_source_key(),
        (_asset("A", 1), _asset("B", 2)),
        (f.FileRecordInfo(3, "Resources/textures.table", 39), f.FileRecordInfo(4, "Resources/textures.data", 768)),
        content_version=7,
    )
    merged = merge_index(existing, [_asset("B", 20), _asset("C", 3)], [f.FileRecordInfo(4, "Resources/textures.data", 1024)], existing.source_identity)
    sizes = {a.virtual_path.rsplit("/", 1)[-1]: a.descriptor_size for a in merged.assets}
    assert sizes == {"A.omat": 1, "B.omat": 20, "C.omat": 3}
    assert {r.kind: r.size for r in merged.files} == {3: 39, 4: 1024}
    assert merged.content_version == 7 and merged.source_identity == existing.source_identity


def test_session_refuses_use_after_finalize(tmp_path):
    async def scenario():
        session = ImportSession(tmp_path / "root", LooseCookedLayout())
        await session.open()
        session.texture_output.ensure_fallback()
        report = await session.finalize()
        assert report.success
        with pytest.raises(SessionClosedError, match="finalized"):
            session.texture_output
        return report

    asyncio.run(scenario())
    index = f.parse_index((tmp_path / "root/container.index.bin").read_bytes())
    assert [r.kind for r in index.files] == [3, 4]
    assert (tmp_path / "root/Resources/textures.table").stat().st_size == 39


def test_session_writes_buffers_and_descriptors(tmp_path):
    from oxcook.coordinator import CookedRootFiles

    async def scenario():
        session = ImportSession(tmp_path / "root", LooseCookedLayout())
        await session.open()
        vb = session.buffer_emitter.emit(bytes(144), usage_flags=0x101, element_stride=72, alignment=72)
        ib = session.buffer_emitter.emit(bytes(12), usage_flags=0x102, element_format=10, alignment=4)
        assert (vb, ib) == (1, 2)
        assert session.buffer_emitter.emit(bytes(144), usage_flags=0x101, element_stride=72, alignment=72) == 1
        mat = f.MATERIAL_ASSET_DESC[f.Epoch.B].make(header=f.material_header("M"))
        key = session.asset_emitter.emit(f.AssetType.MATERIAL, "Materials/M.omat", f.pack_material(mat, f.default_shader_refs(False)))
        assert key == f.asset_key_for("/.cooked/Materials/M.omat")
        with pytest.raises(f.LayoutError):
            session.asset_emitter.emit(f.AssetType.MATERIAL, "Materials/bad name.omat", b"")
        return await session.finalize()

    report = asyncio.run(scenario())
    assert report.materials_written == 1
    validation = f.validate_container(CookedRootFiles(tmp_path / "root"))
    assert validation.ok, [str(v) for v in validation.violations]
    assert len(validation.buffer_rows) == 3 and validation.buffer_rows[0] == f.sentinel_row()
