"""The build record's file in a cooked root: read it (trusting nothing), write it after the index, stat inputs.

The record (``cache._build_record``) lives at ``.oxcook/build-record.msgpack``
and names the SHA-256 of the ``container.index.bin`` it describes. It is
written after that index has been renamed into place, never before, so a
crash between the two leaves a record of the *previous* index: it no longer
matches and is ignored (the next cook checks every input again; the cook
cache makes that cheap). A damaged record, one of another root, or one of
another index is ignored the same way, with a warning — never a wrong skip.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from oxcook.formats import INDEX_FILE_NAME

from .._errors import BuildRecordError
from ..cache import BuildRecord, Stamp, unpack_record
from ._journal import RECORD_FILE, write_file_durably

# some 200 bytes an input: room for millions of inputs; a larger file is not this cook's record
MAX_RECORD_BYTES = 1 << 30


def stamp_of(path: Path | str, cwd: str | None = None) -> Stamp | None:
    """The stamp of a regular file (its absolute path, size, mtime_ns, inode, ctime_ns), ``None`` when it is missing or
    not regular (``cwd``: the working folder, asked for once by a caller stamping thousands of files)."""
    name = os.path.normpath(os.path.join(cwd, path)) if cwd is not None else os.path.abspath(path)
    try:
        st = os.stat(name)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Stamp(name, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def stamp_from(path: Path | str, st: os.stat_result) -> Stamp:
    """The stamp of ``path`` from a ``stat`` already made (e.g. ``fstat`` of the file being read)."""
    return Stamp(os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


@functools.lru_cache(maxsize=1)
def cook_versions() -> dict[str, str]:
    """What every cooked byte depends on besides inputs and settings: oxcook, its cooker version and the encoder's
    (read from the installed distributions, so finding that nothing changed loads no encoder)."""
    from importlib import metadata

    from oxcook.worker import COOKER_VERSION

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"oxcook": version("oxcook"), "cooker": COOKER_VERSION, "encoder": f"ispc_texcomp {version('ispc_texcomp')}"}


@dataclass(frozen=True)
class LoadedRecord:
    """A root's record if it can be trusted, else ``None`` and (when there was one) why it is ignored."""

    record: BuildRecord | None
    warning: str = ""


def load_record(root: Path, index_bytes: bytes | None, identity: bytes | None) -> LoadedRecord:
    """The record of ``root`` if it describes exactly the index ``index_bytes`` (of root identity ``identity``).

    Never raises: a missing record is ``LoadedRecord(None)``; a damaged one, one of
    another root or of another index is ``None`` with a warning naming why.
    """
    from oxcook.worker.cache import UnusableEntry, read_cache_file

    path = Path(root) / RECORD_FILE
    try:  # a regular file of bounded size, opened without following a link or blocking on a FIFO
        data = read_cache_file(path, MAX_RECORD_BYTES)
    except UnusableEntry as exc:
        return _ignored(path, exc.problem)
    if data is None:
        return LoadedRecord(None)
    try:
        record = _unpacked(data)
    except BuildRecordError as exc:
        return _ignored(path, exc.message)
    if index_bytes is None:
        return _ignored(path, f"the root has no {INDEX_FILE_NAME}")
    if identity is not None and record.source_key != identity.hex():
        return _ignored(path, "it belongs to another cooked root (another source key)")
    if record.index_sha256 != hashlib.sha256(index_bytes).hexdigest():
        return _ignored(path, f"it describes another {INDEX_FILE_NAME} (the root changed since: a compaction, an interrupted cook or an edit)")
    return LoadedRecord(record)


_last: tuple[bytes, BuildRecord] | None = None  # a cook reads its root's record twice: planning, then under the lock


def _unpacked(data: bytes) -> BuildRecord:
    """``unpack_record(data)``, once for the same bytes read again (a record is never changed in place)."""
    global _last
    last = _last
    if last is not None and last[0] == data:
        return last[1]
    record = unpack_record(data)
    _last = (data, record)
    return record


def _ignored(path: Path, why: str) -> LoadedRecord:
    return LoadedRecord(None, f"{path}: build record ignored, every input is checked again: {why}")


def write_record(root: Path, data: bytes) -> bool:
    """Write the record (temporary file, fsync, rename) unless it already holds ``data``; whether it wrote."""
    path = Path(root) / RECORD_FILE
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_file_durably(path, data)
    return True
