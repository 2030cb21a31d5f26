"""Compaction: a cooked root rewritten with only its live content (design §12, "the PAK tool compacts later").

Re-imports append (new data, new indices; old bytes stay), so a root a CI job
re-cooks on every commit grows without bound. Compaction keeps what is
reachable — texture rows named by a material slot or an ``.otex`` sidecar, the
fallback row 0, buffer rows named by a geometry, the sentinel row 0 — in their
old order, packs their bytes anew (aligned as a cook aligns them), remaps the
indices inside every material, geometry and sidecar, re-seals those
descriptors and writes the index last. The source key and every asset key stay.

Crash safety is a cook's: every file about to be replaced is journaled first
(the big data files are *moved* into the journal, not copied; the move is
recorded before it is made; the sidecars and descriptors are backed up in one
batch and rewritten in place, all made durable together — a few syncs in all,
not several per file), and the index rename decides old or new — ``oxcook repair`` (or the next cook) restores the
old root from an interrupted compaction. The plan is pure and deterministic, so
compacting twice changes nothing the second time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from oxcook.formats import (
    BUFFER_RESOURCE_DESC,
    DEFAULT_BUFFER_ALIGNMENT,
    INDEX_ALIGNMENT,
    INDEX_FILE_NAME,
    MATERIAL_ASSET_DESC,
    TEXTURE_ALIGNMENT,
    TEXTURE_FIELDS,
    TEXTURE_RESOURCE_DESC,
    AssetType,
    ContainerIndex,
    Epoch,
    FileKind,
    FileRecordInfo,
    FormatError,
    align_up,
    build_index,
    pack_geometry,
    pack_otex,
    parse_index,
    seal_descriptor,
    unpack_geometry,
    unpack_material,
    unpack_otex,
)
from oxcook.worker import failpoint

from .._errors import CommitRefusedError, RootUnusableError
from ..cache import pack_record
from ._cooked_root import confined
from ._journal import CookJournal, RootLock, recover_root, temporary, write_file_durably, write_files_durably
from ._record_file import load_record, write_record
from ._writer import refuse_invalid

_TEX_ROW, _BUF_ROW = TEXTURE_RESOURCE_DESC[Epoch.B], BUFFER_RESOURCE_DESC[Epoch.B]
OTEX_GLOB = "Resources/Textures/*.otex"


@dataclass(frozen=True)
class CompactionPlan:
    """Old index → new index for every live row, and what the rewrite frees (pure data)."""

    textures: dict[int, int]
    buffers: dict[int, int]
    texture_bytes: tuple[int, int]  # data size before, after
    buffer_bytes: tuple[int, int]

    @property
    def freed(self) -> int:
        return self.texture_bytes[0] - self.texture_bytes[1] + self.buffer_bytes[0] - self.buffer_bytes[1]

    @property
    def stale_fraction(self) -> float:
        """The share of the data files' bytes that compaction would free."""
        before = self.texture_bytes[0] + self.buffer_bytes[0]
        return self.freed / before if before else 0.0

    @property
    def changes_anything(self) -> bool:
        identity = all(k == v for k, v in self.textures.items()) and all(k == v for k, v in self.buffers.items())
        return self.freed > 0 or not identity


def buffer_alignment(row) -> int:
    """How a cook aligns a buffer: vertex buffers at their stride, formatted (index) buffers at 4, others at 16."""
    if row.element_stride:
        return row.element_stride
    return INDEX_ALIGNMENT if row.element_format else DEFAULT_BUFFER_ALIGNMENT


def _layout(rows: list, keep: list[int], alignment) -> tuple[list, int]:
    """The kept rows with new data offsets, packed in order from 0; and the new data size."""
    out, end = [], 0
    for old in keep:
        row = rows[old]
        if row.size_bytes == 0:
            out.append(row._replace(data_offset=0))
            continue
        offset = align_up(end, alignment(row))
        out.append(row._replace(data_offset=offset))
        end = offset + row.size_bytes
    return out, end


def plan_compaction(texture_rows: list, buffer_rows: list, live_textures: set[int], live_buffers: set[int], sizes: tuple[int, int]) -> CompactionPlan:
    """Which rows survive and where they go (pure)."""
    keep_t = sorted({0} | {i for i in live_textures if 0 <= i < len(texture_rows)}) if texture_rows else []
    keep_b = sorted({0} | {i for i in live_buffers if 0 <= i < len(buffer_rows)}) if buffer_rows else []
    _, tex_end = _layout(texture_rows, keep_t, lambda row: TEXTURE_ALIGNMENT)
    _, buf_end = _layout(buffer_rows, keep_b, buffer_alignment)
    return CompactionPlan({old: new for new, old in enumerate(keep_t)}, {old: new for new, old in enumerate(keep_b)}, (sizes[0], tex_end), (sizes[1], buf_end))


@dataclass
class CompactionResult:
    plan: CompactionPlan
    committed: bool
    actions: list[str] = field(default_factory=list)

    def describe(self) -> str:
        p = self.plan
        verb = "freed" if self.committed else "would free"
        return (
            f"{verb} {p.freed} bytes: textures {p.texture_bytes[0]} → {p.texture_bytes[1]} bytes "
            f"({len(p.textures)} live rows), buffers {p.buffer_bytes[0]} → {p.buffer_bytes[1]} bytes ({len(p.buffers)} live rows)"
        )


class _Root:
    """Read access to the committed container of a root (after repair)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self.index_bytes = (root / INDEX_FILE_NAME).read_bytes()
            self.index = parse_index(self.index_bytes)
        except (OSError, FormatError) as exc:
            raise RootUnusableError(f"{root}: not a cooked root oxcook can compact: {exc}") from exc
        if self.index.epoch != Epoch.B:
            raise RootUnusableError(f"{root}: an Epoch-A container; oxcook compacts the Epoch-B roots it writes")

    def path(self, relpath: str) -> Path:
        return confined(self.root, relpath)

    def rows(self, kind: FileKind, layout) -> list:
        record = self.index.file(kind)
        if record is None:
            return []
        data = self.path(record.relpath).read_bytes()[: record.size]
        return layout.unpack_array(data, len(data) // layout.SIZE, where=record.relpath)

    def size(self, kind: FileKind) -> int:
        record = self.index.file(kind)
        return record.size if record else 0


def _live(root: _Root) -> tuple[set[int], set[int], dict[str, bytes], dict[str, int]]:
    """Live texture and buffer indices; the material/geometry descriptors and sidecars that name them."""
    textures, buffers = set(), set()
    descriptors: dict[str, bytes] = {}
    for asset in root.index.assets:
        if asset.asset_type not in (AssetType.MATERIAL, AssetType.GEOMETRY):
            continue
        data = root.path(asset.descriptor_relpath).read_bytes()
        descriptors[asset.descriptor_relpath] = data
        if asset.asset_type == AssetType.MATERIAL:
            desc, _ = unpack_material(data, where=asset.descriptor_relpath)
            textures |= {getattr(desc, f) for f in TEXTURE_FIELDS}
        else:
            for mesh in unpack_geometry(data, where=asset.descriptor_relpath).lods:
                buffers |= {mesh.vertex_buffer, mesh.index_buffer}
    sidecars = {}
    for path in sorted(root.root.glob(OTEX_GLOB)):
        relpath = path.relative_to(root.root).as_posix()
        sidecars[relpath] = unpack_otex(path.read_bytes(), where=relpath).resource_index
    textures |= set(sidecars.values())
    return textures, buffers, descriptors, sidecars


def _remapped(relpath: str, data: bytes, asset_type: int, plan: CompactionPlan) -> bytes:
    if asset_type == AssetType.MATERIAL:
        layout = MATERIAL_ASSET_DESC[Epoch.B]
        desc, _ = unpack_material(data, where=relpath)
        fields = {f: plan.textures.get(getattr(desc, f), 0) for f in TEXTURE_FIELDS}
        return seal_descriptor(layout.pack(desc._replace(**fields)) + data[layout.SIZE :])[0]
    geometry = unpack_geometry(data, where=relpath)
    lods = tuple(dataclasses.replace(m, vertex_buffer=plan.buffers.get(m.vertex_buffer, 0), index_buffer=plan.buffers.get(m.index_buffer, 0)) for m in geometry.lods)
    return seal_descriptor(pack_geometry(dataclasses.replace(geometry, lods=lods)))[0]


def _copy_live(old: Path, new: Path, old_rows: list, new_rows: list) -> None:
    """Stream each live payload from its old offset to its new one (gaps are zeros), then fsync and rename into place."""
    temp = temporary(new)
    with open(old, "rb") as src, open(temp, "wb") as dst:
        for before, after in zip(old_rows, new_rows, strict=True):
            if not after.size_bytes:
                continue
            dst.write(bytes(after.data_offset - dst.tell()))
            src.seek(before.data_offset)
            left = before.size_bytes
            while left:
                chunk = src.read(min(left, 1 << 22))
                if not chunk:
                    raise RootUnusableError(f"{old}: shorter than its rows say")
                dst.write(chunk)
                left -= len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(temp, new)


def _plan(current: _Root) -> tuple[CompactionPlan, list, list, dict[str, bytes], dict[str, int]]:
    """The plan for ``current``, with the rows, descriptors and sidecars it was made from."""
    tex_rows, buf_rows = current.rows(FileKind.TEXTURES_TABLE, _TEX_ROW), current.rows(FileKind.BUFFERS_TABLE, _BUF_ROW)
    live_t, live_b, descriptors, sidecars = _live(current)
    plan = plan_compaction(tex_rows, buf_rows, live_t, live_b, (current.size(FileKind.TEXTURES_DATA), current.size(FileKind.BUFFERS_DATA)))
    return plan, tex_rows, buf_rows, descriptors, sidecars


def compact_root(root: Path, *, dry_run: bool = False, lock_timeout: float = 600.0, min_stale_fraction: float = 0.0) -> CompactionResult:
    """Rewrite ``root`` with only its live content (see the module docstring).

    Args:
        dry_run: only plan, and say what would be freed.
        min_stale_fraction: rewrite only when more than this share of the data bytes is stale.

    Raises:
        RootLockedError: another cook holds the root.
        RootUnusableError: not an Epoch-B root oxcook can read.
    """
    lock = RootLock(root)
    lock.acquire(lock_timeout)
    try:
        repaired = recover_root(root)
        current = _Root(root)
        plan, tex_rows, buf_rows, descriptors, sidecars = _plan(current)
        result = CompactionResult(plan, committed=False, actions=list(repaired.actions))
        if dry_run or not plan.changes_anything or plan.stale_fraction <= min_stale_fraction and min_stale_fraction > 0:
            return result
        _rewrite(current, plan, tex_rows, buf_rows, descriptors, sidecars)
        result.committed = True
        return result
    finally:
        lock.release()


def _rewrite(current: _Root, plan: CompactionPlan, tex_rows: list, buf_rows: list, descriptors: dict[str, bytes], sidecars: dict[str, int]) -> None:
    root, index = current.root, current.index
    journal = CookJournal.begin(root)
    files: list[FileRecordInfo] = []
    small: dict[str, bytes] = {}  # relpath -> new bytes of every sidecar and descriptor
    for table_kind, data_kind, rows, mapping, layout, alignment in (
        (FileKind.TEXTURES_TABLE, FileKind.TEXTURES_DATA, tex_rows, plan.textures, _TEX_ROW, lambda row: TEXTURE_ALIGNMENT),
        (FileKind.BUFFERS_TABLE, FileKind.BUFFERS_DATA, buf_rows, plan.buffers, _BUF_ROW, buffer_alignment),
    ):
        table_rec, data_rec = index.file(table_kind), index.file(data_kind)
        if table_rec is None or data_rec is None:
            continue
        new_rows, end = _layout(rows, sorted(mapping), alignment)
        old_data = journal.move_aside(data_rec.relpath)  # the old bytes stay, in the journal, until the index is committed
        _copy_live(old_data, current.path(data_rec.relpath), [rows[old] for old in sorted(mapping)], new_rows)
        journal.will_write(table_rec.relpath)
        write_file_durably(current.path(table_rec.relpath), layout.pack_array(new_rows))
        files += [FileRecordInfo(table_kind, table_rec.relpath, len(new_rows) * layout.SIZE), FileRecordInfo(data_kind, data_rec.relpath, end)]
        failpoint("compact-data-written")
        if table_kind == FileKind.TEXTURES_TABLE:
            for relpath, old in sidecars.items():
                new = plan.textures.get(old, 0)
                small[_confined(current, relpath)] = pack_otex(new, new_rows[new])
    assets = []
    for asset in index.assets:
        if asset.descriptor_relpath in descriptors:
            data = _remapped(asset.descriptor_relpath, descriptors[asset.descriptor_relpath], asset.asset_type, plan)
            small[_confined(current, asset.descriptor_relpath)] = data
            asset = dataclasses.replace(asset, descriptor_size=len(data), descriptor_sha256=hashlib.sha256(data).digest())
        assets.append(asset)
    # sidecars and descriptors: backed up in one journal batch, then written in place and made durable together
    journal.will_write_all(list(small))
    write_files_durably(root, small)
    failpoint("compact-descriptors-written")
    kinds = {f.kind for f in files}
    files += [f for f in index.files if f.kind not in kinds]
    new_index = ContainerIndex(index.source_identity, tuple(assets), tuple(files), index.content_version)
    index_bytes = build_index(new_index)
    try:  # every row is new: all of them are checked, as a cook checks the rows it adds
        refuse_invalid(root, index_bytes)
    except CommitRefusedError:
        recover_root(root)  # the old container, as it was
        raise
    write_file_durably(root / INDEX_FILE_NAME, index_bytes, before_rename=lambda: failpoint("before-index-rename"))
    _carry_record(current, index_bytes, plan)
    journal.commit()


def _confined(current: _Root, relpath: str) -> str:
    """``relpath`` as a path relative to the root, once the root has confined it (the root may be given relative, or through a link)."""
    return os.path.relpath(current.path(relpath), os.path.realpath(current.root))


def _carry_record(current: _Root, index_bytes: bytes, plan: CompactionPlan) -> None:
    """The build record, carried over to the compacted index (its texture rows renumbered), so the next cook still
    finds its unchanged inputs. Written after the index, as a cook writes it: a kill in between leaves the old
    record, which names the old index and is ignored — a full check, never a wrong skip."""
    loaded = load_record(current.root, current.index_bytes, current.index.source_identity)
    if loaded.record is None:
        return
    record = loaded.record
    textures = {k: dataclasses.replace(e, index=plan.textures[e.index]) for k, e in record.textures.items() if e.index in plan.textures}
    carried = dataclasses.replace(record, index_sha256=hashlib.sha256(index_bytes).hexdigest(), textures=textures)
    write_record(current.root, pack_record(carried))


def stale_bytes(root: Path) -> dict[str, int]:
    """Bytes of each data file that no live row uses (what compaction would free); read-only, no lock."""
    current = _Root(root)
    plan = _plan(current)[0]
    names = {kind: Path(current.index.file(kind).relpath).name for kind in (FileKind.TEXTURES_DATA, FileKind.BUFFERS_DATA) if current.index.file(kind)}
    return {
        names.get(FileKind.TEXTURES_DATA, "textures.data"): plan.texture_bytes[0] - plan.texture_bytes[1],
        names.get(FileKind.BUFFERS_DATA, "buffers.data"): plan.buffer_bytes[0] - plan.buffer_bytes[1],
    }
