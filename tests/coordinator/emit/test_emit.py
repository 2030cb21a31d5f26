"""Unit tests for the emit room: ``LooseCookedWriter``, ``ImportSession`` and the three emitters.

Real files in a temporary root, a real (tiny) cooked texture; every root is
checked with the same validator ``oxcook inspect`` uses.
"""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import CookedRootFiles, ImportSession, LooseCookedLayout, LooseCookedWriter, RootUnusableError, SessionClosedError
from oxcook.worker.cook import cook_texture, preset_desc

LAYOUT = LooseCookedLayout()


def _png(seed: int, size: int = 16) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _cooked(seed: int, size: int = 16):
    return cook_texture(_png(seed, size), preset_desc("data", f"t{seed}.png"), f"t{seed}.png")


def _valid(root) -> f.ValidationReport:
    report = f.validate_container(CookedRootFiles(root))
    assert report.ok, report.violations
    return report


# --- LooseCookedWriter ----------------------------------------------------------------------------


def test_writer_commits_an_index_and_keeps_the_source_key(tmp_path):
    writer = LooseCookedWriter(tmp_path, LAYOUT)
    writer.open()
    assert f.is_uuid_v7(writer.source_key)
    writer.write_whole("Materials/a.bin", b"abc")
    index = writer.commit([], [])
    assert (tmp_path / f.INDEX_FILE_NAME).is_file() and index.source_identity == writer.source_key
    again = LooseCookedWriter(tmp_path, LAYOUT)
    again.open()
    assert again.source_key == writer.source_key  # a re-import keeps the root's identity
    again.abort()


def test_writer_abort_undoes_what_it_wrote(tmp_path):
    first = LooseCookedWriter(tmp_path, LAYOUT)
    first.open()
    first.write_whole("Materials/a.bin", b"old")
    first.commit([], [])
    before = (tmp_path / f.INDEX_FILE_NAME).read_bytes()
    second = LooseCookedWriter(tmp_path, LAYOUT)
    second.open()
    second.write_whole("Materials/a.bin", b"new")
    second.write_whole("Materials/b.bin", b"new")
    second.abort()
    assert (tmp_path / "Materials/a.bin").read_bytes() == b"old"
    assert not (tmp_path / "Materials/b.bin").exists()
    assert (tmp_path / f.INDEX_FILE_NAME).read_bytes() == before


def test_writer_leaves_files_that_already_hold_the_bytes_alone(tmp_path):
    """A re-cook of unchanged sources neither backs up nor rewrites its descriptors and sidecars (no work done twice)."""
    first = LooseCookedWriter(tmp_path, LAYOUT)
    first.open()
    first.write_all({"Materials/a.bin": b"same", "Materials/b.bin": b"old"})
    first.commit([], [])
    stamp = (tmp_path / "Materials/a.bin").stat()
    second = LooseCookedWriter(tmp_path, LAYOUT)
    second.open()
    second.write_all({"Materials/a.bin": b"same", "Materials/b.bin": b"new"})
    journal = (tmp_path / ".oxcook/journal/journal.jsonl").read_text()
    assert "Materials/b.bin" in journal and "Materials/a.bin" not in journal
    second.abort()
    after = (tmp_path / "Materials/a.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert (tmp_path / "Materials/b.bin").read_bytes() == b"old"


def test_writer_refuses_use_in_the_wrong_state(tmp_path):
    writer = LooseCookedWriter(tmp_path, LAYOUT)
    with pytest.raises(RuntimeError, match="closed"):
        writer.write_whole("x", b"")
    writer.open()
    writer.commit([], [])
    with pytest.raises(RuntimeError, match="committed"):
        writer.commit([], [])


def test_writer_refuses_an_unreadable_index(tmp_path):
    (tmp_path / f.INDEX_FILE_NAME).write_bytes(b"garbage" * 10)
    writer = LooseCookedWriter(tmp_path, LAYOUT)
    with pytest.raises(RootUnusableError):
        writer.open()
    # the lock was released: another writer can take the root
    (tmp_path / f.INDEX_FILE_NAME).unlink()
    other = LooseCookedWriter(tmp_path, LAYOUT)
    other.open(lambda: False)
    other.abort()


# --- ImportSession and the emitters ---------------------------------------------------------------


async def _session(root, body):
    session = ImportSession(root, LAYOUT, lock_timeout=5)
    await session.open()
    result = body(session)
    report = await session.finalize()
    return session, report, result


def test_texture_output_indices_dedup_alignment_and_sidecars(tmp_path):
    a, b = _cooked(1), _cooked(2, 32)

    def body(session):
        emitter = session.texture_output
        first = emitter.emit(a, "a.png")
        second = emitter.emit(b, "b.png")
        again = emitter.emit(a, "a_copy.png")
        return first, second, again, [emitter.row(i) for i in range(len(emitter))]

    _, report, (first, second, again, rows) = asyncio.run(_session(tmp_path, body))
    assert first == (1, True) and second == (2, True)  # index 0 is the fallback
    assert again == (1, False)  # identical content is stored once
    assert all(row.data_offset % f.TEXTURE_ALIGNMENT == 0 for row in rows)
    assert report.success
    validation = _valid(tmp_path)
    assert len(validation.texture_rows) == 3
    assert (tmp_path / f.otex_relpath("a_copy.png")).is_file()


def test_reimport_appends_and_keeps_old_rows(tmp_path):
    asyncio.run(_session(tmp_path, lambda s: s.texture_output.emit(_cooked(1), "a.png")))
    size = (tmp_path / LAYOUT.textures_data).stat().st_size
    _, _, (index, is_new) = asyncio.run(_session(tmp_path, lambda s: s.texture_output.emit(_cooked(3), "a.png")))
    assert (index, is_new) == (2, True)  # new data, new index; the old row stays
    assert (tmp_path / LAYOUT.textures_data).stat().st_size > size
    assert len(_valid(tmp_path).texture_rows) == 3


def test_buffer_emitter_sentinel_and_alignment(tmp_path):
    def body(session):
        emitter = session.buffer_emitter
        vb = emitter.emit(bytes(range(72)) * 3, usage_flags=int(f.BufferUsage.VERTEX | f.BufferUsage.STATIC), element_stride=f.VERTEX_STRIDE, alignment=f.VERTEX_ALIGNMENT)
        ib = emitter.emit(bytes(12), usage_flags=int(f.BufferUsage.INDEX | f.BufferUsage.STATIC), element_format=int(f.Format.R32_UINT), alignment=f.INDEX_ALIGNMENT)
        return vb, ib, emitter.row(vb), emitter.row(ib)

    _, _, (vb, ib, vrow, irow) = asyncio.run(_session(tmp_path, body))
    assert (vb, ib) == (1, 2)  # row 0 is the all-zero sentinel
    assert vrow.data_offset % f.VERTEX_ALIGNMENT == 0 and irow.data_offset % f.INDEX_ALIGNMENT == 0
    assert len(_valid(tmp_path).buffer_rows) == 3


def test_asset_emitter_seals_and_refuses_bad_paths(tmp_path):
    def body(session):
        record = f.MATERIAL_ASSET_DESC[f.Epoch.B].make(header=f.material_header("M"))
        key = session.asset_emitter.emit(f.AssetType.MATERIAL, "Materials/M.omat", f.pack_material(record, f.default_shader_refs(False)))
        with pytest.raises(f.LayoutError):
            session.asset_emitter.emit(f.AssetType.MATERIAL, "../escape.omat", b"")
        return key

    _, report, key = asyncio.run(_session(tmp_path, body))
    assert key == f.asset_key_for(LAYOUT.virtual_path("Materials/M.omat"))
    assert report.materials_written == 1 and report.emitted == [LAYOUT.virtual_path("Materials/M.omat")]
    _valid(tmp_path)


def test_session_emitters_are_lazy_and_closed_after_finalize(tmp_path):
    session, report, _ = asyncio.run(_session(tmp_path, lambda s: None))
    assert report.success and not (tmp_path / LAYOUT.textures_table).exists()  # nothing emitted, no table
    with pytest.raises(SessionClosedError, match="finalized"):
        session.texture_output


def test_session_abort_leaves_the_previous_container(tmp_path):
    asyncio.run(_session(tmp_path, lambda s: s.texture_output.emit(_cooked(1), "a.png")))
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".oxcook" not in p.parts}

    async def aborted():
        session = ImportSession(tmp_path, LAYOUT, lock_timeout=5)
        await session.open()
        session.texture_output.emit(_cooked(5, 64), "b.png")
        return await session.abort("test")

    report = asyncio.run(aborted())
    assert report.cancelled and not report.success
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".oxcook" not in p.parts}
    assert after == before
