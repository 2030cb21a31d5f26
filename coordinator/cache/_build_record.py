"""The build record: what produced a cooked root, so an unchanged input costs a stat.

A cooked root keeps one record (``.oxcook/build-record.msgpack``, written with
the index by ``emit``): for every input that cooked cleanly — each loose
texture, each scene — the stamp of every file it read (path, size, mtime_ns,
inode, ctime_ns), the key of the settings it was cooked with, and what it produced (a
texture's row and report facts; a scene's descriptors). Like ninja's log and
git's index, an input whose files stat the same, under the same settings and
versions, is done: nothing of it is read, looked up or placed again.

Everything here is pure: the record as plain data, its one byte layout
(msgpack; :func:`unpack_record` checks every field and raises only
:class:`BuildRecordError`), and the verdict (:func:`entry_verdict`). Reading and writing the file is ``emit._record_file``'s.

Racy timestamps: a file modified in the same clock tick as a cook read it
keeps its mtime, so its stamp cannot prove the bytes cooked are the bytes now.
An entry any of whose files has an mtime not older than the start of the cook
that wrote it is recorded ``verified=False`` and is cooked again next time (git
calls these "racily clean" entries).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import msgpack

from .._errors import BuildRecordError

MAGIC = "oxcook-build-record"
VERSION = 2


class Stamp(NamedTuple):  # a tuple: a record holds one or more per texture, made and compared at every cook
    """What ``stat`` says of one file: the test for "unchanged", as ninja and git make it."""

    path: str  # absolute
    size: int
    mtime_ns: int
    ino: int
    ctime_ns: int = 0  # a tool can restore a file's size and mtime (``touch -d``, ``cp -p``), never its ctime


@dataclass(frozen=True, slots=True)
class TextureEntry:
    """One loose texture as its last clean cook left it."""

    source_id: str
    stamps: tuple[Stamp, ...]  # one per layer file
    settings_key: str
    index: int  # its row in textures.table
    preset: str
    format: str
    width: int
    height: int
    mips: int
    bytes: int
    verified: bool = True  # False: a file's mtime was not older than that cook's start (racy)


@dataclass(frozen=True)
class SceneEntry:
    """One scene as its last clean cook left it: every file it read, and the descriptors it wrote."""

    path: str  # the scene file, absolute
    settings_key: str
    stamps: tuple[Stamp, ...]  # the scene file, its buffers, its image files
    assets: tuple[str, ...]  # virtual paths of its descriptors
    textures: int
    verified: bool = True


@dataclass(frozen=True)
class BuildRecord:
    """Every entry of a root, and the index they describe (a record of another index is not trusted)."""

    index_sha256: str
    source_key: str  # hex of the root's identity (a record copied from another root is not trusted)
    started_ns: int  # file-system time at the start of the cook that wrote it
    versions: dict[str, str]  # oxcook, cooker, encoder
    textures: dict[str, TextureEntry] = field(default_factory=dict)  # by source id
    scenes: dict[str, SceneEntry] = field(default_factory=dict)  # by scene path
    packed: bytes = field(default=b"", compare=False, repr=False)  # the bytes it was read from (``b""``: made here)


@dataclass(frozen=True)
class Verdict:
    """Whether an input must be cooked again, and why."""

    unchanged: bool
    reason: str = ""  # why it is cooked again: "new input", "source changed (mtime)", "settings changed", ...


UNCHANGED = Verdict(True)


@dataclass(frozen=True)
class PlannedVerdicts:
    """The verdicts a cook's plan made on a job's textures (in the job's order) against ``record``.

    The job takes them as its own when it opens the root and finds that very record
    (the same bytes, so the same index and the same entries): its stamps are the
    plan's, and an input edited after they were taken keeps its old stamps in the
    record, so the next cook sees the edit. Against any other record the job stats
    every input again."""

    record: BuildRecord
    verdicts: tuple[Verdict, ...]


def settings_key(settings: dict) -> str:
    """A stable key over plain settings (a texture's descriptor and preset, a scene's options, the encoder target)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def is_verified(stamps: tuple[Stamp, ...], started_ns: int) -> bool:
    """Whether every stamp is older than the cook's start, so it proves the bytes read are the bytes now."""
    return all(s.mtime_ns < started_ns for s in stamps)


def versions_changed(recorded: dict[str, str], current: dict[str, str]) -> str:
    """Why entries made by other versions are cooked again, or ``""`` when the versions are the same (pure)."""
    changed = [f"{name} {recorded.get(name)} → {current.get(name)}" for name in sorted(set(recorded) | set(current)) if recorded.get(name) != current.get(name)]
    return f"oxcook or encoder version changed ({', '.join(changed)})" if changed else ""


def _stamps_verdict(recorded: tuple[Stamp, ...], now: tuple[Stamp | None, ...]) -> Verdict:
    if recorded == now:
        return UNCHANGED
    if len(recorded) != len(now):
        return Verdict(False, "its files changed")
    for old, new in zip(recorded, now, strict=True):
        if new is None:
            return Verdict(False, f"{old.path} is missing or unreadable")
        if new.path != old.path:
            return Verdict(False, f"source moved ({old.path} → {new.path})")
        what = [name for name, a, b in (("size", old.size, new.size), ("mtime", old.mtime_ns, new.mtime_ns), ("inode", old.ino, new.ino), ("ctime", old.ctime_ns, new.ctime_ns)) if a != b]
        if what:
            return Verdict(False, f"source changed ({', '.join(what)}: {new.path})")
    return UNCHANGED


def entry_verdict(entry: TextureEntry | SceneEntry | None, now: tuple[Stamp | None, ...], key: str) -> Verdict:
    """Whether an input whose recorded files stat as ``now``, with settings ``key``, is unchanged since ``entry`` (pure)."""
    if entry is None:
        return Verdict(False, "new input")
    if entry.settings_key != key:
        return Verdict(False, "settings changed")
    verdict = _stamps_verdict(entry.stamps, now)
    if verdict.unchanged and not entry.verified:
        return Verdict(False, "modified while it was last cooked (racy timestamp)")
    return verdict


def merge_record(
    previous: BuildRecord | None,
    *,
    versions: dict[str, str],
    started_ns: int,
    textures: dict[str, TextureEntry | None],
    scenes: dict[str, SceneEntry | None],
) -> BuildRecord:
    """The record after a cook: the previous entries (only if made by the same versions) with this cook's
    entries put in and its ``None`` ones dropped (an input that failed, or was pruned). The index fields are
    the writer's to fill in (pure)."""
    keep = previous if previous is not None and previous.versions == versions else None
    merged_textures = dict(keep.textures) if keep else {}
    merged_scenes = dict(keep.scenes) if keep else {}
    for merged, updates in ((merged_textures, textures), (merged_scenes, scenes)):
        for key, entry in updates.items():
            if entry is None:
                merged.pop(key, None)
            else:
                merged[key] = entry
    return BuildRecord("", "", started_ns, dict(versions), merged_textures, merged_scenes)


def same_entries(a: BuildRecord | None, b: BuildRecord | None) -> bool:
    """Whether two records hold the same entries under the same versions (pure)."""
    return a is not None and b is not None and a.versions == b.versions and a.textures == b.textures and a.scenes == b.scenes


# --- bytes ---------------------------------------------------------------------------------------


def _name(text: str) -> bytes:
    """A path or id as bytes: file names need not be UTF-8 (they reach Python as surrogate escapes)."""
    return text.encode("utf-8", "surrogateescape")


def _stamp_row(s: Stamp) -> list:
    return [_name(s.path), s.size, s.mtime_ns, s.ino, s.ctime_ns]


def _texture_row(e: TextureEntry) -> list:
    return [_name(e.source_id), [_stamp_row(s) for s in e.stamps], e.settings_key, e.index, e.preset, e.format, e.width, e.height, e.mips, e.bytes, e.verified]


def _read_rows(read: BuildRecord | None) -> dict[str, tuple[TextureEntry, bytes]]:
    """The packed bytes of each texture row of a record read from bytes (source id → its entry, its row's bytes)."""
    if read is None or not read.packed:
        return {}
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=True, max_buffer_size=len(read.packed) + 1)
    unpacker.feed(read.packed)
    for _ in range(unpacker.read_map_header()):
        if unpacker.unpack() != "textures":
            unpacker.skip()
            continue
        if unpacker.read_array_header() != len(read.textures):
            return {}
        rows, start = {}, unpacker.tell()
        for source_id, entry in read.textures.items():  # in the order of its rows (unpack_record keeps it)
            unpacker.skip()
            end = unpacker.tell()
            rows[source_id] = (entry, read.packed[start:end])
            start = end
        return rows
    return {}


def pack_record(record: BuildRecord, read: BuildRecord | None = None) -> bytes:
    """The record's bytes (entries sorted: the same record always packs to the same bytes).

    ``read``: the record this one was made from; the rows of the entries they share (the very same
    objects) are copied from the bytes it was read from instead of being packed again."""
    kept = _read_rows(read)
    packer = msgpack.Packer()
    textures = b"".join(
        row[1] if (row := kept.get(source_id)) is not None and row[0] is e else packer.pack(_texture_row(e)) for source_id, e in sorted(record.textures.items())
    )
    scenes = [[_name(e.path), e.settings_key, [_stamp_row(s) for s in e.stamps], list(e.assets), e.textures, e.verified] for _, e in sorted(record.scenes.items())]
    top = {
        "magic": MAGIC,
        "version": VERSION,
        "index_sha256": record.index_sha256,
        "source_key": record.source_key,
        "started_ns": record.started_ns,
        "versions": dict(sorted(record.versions.items())),
        "textures": None,
        "scenes": scenes,
    }
    parts = [packer.pack_map_header(len(top))]
    for key, value in top.items():
        parts.append(packer.pack(key))
        parts.append(packer.pack_array_header(len(record.textures)) + textures if key == "textures" else packer.pack(value))
    return b"".join(parts)


_HEX = re.compile("[0-9a-f]*")


def _count(value) -> bool:
    return type(value) is int and value >= 0


def _stamps(value) -> tuple[Stamp, ...] | None:
    """The stamps of a well-formed array of them, else ``None`` (the checked reader then says what is wrong)."""
    if type(value) is not list:
        return None
    out = []
    for item in value:
        if type(item) is not list or len(item) != 5:
            return None
        path, size, mtime, ino, ctime = item
        if type(path) is not bytes or not (_count(size) and _count(mtime) and _count(ino) and _count(ctime)):
            return None
        out.append(Stamp(path.decode("utf-8", "surrogateescape"), size, mtime, ino, ctime))
    return tuple(out)


def _texture(v) -> TextureEntry | None:
    """A well-formed texture row as its entry, else ``None``: the same checks as :meth:`_Reader.texture`, inline
    (a record holds a row per texture, read by every cook)."""
    if type(v) is not list or len(v) != 11:
        return None
    source_id, stamps, key, index, preset, fmt, width, height, mips, size, verified = v
    stamps = _stamps(stamps)
    if (
        stamps is None
        or type(source_id) is not bytes
        or type(key) is not str
        or len(key) != 64
        or not _HEX.fullmatch(key)
        or type(preset) is not str
        or type(fmt) is not str
        or type(verified) is not bool
        or not (_count(index) and _count(width) and _count(height) and _count(mips) and _count(size))
    ):
        return None
    return TextureEntry(source_id.decode("utf-8", "surrogateescape"), stamps, key, index, preset, fmt, width, height, mips, size, verified)


class _Reader:
    """Field checks that name where the record is wrong (``textures[12][3]: expected an int, found str``)."""

    def fail(self, where: str, problem: str) -> BuildRecordError:
        return BuildRecordError(f"build record: {where}: {problem}")

    def typed(self, value, kind: type, where: str):
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise self.fail(where, f"expected {kind.__name__}, found {type(value).__name__}")
        return value

    def name(self, value, where: str) -> str:
        return self.typed(value, bytes, where).decode("utf-8", "surrogateescape")

    def count(self, value, where: str) -> int:
        if self.typed(value, int, where) < 0:
            raise self.fail(where, f"expected 0 or more, found {value}")
        return value

    def hexdigest(self, value, where: str, length: int) -> str:
        text = self.typed(value, str, where)
        if len(text) != length or not _HEX.fullmatch(text):
            raise self.fail(where, f"expected {length} lowercase hex digits")
        return text

    def row(self, value, where: str, length: int) -> list:
        if not isinstance(value, list) or len(value) != length:
            raise self.fail(where, f"expected an array of {length}, found {type(value).__name__}")
        return value

    def stamps(self, value, where: str) -> tuple[Stamp, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array, found {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            path, size, mtime, ino, ctime = self.row(item, at, 5)
            out.append(Stamp(self.name(path, f"{at}[0]"), self.count(size, f"{at}[1]"), self.count(mtime, f"{at}[2]"), self.count(ino, f"{at}[3]"), self.count(ctime, f"{at}[4]")))
        return tuple(out)

    def texture(self, value, where: str) -> TextureEntry:
        v = self.row(value, where, 11)
        return TextureEntry(
            source_id=self.name(v[0], f"{where}[0]"),
            stamps=self.stamps(v[1], f"{where}[1]"),
            settings_key=self.hexdigest(v[2], f"{where}[2]", 64),
            index=self.count(v[3], f"{where}[3]"),
            preset=self.typed(v[4], str, f"{where}[4]"),
            format=self.typed(v[5], str, f"{where}[5]"),
            width=self.count(v[6], f"{where}[6]"),
            height=self.count(v[7], f"{where}[7]"),
            mips=self.count(v[8], f"{where}[8]"),
            bytes=self.count(v[9], f"{where}[9]"),
            verified=self.typed(v[10], bool, f"{where}[10]"),
        )

    def scene(self, value, where: str) -> SceneEntry:
        v = self.row(value, where, 6)
        assets = v[3]
        if not isinstance(assets, list):
            raise self.fail(f"{where}[3]", f"expected an array, found {type(assets).__name__}")
        return SceneEntry(
            path=self.name(v[0], f"{where}[0]"),
            settings_key=self.hexdigest(v[1], f"{where}[1]", 64),
            stamps=self.stamps(v[2], f"{where}[2]"),
            assets=tuple(self.typed(a, str, f"{where}[3][{i}]") for i, a in enumerate(assets)),
            textures=self.count(v[4], f"{where}[4]"),
            verified=self.typed(v[5], bool, f"{where}[5]"),
        )


_KEYS = {"magic", "version", "index_sha256", "source_key", "started_ns", "versions", "textures", "scenes"}


def unpack_record(data: bytes) -> BuildRecord:
    """A record from its bytes, every field checked.

    Raises:
        BuildRecordError: not a build record, another version of one, truncated or damaged (the message says where).
    """
    try:
        top = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises ValueError, ExtraData, FormatError, StackError...: all mean "damaged"
        raise BuildRecordError(f"build record: not readable msgpack ({type(exc).__name__}: {exc})") from None
    r = _Reader()
    if not isinstance(top, dict) or top.get("magic") != MAGIC:
        raise BuildRecordError("build record: not an oxcook build record")
    if top.get("version") != VERSION:
        raise BuildRecordError(f"build record: version {top.get('version')!r}; this oxcook reads version {VERSION}")
    if set(top) != _KEYS:
        raise r.fail("top", f"expected the keys {sorted(_KEYS)}, found {sorted(map(str, top))}")
    versions = r.typed(top["versions"], dict, "versions")
    for name, value in versions.items():
        r.typed(value, str, f"versions.{name}")
    textures, scenes = {}, {}
    for i, item in enumerate(r.typed(top["textures"], list, "textures")):
        entry = _texture(item) or r.texture(item, f"textures[{i}]")
        if entry.source_id in textures:
            raise r.fail(f"textures[{i}]", f"a second entry for {entry.source_id!r}")
        textures[entry.source_id] = entry
    for i, item in enumerate(r.typed(top["scenes"], list, "scenes")):
        entry = r.scene(item, f"scenes[{i}]")
        if entry.path in scenes:
            raise r.fail(f"scenes[{i}]", f"a second entry for {entry.path!r}")
        scenes[entry.path] = entry
    return BuildRecord(
        index_sha256=r.hexdigest(top["index_sha256"], "index_sha256", 64),
        source_key=r.hexdigest(top["source_key"], "source_key", 32),
        started_ns=r.count(top["started_ns"], "started_ns"),
        versions=versions,
        textures=textures,
        scenes=scenes,
        packed=data,
    )
