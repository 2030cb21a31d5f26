"""``LooseCookedWriter``: owns a cooked root for one session — lock, repair, merge, index last.

Opening takes the root's exclusive lock, repairs an interrupted cook, loads the
existing index (re-imports merge into it: old rows stay, new data is appended,
new indices follow — the seed's log-structured allocation) and starts the
cook journal. An existing root that does not validate is refused (or, asked
to, rebuilt from nothing). Committing first checks what it is about to commit
with the rules ``oxcook inspect`` applies (without hashing payloads), then
writes ``container.index.bin`` through a temporary file, fsync and rename, and
drops the journal: a container that breaks a rule is never committed. An
index whose bytes would not change is not written again, and the root's build
record (``_record_file``) is written after the index it names, only when its
entries changed: a cook that changes nothing writes nothing.
Aborting (cancel, failure) rolls everything back to the previous container.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from pathlib import Path
from typing import Callable

from oxcook.formats import (
    BUFFER_RESOURCE_DESC,
    INDEX_FILE_NAME,
    TEXTURE_RESOURCE_DESC,
    AssetRecord,
    ContainerIndex,
    Epoch,
    FileKind,
    FileRecordInfo,
    FormatError,
    Layout,
    ValidationReport,
    build_index,
    new_source_key,
    parse_index,
    validate_container,
)
from oxcook.worker import failpoint

from .._errors import CommitRefusedError, RootUnusableError
from .._types import LooseCookedLayout
from ..cache import BuildRecord, pack_record, same_entries
from ._cooked_root import CookedRootFiles
from ._journal import CookJournal, RecoveryResult, RootLock, fsync_dir, recover_root, write_file_durably, write_files_durably
from ._record_file import LoadedRecord, load_record, write_record


_TEX_ROW, _BUF_ROW = TEXTURE_RESOURCE_DESC[Epoch.B], BUFFER_RESOURCE_DESC[Epoch.B]


class WriterState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    COMMITTED = "committed"
    ABORTED = "aborted"


def merge_index(
    existing: ContainerIndex | None,
    assets: list[AssetRecord],
    files: list[FileRecordInfo],
    source_key: bytes,
) -> ContainerIndex:
    """The index after an import: its assets replace those with the same
    virtual path, its file records replace those of the same kind (pure)."""
    by_path = {a.virtual_path: a for a in (existing.assets if existing else ())}
    for asset in assets:
        by_path[asset.virtual_path] = asset
    by_kind = {f.kind: f for f in (existing.files if existing else ())}
    for record in files:
        by_kind[record.kind] = record
    return ContainerIndex(
        source_identity=source_key,
        assets=tuple(by_path.values()),
        files=tuple(by_kind.values()),
        content_version=existing.content_version if existing else 0,
    )


class _PendingRoot(CookedRootFiles):
    """The root as it will be once ``index`` is committed: the files on disk, the index from memory."""

    def __init__(self, root: Path, index: bytes) -> None:
        super().__init__(root)
        self._index = index

    def size(self, relpath: str) -> int | None:
        return len(self._index) if relpath == INDEX_FILE_NAME else super().size(relpath)

    def read(self, relpath: str, offset: int = 0, length: int | None = None) -> bytes:
        if relpath == INDEX_FILE_NAME:
            return self._index[offset : None if length is None else offset + length]
        return super().read(relpath, offset, length)


def check_root(files: CookedRootFiles, since: dict[FileKind, int] | None = None) -> ValidationReport:
    """The loader rules that cost no payload hashing: rows, offsets, sizes, layouts, descriptor hashes, cross-references
    (``since``: the rows of each table already checked, see :func:`formats.validate_container`)."""
    return validate_container(files, verify_hashes=False, verify_descriptors=True, since=since)


def refuse_invalid(root: Path, index_bytes: bytes, since: dict[FileKind, int] | None = None) -> None:
    """Raise :class:`CommitRefusedError` when the container that ``index_bytes`` would commit in ``root`` breaks
    a loader rule (``since``: as :func:`check_root`)."""
    report = check_root(_PendingRoot(root, index_bytes), since)
    if not report.ok:
        raise CommitRefusedError(f"{root}: refusing to commit a container that breaks the loader's rules (an oxcook bug): {_first_errors(report)}")


def _first_errors(report: ValidationReport, most: int = 3) -> str:
    errors = [str(v) for v in report.violations if v.severity.value == "error"]
    more = f" (and {len(errors) - most} more)" if len(errors) > most else ""
    return "; ".join(errors[:most]) + more


class LooseCookedWriter:
    """The only code that writes a cooked root's index, tables' frame and descriptors."""

    def __init__(
        self,
        root: Path,
        layout: LooseCookedLayout,
        *,
        source_key: bytes | None = None,
        lock_timeout: float = 600.0,
        rebuild_invalid: bool = False,
        ignore_record: bool = False,
    ) -> None:
        self.root = Path(root)
        self.layout = layout
        self._requested_key = source_key
        self._rebuild_invalid = rebuild_invalid
        self._ignore_record = ignore_record
        self._index_bytes: bytes | None = None
        self.previous = LoadedRecord(None)  # the root's build record, when it describes the index opened
        self.started_ns = 0  # the file system's time when the root was taken (racy timestamps are measured against it)
        self._lock_timeout = lock_timeout
        self._lock = RootLock(self.root)
        self._journal: CookJournal | None = None
        self.existing: ContainerIndex | None = None
        self.source_key = b""
        self.recovery = RecoveryResult()
        self.state = WriterState.CLOSED

    def _require(self, state: WriterState) -> None:
        if self.state is not state:
            raise RuntimeError(f"LooseCookedWriter for {self.root} is {self.state.value}, expected {state.value}")

    def open(self, should_stop: Callable[[], bool] = lambda: False, on_wait: Callable[[str], None] | None = None) -> RecoveryResult:
        """Lock, repair, load the existing index, begin the journal (``on_wait``: see :meth:`RootLock.acquire`).

        Raises:
            RootLockedError: another cook holds the root.
            RootUnusableError: the existing index is unreadable or Epoch A.
        """
        self._require(WriterState.CLOSED)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock.acquire(self._lock_timeout, should_stop, on_wait)
        self.started_ns = self._lock.acquired_ns
        try:
            self.recovery = recover_root(self.root)
            index_path = self.root / INDEX_FILE_NAME
            if index_path.is_file():
                try:
                    self._index_bytes = index_path.read_bytes()
                    self.existing = parse_index(self._index_bytes)
                except FormatError as exc:
                    raise RootUnusableError(f"{index_path}: {exc.message}") from exc
                if self.existing.epoch != Epoch.B:
                    raise RootUnusableError(f"{self.root} holds an Epoch-A container; oxcook writes Epoch B (spec §1.10). Cook into a new root.")
                if not self._ignore_record:
                    self.previous = load_record(self.root, self._index_bytes, self.existing.source_identity)
                # an index the build record names is the one oxcook checked before committing it: not checked again
                # (a root edited by hand is for 'oxcook inspect' to find and --rebuild to redo)
                report = ValidationReport() if self.previous.record is not None else check_root(CookedRootFiles(self.root))
                if not report.ok and not self._rebuild_invalid:
                    raise RootUnusableError(
                        f"{self.root} holds a container that does not validate: {_first_errors(report)}. "
                        "'oxcook inspect' shows every problem; --force rebuilds the root from nothing"
                    )
                if not report.ok:  # rebuilt: every table and data file starts empty; the root keeps its identity
                    self._requested_key = self._requested_key or self.existing.source_identity
                    self.existing = None
                    self.previous = LoadedRecord(None)
            self.source_key = self._requested_key or (self.existing.source_identity if self.existing else new_source_key())
            self._journal = CookJournal.begin(self.root)
        except BaseException:
            self._lock.release()
            raise
        self.state = WriterState.OPEN
        return self.recovery

    def committed_size(self, kind: FileKind) -> int:
        record = self.existing.file(kind) if self.existing else None
        return record.size if record else 0

    def read_rows(self, kind: FileKind, layout: Layout) -> list:
        """The rows the committed index records for a table."""
        size = self.committed_size(kind)
        if not size:
            return []
        data = (self.root / self.existing.file(kind).relpath).read_bytes()[:size]
        return layout.unpack_array(data, size // layout.SIZE, where=str(kind.name))

    def prepare_resource_file(self, kind: FileKind, relpath: str) -> Path:
        """Make ``relpath`` ready for appends: journaled if new, emptied if stale."""
        self._require(WriterState.OPEN)
        path = self.root / relpath
        if self.committed_size(kind) == 0:
            self._journal.will_write(relpath)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb"):
                pass  # a file the index does not record holds nothing of value
        return path

    def write_whole(self, relpath: str, data: bytes) -> None:
        """Write a whole small file (descriptor, sidecar), journaled and durable."""
        self.write_all({relpath: data})

    def write_all(self, files: dict[str, bytes]) -> None:
        """Write many small files (descriptors, sidecars): journaled in one batch, each durable before the index.

        A file that already holds exactly these bytes (a re-cook of unchanged
        sources) is neither backed up nor written again.
        """
        self._require(WriterState.OPEN)
        files = {relpath: data for relpath, data in files.items() if not _holds(self.root / relpath, data)}
        if files:
            self._journal.will_write_all(list(files))
            write_files_durably(self.root, files)

    def remove_all(self, relpaths: list[str]) -> None:
        """Remove small files (the sidecars of pruned inputs): backed up in the journal first, so an abort restores them."""
        self._require(WriterState.OPEN)
        present = [relpath for relpath in relpaths if (self.root / relpath).is_file()]
        if not present:
            return
        self._journal.will_write_all(present)
        for relpath in present:
            (self.root / relpath).unlink()
        for folder in sorted({(self.root / relpath).parent for relpath in present}):
            fsync_dir(folder)

    def commit(self, assets: list[AssetRecord], files: list[FileRecordInfo], record: BuildRecord | None = None) -> ContainerIndex:
        """Write the merged index last and atomically (not at all when its bytes would not change), then
        ``record`` naming it (not at all when its entries would not change); release the root."""
        self._require(WriterState.OPEN)
        index = merge_index(self.existing, assets, files, self.source_key)
        data = build_index(index)
        unchanged = data == self._index_bytes
        if not unchanged:
            # the rows of the index opened were checked then (or vouched for by its build record); tables only grow
            refuse_invalid(self.root, data, self._checked_rows())
            write_file_durably(self.root / INDEX_FILE_NAME, data, before_rename=lambda: failpoint("before-index-rename"))
        failpoint("after-index-rename")
        if record is not None and not (unchanged and same_entries(record, self.previous.record)):
            named = dataclasses.replace(record, index_sha256=hashlib.sha256(data).hexdigest(), source_key=self.source_key.hex())
            try:
                write_record(self.root, pack_record(named, self.previous.record))
            except OSError:
                pass  # the record left names the previous index, so it is ignored: the next cook checks every input
        self._journal.commit()
        self.state = WriterState.COMMITTED
        self._lock.release()
        return index

    def _checked_rows(self) -> dict[FileKind, int]:
        return {kind: self.committed_size(kind) // layout.SIZE for kind, layout in ((FileKind.TEXTURES_TABLE, _TEX_ROW), (FileKind.BUFFERS_TABLE, _BUF_ROW))}

    def abort(self) -> RecoveryResult:
        """Undo everything this import wrote; the previous container stays as it was."""
        if self.state is not WriterState.OPEN:
            return RecoveryResult()
        try:
            return recover_root(self.root)
        finally:
            self.state = WriterState.ABORTED
            self._lock.release()


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file whose bytes are ``data``."""
    try:
        if not path.is_file() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False
