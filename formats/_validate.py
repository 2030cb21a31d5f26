"""Validation of a whole loose cooked container against the engine's loader rules.

Pure code over a :class:`ContainerFiles` accessor (the coordinator supplies one
backed by the filesystem), so every rule is testable on bytes in memory. Rules
checked, each reported with a stable rule code, the file, and the row or offset:

* index: spec §1.8 (header, flags, identity, sizes, sections, strings, paths,
  duplicates, table/data pairs);
* mount: §1.9 (descriptors and recorded files exist with exact sizes, the
  descriptor SHA-256, table sizes a multiple of the row size);
* textures: §2.6 and the renderer's subresource rules, row 0 is the fallback,
  256-aligned rows inside ``textures.data``, content hashes (§2.7);
* buffers: §3 (sentinel row 0, rows inside ``buffers.data``, row invariants, hashes);
* descriptors: each parses as its asset type, header hash (§4.1), material
  texture indices, geometry buffer indices and material keys, scene geometry keys.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from ._asset_header import AssetType, descriptor_hash_problem, read_header
from ._buffer import BUFFER_RESOURCE_DESC, buffer_row_problem
from ._errors import FormatError
from ._geometry import unpack_geometry
from ._identity import asset_key_for, key_text
from ._index import INDEX_FILE_NAME, ContainerIndex, Epoch, FileKind, index_problems, parse_index
from ._material import TEXTURE_FIELDS, unpack_material
from ._scene import unpack_scene
from ._texture import FORMAT_INFO, TEXTURE_ALIGNMENT, TEXTURE_RESOURCE_DESC, Format, TextureType
from ._texture_payload import TEXTURE_PAYLOAD_HEADER, content_hash, fallback_row_hashes, fnv1a64, parse_payload, payload_hash_matches, row_bytes


class ContainerFiles(Protocol):
    """Read access to a cooked root by container-relative path."""

    def size(self, relpath: str) -> int | None:
        """The file's size, or ``None`` when it does not exist."""

    def read(self, relpath: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of the file from ``offset`` (all remaining when ``length`` is None)."""


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, in which file, where, and what was found."""

    rule: str
    file: str
    where: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        at = f" [{self.where}]" if self.where else ""
        return f"{self.severity.value}: {self.file}{at}: {self.message} ({self.rule})"


@dataclass
class ValidationReport:
    """What the validator read and every rule the container breaks."""

    index: ContainerIndex | None = None
    texture_rows: list = field(default_factory=list)  # the rows read: all, or those from ``since`` on
    buffer_rows: list = field(default_factory=list)
    texture_count: int = 0  # rows in each table, read or not
    buffer_count: int = 0
    violations: list[Violation] = field(default_factory=list)
    recognized: bool = True  # False: there is no loose cooked index at all

    @property
    def ok(self) -> bool:
        return self.recognized and not any(v.severity == Severity.ERROR for v in self.violations)

    def add(self, rule: str, file: str, where: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.violations.append(Violation(rule, file, where, message, severity))


def validate_container(
    files: ContainerFiles, *, verify_hashes: bool = True, verify_descriptors: bool | None = None, since: dict[FileKind, int] | None = None
) -> ValidationReport:
    """Check every loader, mount and renderer rule oxcook knows for a cooked root.

    Args:
        files: access to the root's files.
        verify_hashes: also hash every payload and buffer (reads all data).
        verify_descriptors: hash the descriptors (small files); default: as ``verify_hashes``.
        since: per table, how many of its first rows an earlier check passed (a writer that only appends to
            a table it checked when it opened it): those rows are neither read nor checked again; a table
            shorter than that was not only appended to, and every row of it is checked. The index, the
            files' sizes and every descriptor (with its references, against every row) are checked whatever it says.
    """
    report = ValidationReport()
    size = files.size(INDEX_FILE_NAME)
    if size is None:
        report.recognized = False
        report.add("index-missing", INDEX_FILE_NAME, "", "no container.index.bin in this folder")
        return report
    try:
        index = parse_index(files.read(INDEX_FILE_NAME))
    except FormatError as exc:
        report.recognized = exc.rule != "index-magic"
        report.add(exc.rule, INDEX_FILE_NAME, f"offset {exc.offset}" if exc.offset is not None else "", exc.problem)
        return report
    report.index = index
    for rule, message in index_problems(index):
        report.add(rule, INDEX_FILE_NAME, "", message)
    for asset in index.assets:
        if asset.asset_key != asset_key_for(asset.virtual_path, epoch=index.epoch.value):
            report.add(
                "asset-key-derivation",
                INDEX_FILE_NAME,
                f"AssetEntry {key_text(asset.asset_key)}",
                f"key is not derived from the virtual path {asset.virtual_path!r}",
                Severity.WARNING,
            )
    _check_files(files, index, report)
    since = since or {}
    _check_textures(files, index, report, verify_hashes, since.get(FileKind.TEXTURES_TABLE, 0))
    _check_buffers(files, index, report, verify_hashes, since.get(FileKind.BUFFERS_TABLE, 0))
    _check_descriptors(files, index, report, verify_hashes if verify_descriptors is None else verify_descriptors)
    return report


def _check_files(files: ContainerFiles, index: ContainerIndex, report: ValidationReport) -> None:
    for rec in index.files:
        actual = files.size(rec.relpath)
        if actual is None:
            report.add("file-missing", rec.relpath, f"FileRecord kind {rec.kind}", "recorded file does not exist")
        elif actual != rec.size:
            report.add("file-size", rec.relpath, f"FileRecord kind {rec.kind}", f"file is {actual} bytes, the index records {rec.size}")


def _read_table(files, index, report, kind: FileKind, layout, since: int) -> tuple[int, int, list]:
    """The table's row count, the first row read, and the rows from it on (``since``, if the table holds that many)."""
    rec = index.file(kind)
    size = files.size(rec.relpath) if rec is not None else None
    if size is None:
        return 0, 0, []
    if size % layout.SIZE:
        report.add("table-row-size", rec.relpath, "", f"{size} bytes is not a multiple of the {layout.SIZE}-byte row")
        return 0, 0, []
    count = size // layout.SIZE
    start = since if 0 < since <= count else 0
    data = files.read(rec.relpath, start * layout.SIZE)
    if len(data) != (count - start) * layout.SIZE:  # changed while read
        report.add("table-row-size", rec.relpath, "", f"{start * layout.SIZE + len(data)} bytes read of {size}")
        return 0, 0, []
    return count, start, layout.unpack_array(data, count - start, where=rec.relpath)


def _check_textures(files: ContainerFiles, index: ContainerIndex, report: ValidationReport, verify: bool, since: int) -> None:
    table, data_rec = index.file(FileKind.TEXTURES_TABLE), index.file(FileKind.TEXTURES_DATA)
    report.texture_count, start, rows = _read_table(files, index, report, FileKind.TEXTURES_TABLE, TEXTURE_RESOURCE_DESC[index.epoch], since)
    report.texture_rows = rows
    if not rows or data_rec is None:
        return
    data_size = files.size(data_rec.relpath) or 0
    name = table.relpath
    fallback_hashes = fallback_row_hashes(epoch=index.epoch)
    row0 = rows[0]
    if start == 0 and not (row0.width == row0.height == 1 and row0.format == Format.RGBA8_UNORM and row0.mip_levels == 1):
        report.add("texture-fallback", name, "row 0", "row 0 must be the 1x1 RGBA8 fallback texture")
    for i, row in enumerate(rows, start):
        where = f"row {i}"
        if row.alignment != TEXTURE_ALIGNMENT:
            report.add("texture-alignment", name, where, f"alignment is {row.alignment}, the runtime requires 256")
        if row.data_offset % TEXTURE_ALIGNMENT:
            report.add("texture-placement", name, where, f"data_offset {row.data_offset} is not 256-aligned")
        if row.data_offset + row.size_bytes > data_size:
            report.add(
                "texture-range", name, where,
                f"payload [{row.data_offset}, {row.data_offset + row.size_bytes}) lies outside the {data_size}-byte {data_rec.relpath}",
            )
            continue
        for problem in _texture_row_problems(row):
            report.add("texture-row", name, where, problem)
        try:
            payload = _read_payload(files, data_rec.relpath, row, whole=verify)
            parsed = parse_payload(payload, where=f"{data_rec.relpath}@{row.data_offset}", available=row.size_bytes)
        except FormatError as exc:
            report.add("texture-payload", data_rec.relpath, f"row {i} @ {row.data_offset}", exc.problem)
            continue
        for problem in _payload_problems(row, parsed):
            report.add("texture-layout", data_rec.relpath, f"row {i} @ {row.data_offset}", problem)
        if verify:
            header_hash = parsed.header.content_hash
            if not payload_hash_matches(payload, header_hash, epoch=index.epoch):
                report.add("texture-content-hash", data_rec.relpath, f"row {i} @ {row.data_offset}", "payload header content_hash does not match the payload")
            allowed = fallback_hashes if i == 0 else {header_hash}
            if row.content_hash not in allowed and row.content_hash != fnv1a64(payload):
                report.add("texture-content-hash", name, where, f"row content_hash {row.content_hash:#018x} differs from the payload's {header_hash:#018x}")


_PAYLOAD_HEAD = 4096  # header and layout table of any ordinary texture


def texture_payload_problems(row, payload: bytes, *, verify_hash: bool = True) -> list[str]:
    """What is wrong with one texture row and the payload it describes, as a loader would see them
    (the checks ``oxcook inspect`` makes, for one texture before it is written). Without
    ``verify_hash`` (the caller built the payload and hashed it itself) its hash is not computed again."""
    problems = _texture_row_problems(row)
    if row.size_bytes != len(payload):
        problems.append(f"row size_bytes {row.size_bytes} != payload length {len(payload)}")
    try:
        parsed = parse_payload(payload, where="payload")
    except FormatError as exc:
        return problems + [exc.problem]
    problems += _payload_problems(row, parsed)
    if verify_hash and not payload_hash_matches(payload, parsed.header.content_hash):
        problems.append("payload header content_hash does not match the payload")
    if row.content_hash != parsed.header.content_hash:
        problems.append(f"row content_hash {row.content_hash:#018x} differs from the payload's {parsed.header.content_hash:#018x}")
    return problems


def _read_payload(files: ContainerFiles, relpath: str, row, *, whole: bool) -> bytes:
    """A row's payload; without ``whole``, only its header and layout table (a check that does not hash reads no pixels)."""
    if whole:
        return files.read(relpath, row.data_offset, row.size_bytes)
    head = files.read(relpath, row.data_offset, min(row.size_bytes, _PAYLOAD_HEAD))
    if len(head) >= TEXTURE_PAYLOAD_HEADER.SIZE:
        data_offset = TEXTURE_PAYLOAD_HEADER.unpack(head, 0, where=relpath).data_offset_bytes
        if len(head) < data_offset <= row.size_bytes:
            head = files.read(relpath, row.data_offset, data_offset)
    return head


def _texture_row_problems(row) -> list[str]:
    problems = []
    if row.format not in FORMAT_INFO:
        problems.append(f"format {row.format} is not one oxcook knows")
    if row.width == 0 or row.mip_levels == 0:
        problems.append("width and mip_levels must be non-zero")
    try:
        ttype = TextureType(row.texture_type)
    except ValueError:
        return problems + [f"texture_type {row.texture_type} is unknown"]
    if ttype in (TextureType.TEXTURE_1D, TextureType.TEXTURE_1D_ARRAY) and (row.height != 1 or row.depth != 1):
        problems.append("1D textures need height 1 and depth 1")
    elif ttype != TextureType.TEXTURE_3D and (row.height == 0 or row.depth != 1):
        problems.append(f"{ttype.name} needs height > 0 and depth 1")
    if ttype == TextureType.TEXTURE_CUBE and row.array_layers != 6:
        problems.append(f"a cube needs 6 layers, has {row.array_layers}")
    return problems


def _payload_problems(row, parsed) -> list[str]:
    h = parsed.header
    problems = []
    if h.total_payload_size != row.size_bytes:
        problems.append(f"payload total_payload_size {h.total_payload_size} != row size_bytes {row.size_bytes}")
    if h.subresource_count != row.array_layers * row.mip_levels:
        problems.append(f"subresource_count {h.subresource_count} != array_layers x mip_levels {row.array_layers * row.mip_levels}")
        return problems
    if FORMAT_INFO.get(row.format) is None:
        return problems
    shapes = _mip_shapes(row.format, row.width, row.height, row.depth, row.mip_levels)
    for i, sub in enumerate(parsed.layouts):
        w, d, min_pitch, rows_ = shapes[i % row.mip_levels]
        if sub.row_pitch_bytes < min_pitch:
            problems.append(f"subresource {i}: row pitch {sub.row_pitch_bytes} < {min_pitch} bytes of a {w}-wide row")
        if sub.size_bytes != sub.row_pitch_bytes * rows_ * d:
            problems.append(f"subresource {i}: size {sub.size_bytes} != pitch {sub.row_pitch_bytes} x {rows_} rows x depth {d}")
    return problems


@functools.lru_cache(maxsize=512)  # a container has few shapes among its thousands of rows
def _mip_shapes(fmt: int, width: int, height: int, depth: int, mips: int) -> tuple[tuple[int, int, int, int], ...]:
    """Per mip of a texture of this shape: its width, depth, the bytes of one row and its rows of blocks."""
    block = FORMAT_INFO[fmt].block_size
    shapes = []
    for mip in range(mips):
        w, h, d = max(1, width >> mip), max(1, height >> mip), max(1, depth >> mip)
        shapes.append((w, d, row_bytes(Format(fmt), w), -(-h // block)))
    return tuple(shapes)


def _check_buffers(files: ContainerFiles, index: ContainerIndex, report: ValidationReport, verify: bool, since: int) -> None:
    table, data_rec = index.file(FileKind.BUFFERS_TABLE), index.file(FileKind.BUFFERS_DATA)
    report.buffer_count, start, rows = _read_table(files, index, report, FileKind.BUFFERS_TABLE, BUFFER_RESOURCE_DESC[index.epoch], since)
    report.buffer_rows = rows
    if not rows or data_rec is None:
        return
    data_size = files.size(data_rec.relpath) or 0
    if start == 0 and index.epoch == Epoch.B and any(rows[0]):
        report.add("buffer-sentinel", table.relpath, "row 0", "row 0 of an Epoch-B buffers table must be all zero")
    for i, row in enumerate(rows, start):
        where = f"row {i}"
        if row.size_bytes == 0:
            continue
        if row.data_offset + row.size_bytes > data_size:
            report.add("buffer-range", table.relpath, where, f"buffer [{row.data_offset}, {row.data_offset + row.size_bytes}) lies outside the {data_size}-byte {data_rec.relpath}")
            continue
        if (problem := buffer_row_problem(row)) is not None:
            report.add("buffer-row", table.relpath, where, problem)
        if verify:
            data = files.read(data_rec.relpath, row.data_offset, row.size_bytes)
            if row.content_hash not in (content_hash(data, epoch=index.epoch), fnv1a64(data)):
                report.add("buffer-content-hash", table.relpath, where, "content_hash does not match the buffer bytes")


def _check_descriptors(files: ContainerFiles, index: ContainerIndex, report: ValidationReport, verify: bool) -> None:
    materials = {a.asset_key for a in index.assets if a.asset_type == AssetType.MATERIAL}
    geometries = {a.asset_key for a in index.assets if a.asset_type == AssetType.GEOMETRY}
    n_textures, n_buffers = report.texture_count, report.buffer_count
    for asset in index.assets:
        rel = asset.descriptor_relpath
        actual = files.size(rel)
        if actual is None:
            report.add("descriptor-missing", rel, asset.virtual_path, "descriptor file does not exist")
            continue
        if actual != asset.descriptor_size:
            report.add("descriptor-size", rel, asset.virtual_path, f"file is {actual} bytes, the index records {asset.descriptor_size}")
            continue
        data = files.read(rel)
        if verify and asset.descriptor_sha256 != bytes(32) and hashlib.sha256(data).digest() != asset.descriptor_sha256:
            report.add("descriptor-sha256", rel, asset.virtual_path, "SHA-256 of the file differs from the index's descriptor_sha256")
        try:
            header = read_header(data, epoch=index.epoch, where=rel)
            if header.asset_type != asset.asset_type:
                report.add("descriptor-type", rel, asset.virtual_path, f"header asset_type {header.asset_type} != index asset_type {asset.asset_type}")
                continue
            if verify and (problem := descriptor_hash_problem(data, epoch=index.epoch)):
                report.add("descriptor-content-hash", rel, asset.virtual_path, problem)
            if asset.asset_type == AssetType.MATERIAL:
                desc, _ = unpack_material(data, epoch=index.epoch, where=rel)
                for fname in TEXTURE_FIELDS:
                    value = getattr(desc, fname)
                    if value and value >= n_textures:
                        report.add("material-texture-index", rel, fname, f"texture index {value} is outside the {n_textures}-row textures table")
            elif asset.asset_type == AssetType.GEOMETRY:
                geo = unpack_geometry(data, epoch=index.epoch, where=rel)
                for lod, mesh in enumerate(geo.lods):
                    for fname, value in (("vertex_buffer", mesh.vertex_buffer), ("index_buffer", mesh.index_buffer)):
                        if value and value >= n_buffers:
                            report.add("geometry-buffer-index", rel, f"lod {lod} {fname}", f"buffer index {value} is outside the {n_buffers}-row buffers table")
                    for sub in mesh.submeshes:
                        if sub.material_asset_key != bytes(16) and sub.material_asset_key not in materials:
                            report.add("geometry-material-key", rel, f"lod {lod} submesh {sub.name!r}", f"material {key_text(sub.material_asset_key)} is not an asset of this root")
            elif asset.asset_type == AssetType.SCENE:
                scene = unpack_scene(data, epoch=index.epoch, where=rel)
                for r in scene.renderables:
                    if r.geometry_key not in geometries:
                        report.add("scene-geometry-key", rel, f"node {r.node_index}", f"geometry {key_text(r.geometry_key)} is not an asset of this root")
        except FormatError as exc:
            report.add("descriptor-layout", rel, asset.virtual_path, exc.message)
