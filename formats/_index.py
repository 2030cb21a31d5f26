"""``container.index.bin`` (spec §1): header, string table, asset entries, file records.

Both epochs are declared here, each structure once; Epoch B is written, both are
read. The index ``version`` is 1 in both, so a reader tells them apart by
``asset_entry_size`` (65 in B at offset 60, 76 in A at offset 44).

:func:`build_index` follows the engine writer's recipe (§1.7) exactly, so the
same content gives the same bytes. :func:`parse_index` applies the loader's
structural checks (§1.8 steps 1–8) and raises on the first failure;
:func:`index_problems` applies the per-entry rules (steps 9–11) and returns
every problem, so a validator can report them all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ._errors import FormatCorrupt, FormatNotRecognized, FormatTruncated, FormatUnsupported, LayoutError
from ._identity import NIL_KEY, is_uuid_v7
from ._layout import Layout
from ._paths import relative_path_problem, virtual_path_problem

INDEX_FILE_NAME = "container.index.bin"
INDEX_MAGIC = b"OXLCIDX\0"
INDEX_VERSION = 1
HEADER_SIZE = 256


class Epoch(str, enum.Enum):
    """Which engine layout a structure follows (spec §0)."""

    A = "A"  # January 2026
    B = "B"  # March 2026 onward: what we write


class FileKind(enum.IntEnum):
    """``FileRecord.kind`` (u16)."""

    UNKNOWN = 0
    BUFFERS_TABLE = 1
    BUFFERS_DATA = 2
    TEXTURES_TABLE = 3
    TEXTURES_DATA = 4
    SCRIPTS_TABLE = 5
    SCRIPTS_DATA = 6
    PHYSICS_TABLE = 7
    PHYSICS_DATA = 8
    SCRIPT_BINDINGS_TABLE = 9
    SCRIPT_BINDINGS_DATA = 10


DEFAULT_RELPATHS = {
    FileKind.BUFFERS_TABLE: "Resources/buffers.table",
    FileKind.BUFFERS_DATA: "Resources/buffers.data",
    FileKind.TEXTURES_TABLE: "Resources/textures.table",
    FileKind.TEXTURES_DATA: "Resources/textures.data",
    FileKind.SCRIPTS_TABLE: "Resources/scripts.table",
    FileKind.SCRIPTS_DATA: "Resources/scripts.data",
    FileKind.PHYSICS_TABLE: "Physics/Resources/physics.table",
    FileKind.PHYSICS_DATA: "Physics/Resources/physics.data",
    FileKind.SCRIPT_BINDINGS_TABLE: "Resources/script-bindings.table",
    FileKind.SCRIPT_BINDINGS_DATA: "Resources/script-bindings.data",
}

# Table/data kinds that must appear together; Epoch A knows only the first two.
FILE_KIND_PAIRS = (
    (FileKind.BUFFERS_TABLE, FileKind.BUFFERS_DATA),
    (FileKind.TEXTURES_TABLE, FileKind.TEXTURES_DATA),
    (FileKind.SCRIPTS_TABLE, FileKind.SCRIPTS_DATA),
    (FileKind.PHYSICS_TABLE, FileKind.PHYSICS_DATA),
    (FileKind.SCRIPT_BINDINGS_TABLE, FileKind.SCRIPT_BINDINGS_DATA),
)
_MAX_KIND = {Epoch.A: FileKind.TEXTURES_DATA, Epoch.B: FileKind.SCRIPT_BINDINGS_DATA}


class IndexFlags(enum.IntFlag):
    """``IndexHeader.flags`` (u32)."""

    NONE = 0
    HAS_VIRTUAL_PATHS = 0x1
    HAS_FILE_RECORDS = 0x2


_ALL_FLAGS = int(IndexFlags.HAS_VIRTUAL_PATHS | IndexFlags.HAS_FILE_RECORDS)

INDEX_HEADER = {
    Epoch.A: Layout(
        "IndexHeader",
        [
            ("magic", "bytes[8]", INDEX_MAGIC),
            ("version", "u16", INDEX_VERSION),
            ("content_version", "u16"),
            ("flags", "u32"),
            ("string_table_offset", "u64"),
            ("string_table_size", "u64"),
            ("asset_entries_offset", "u64"),
            ("asset_count", "u32"),
            ("asset_entry_size", "u32", 76),
            ("file_records_offset", "u64"),
            ("file_record_count", "u32"),
            ("file_record_size", "u32", 64),
            ("source_identity", "bytes[16]"),  # "guid" in Epoch A
            ("_reserved", "bytes[176]"),
        ],
        size=HEADER_SIZE,
    ),
    Epoch.B: Layout(
        "IndexHeader",
        [
            ("magic", "bytes[8]", INDEX_MAGIC),
            ("version", "u16", INDEX_VERSION),
            ("content_version", "u16"),
            ("flags", "u32"),
            ("source_identity", "bytes[16]"),
            ("string_table_offset", "u64"),
            ("string_table_size", "u64"),
            ("asset_entries_offset", "u64"),
            ("asset_count", "u32"),
            ("asset_entry_size", "u32", 65),
            ("file_records_offset", "u64"),
            ("file_record_count", "u32"),
            ("file_record_size", "u32", 14),
            ("_reserved", "bytes[176]"),
        ],
        size=HEADER_SIZE,
    ),
}

ASSET_ENTRY = {
    Epoch.A: Layout(
        "AssetEntry",
        [
            ("asset_key", "bytes[16]"),
            ("descriptor_relpath_offset", "u32"),
            ("virtual_path_offset", "u32"),
            ("asset_type", "u8"),
            ("_reserved0", "bytes[3]"),
            ("descriptor_size", "u64"),
            ("descriptor_sha256", "bytes[32]"),
            ("_reserved1", "bytes[8]"),
        ],
        size=76,
    ),
    Epoch.B: Layout(
        "AssetEntry",
        [
            ("asset_key", "bytes[16]"),
            ("asset_type", "u8"),
            ("descriptor_relpath_offset", "u32"),
            ("virtual_path_offset", "u32"),
            ("descriptor_size", "u64"),
            ("descriptor_sha256", "bytes[32]"),
        ],
        size=65,
    ),
}

FILE_RECORD = {
    Epoch.A: Layout(
        "FileRecord",
        [
            ("kind", "u16"),
            ("_reserved0", "bytes[2]"),
            ("relpath_offset", "u32"),
            ("size", "u64"),
            ("_reserved1", "bytes[48]"),
        ],
        size=64,
    ),
    Epoch.B: Layout("FileRecord", [("kind", "u16"), ("size", "u64"), ("relpath_offset", "u32")], size=14),
}


@dataclass(frozen=True)
class AssetRecord:
    """One asset of the index, with its strings resolved."""

    asset_key: bytes
    asset_type: int
    descriptor_relpath: str
    virtual_path: str
    descriptor_size: int
    descriptor_sha256: bytes = bytes(32)


@dataclass(frozen=True)
class FileRecordInfo:
    """One resource file of the index, with its relpath resolved."""

    kind: int
    relpath: str
    size: int


@dataclass(frozen=True)
class ContainerIndex:
    """The content of ``container.index.bin``, independent of the epoch."""

    source_identity: bytes
    assets: tuple[AssetRecord, ...] = ()
    files: tuple[FileRecordInfo, ...] = ()
    content_version: int = 0
    epoch: Epoch = Epoch.B
    flags: int = field(default=-1, compare=False)  # as read; -1 = derive on write

    def file(self, kind: FileKind) -> FileRecordInfo | None:
        return next((f for f in self.files if f.kind == kind), None)


class _StringTable:
    """The index string table: starts with one NUL, exact-match dedup (§1.7 step 4)."""

    def __init__(self) -> None:
        self._data = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        if text not in self._offsets:
            self._offsets[text] = len(self._data)
            self._data += text.encode("utf-8") + b"\0"
        return self._offsets[text]

    def bytes(self) -> bytes:
        return bytes(self._data)


def build_index(index: ContainerIndex, *, epoch: Epoch = Epoch.B) -> bytes:
    """The bytes of ``container.index.bin``, laid out as the engine writer does (§1.7).

    Raises:
        LayoutError: a path breaks its rule, two assets share a virtual path or key,
            a kind repeats, a table/data pair is incomplete, or the identity is invalid.
    """
    problems = index_problems(index, epoch=epoch)
    if problems:
        raise LayoutError(f"{INDEX_FILE_NAME}: " + "; ".join(p for _, p in problems))
    if epoch == Epoch.B and not is_uuid_v7(index.source_identity):
        raise LayoutError("source identity must be a UUIDv7 for Epoch B")
    if index.source_identity == NIL_KEY:
        raise LayoutError("source identity must not be all zero")
    assets = sorted(index.assets, key=lambda a: a.asset_key)
    files = sorted(index.files, key=lambda f: f.kind)
    strings = _StringTable()
    asset_offsets = [(strings.add(a.descriptor_relpath), strings.add(a.virtual_path)) for a in assets]
    file_offsets = [strings.add(f.relpath) for f in files]
    table = strings.bytes()
    entry, record, header = ASSET_ENTRY[epoch], FILE_RECORD[epoch], INDEX_HEADER[epoch]
    entries_offset = HEADER_SIZE + len(table)
    records_offset = entries_offset + len(assets) * entry.SIZE
    flags = IndexFlags.HAS_VIRTUAL_PATHS | (IndexFlags.HAS_FILE_RECORDS if files else 0)
    out = bytearray(
        header.pack(
            header.make(
                content_version=index.content_version,
                flags=int(flags),
                source_identity=index.source_identity,
                string_table_offset=HEADER_SIZE,
                string_table_size=len(table),
                asset_entries_offset=entries_offset,
                asset_count=len(assets),
                file_records_offset=records_offset,
                file_record_count=len(files),
            )
        )
    )
    out += table
    for asset, (rel_off, vp_off) in zip(assets, asset_offsets):
        out += entry.pack(
            entry.make(
                asset_key=asset.asset_key,
                asset_type=asset.asset_type,
                descriptor_relpath_offset=rel_off,
                virtual_path_offset=vp_off,
                descriptor_size=asset.descriptor_size,
                descriptor_sha256=asset.descriptor_sha256,
            )
        )
    for rec, rel_off in zip(files, file_offsets):
        out += record.pack(record.make(kind=rec.kind, size=rec.size, relpath_offset=rel_off))
    return bytes(out)


def detect_epoch(data: bytes, *, where: str = INDEX_FILE_NAME) -> Epoch:
    """Which layout an index uses, from its magic, version and entry sizes.

    Raises:
        FormatNotRecognized: too short for a header, or the magic is wrong.
        FormatUnsupported: version is not 1, or entry sizes match neither epoch.
    """
    if len(data) < len(INDEX_MAGIC) or data[: len(INDEX_MAGIC)] != INDEX_MAGIC:
        raise FormatNotRecognized(where, "not a loose cooked index (magic 'OXLCIDX\\0' missing)", offset=0, rule="index-magic")
    if len(data) < HEADER_SIZE:
        raise FormatTruncated(f"{where}:IndexHeader", offset=0, needed=HEADER_SIZE, available=len(data), rule="index-truncated")
    version = int.from_bytes(data[8:10], "little")
    if version != INDEX_VERSION:
        raise FormatUnsupported(where, f"index version {version}, expected {INDEX_VERSION}", offset=8, rule="index-version")
    size_b = int.from_bytes(data[60:64], "little")
    size_a = int.from_bytes(data[44:48], "little")
    if size_b == ASSET_ENTRY[Epoch.B].SIZE:
        return Epoch.B
    if size_a == ASSET_ENTRY[Epoch.A].SIZE:
        return Epoch.A
    raise FormatUnsupported(
        where,
        f"asset_entry_size is {size_b} (Epoch B, offset 60) / {size_a} (Epoch A, offset 44); expected 65 or 76",
        offset=60,
        rule="index-entry-size",
    )


def parse_index(data: bytes, *, where: str = INDEX_FILE_NAME) -> ContainerIndex:
    """Read an index of either epoch, applying the loader's structural checks (§1.8 steps 1–8).

    The per-entry rules (paths, duplicates, pairs) are left to :func:`index_problems`.

    Raises:
        FormatError: the first structural rule the bytes break.
    """
    epoch = detect_epoch(data, where=where)
    h = INDEX_HEADER[epoch].unpack(data, 0, where=f"{where}:IndexHeader")
    flags = h.flags
    if flags & ~_ALL_FLAGS:
        raise FormatCorrupt(where, f"unknown index flag bits 0x{flags & ~_ALL_FLAGS:x}", offset=12, rule="index-flags")
    if flags:
        if not flags & IndexFlags.HAS_VIRTUAL_PATHS:
            raise FormatCorrupt(where, "flags set without kHasVirtualPaths", offset=12, rule="index-flags")
        if not flags & IndexFlags.HAS_FILE_RECORDS and h.file_record_count:
            raise FormatCorrupt(where, "file records present but kHasFileRecords is clear", offset=12, rule="index-flags")
        if flags & IndexFlags.HAS_FILE_RECORDS and h.file_record_size != FILE_RECORD[epoch].SIZE:
            raise FormatCorrupt(where, f"file_record_size {h.file_record_size}, expected {FILE_RECORD[epoch].SIZE}", rule="index-record-size")
    if epoch == Epoch.B and not is_uuid_v7(h.source_identity):
        raise FormatCorrupt(where, "source identity is not a non-zero UUIDv7", offset=16, rule="index-source-identity")
    if epoch == Epoch.A and h.source_identity == NIL_KEY:
        raise FormatCorrupt(where, "source identity (guid) is all zero", offset=64, rule="index-source-identity")
    if h.file_record_count and h.file_record_size != FILE_RECORD[epoch].SIZE:
        raise FormatCorrupt(where, f"file_record_size {h.file_record_size}, expected {FILE_RECORD[epoch].SIZE}", rule="index-record-size")
    entry, record = ASSET_ENTRY[epoch], FILE_RECORD[epoch]
    st_off, st_size = h.string_table_offset, h.string_table_size
    if st_size == 0:
        raise FormatCorrupt(where, "string table is empty", rule="index-sections")
    if st_off < HEADER_SIZE:
        raise FormatCorrupt(where, f"string table offset {st_off} lies inside the header", rule="index-sections")
    entries_end = h.asset_entries_offset + h.asset_count * entry.SIZE
    if h.asset_entries_offset < st_off + st_size:
        raise FormatCorrupt(where, "asset entries overlap the string table", rule="index-sections")
    if h.file_records_offset < entries_end:
        raise FormatCorrupt(where, "file records overlap the asset entries", rule="index-sections")
    records_end = h.file_records_offset + h.file_record_count * record.SIZE
    for name, end in (("string table", st_off + st_size), ("asset entries", entries_end), ("file records", records_end)):
        if end > len(data):
            raise FormatTruncated(f"{where}:{name}", offset=len(data), needed=end, available=len(data), rule="index-truncated")
    table = data[st_off : st_off + st_size]
    if table[0] != 0:
        raise FormatCorrupt(where, "string table does not start with NUL", offset=st_off, rule="index-strings")

    def string(offset: int, what: str) -> str:
        if offset >= st_size:
            raise FormatCorrupt(where, f"{what}: string offset {offset} outside the {st_size}-byte table", rule="index-strings")
        end = table.find(b"\0", offset)
        if end < 0:
            raise FormatCorrupt(where, f"{what}: string at {offset} has no NUL inside the table", rule="index-strings")
        try:
            return table[offset:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatCorrupt(where, f"{what}: string at {offset} is not UTF-8", rule="index-strings") from exc

    assets = []
    for i, e in enumerate(entry.unpack_array(data, h.asset_count, h.asset_entries_offset, where=f"{where}:AssetEntry")):
        what = f"AssetEntry[{i}]"
        assets.append(
            AssetRecord(
                asset_key=e.asset_key,
                asset_type=e.asset_type,
                descriptor_relpath=string(e.descriptor_relpath_offset, what + ".descriptor_relpath"),
                virtual_path=string(e.virtual_path_offset, what + ".virtual_path"),
                descriptor_size=e.descriptor_size,
                descriptor_sha256=e.descriptor_sha256,
            )
        )
    files = []
    for i, r in enumerate(record.unpack_array(data, h.file_record_count, h.file_records_offset, where=f"{where}:FileRecord")):
        files.append(FileRecordInfo(kind=r.kind, relpath=string(r.relpath_offset, f"FileRecord[{i}].relpath"), size=r.size))
    return ContainerIndex(
        source_identity=h.source_identity,
        assets=tuple(assets),
        files=tuple(files),
        content_version=h.content_version,
        epoch=epoch,
        flags=flags,
    )


def index_problems(index: ContainerIndex, *, epoch: Epoch | None = None) -> list[tuple[str, str]]:
    """Every per-entry loader rule (§1.8 steps 9–11) the index breaks.

    Returns:
        ``(rule code, message)`` pairs; empty when the index is fine.
    """
    epoch = epoch or index.epoch
    problems: list[tuple[str, str]] = []
    keys: set[bytes] = set()
    vpaths: set[str] = set()
    for i, a in enumerate(index.assets):
        what = f"AssetEntry[{i}] ({a.virtual_path!r})"
        if (p := relative_path_problem(a.descriptor_relpath)) is not None:
            problems.append(("asset-relpath", f"{what}: descriptor path {a.descriptor_relpath!r} {p}"))
        if (p := virtual_path_problem(a.virtual_path, epoch=epoch.value)) is not None:
            problems.append(("asset-virtual-path", f"{what}: virtual path {p}"))
        if a.asset_key in keys:
            problems.append(("asset-duplicate-key", f"{what}: AssetKey appears twice"))
        if a.virtual_path in vpaths:
            problems.append(("asset-duplicate-virtual-path", f"{what}: virtual path appears twice"))
        keys.add(a.asset_key)
        vpaths.add(a.virtual_path)
    kinds: set[int] = set()
    for i, f in enumerate(index.files):
        what = f"FileRecord[{i}] ({f.relpath!r})"
        if f.kind == FileKind.UNKNOWN or f.kind > _MAX_KIND[epoch]:
            problems.append(("file-kind", f"{what}: file kind {f.kind} is not known to Epoch {epoch.value}"))
        if (p := relative_path_problem(f.relpath)) is not None:
            problems.append(("file-relpath", f"{what}: path {p}"))
        if f.kind in kinds:
            problems.append(("file-duplicate-kind", f"{what}: file kind {f.kind} appears twice"))
        kinds.add(f.kind)
    for table, data in FILE_KIND_PAIRS:
        if (table in kinds) != (data in kinds):
            problems.append(("file-pair", f"{table.name} and {data.name} must be recorded together"))
    return problems
