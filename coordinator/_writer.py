"""``LooseCookedWriter``: owns a cooked root for one session — lock, repair, merge, index last.

Opening takes the root's exclusive lock, repairs an interrupted cook, loads the
existing index (re-imports merge into it: old rows stay, new data is appended,
new indices follow — the seed's log-structured allocation) and starts the
cook journal. Committing writes ``container.index.bin`` through a temporary
file, fsync and rename, then drops the journal. Aborting (cancel, failure)
rolls everything back to the previous container.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Callable

from formats import (
    INDEX_FILE_NAME,
    AssetRecord,
    ContainerIndex,
    Epoch,
    FileKind,
    FileRecordInfo,
    FormatError,
    Layout,
    build_index,
    new_source_key,
    parse_index,
)

from worker import failpoint

from ._errors import RootUnusableError
from ._journal import CookJournal, RecoveryResult, RootLock, recover_root, write_file_durably
from ._types import LooseCookedLayout


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
    """The index after a session: this session's assets replace those with the same
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


class LooseCookedWriter:
    """The only code that writes a cooked root's index, tables' frame and descriptors."""

    def __init__(self, root: Path, layout: LooseCookedLayout, *, source_key: bytes | None = None, lock_timeout: float = 600.0) -> None:
        self.root = Path(root)
        self.layout = layout
        self._requested_key = source_key
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

    def open(self, should_stop: Callable[[], bool] = lambda: False) -> RecoveryResult:
        """Lock, repair, load the existing index, begin the journal.

        Raises:
            RootLockedError: another cook holds the root.
            RootUnusableError: the existing index is unreadable or Epoch A.
        """
        self._require(WriterState.CLOSED)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock.acquire(self._lock_timeout, should_stop)
        try:
            self.recovery = recover_root(self.root)
            index_path = self.root / INDEX_FILE_NAME
            if index_path.is_file():
                try:
                    self.existing = parse_index(index_path.read_bytes())
                except FormatError as exc:
                    raise RootUnusableError(f"{index_path}: {exc.message}") from exc
                if self.existing.epoch != Epoch.B:
                    raise RootUnusableError(f"{self.root} holds an Epoch-A container; oxcook writes Epoch B (spec §1.10). Cook into a new root.")
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
        self._require(WriterState.OPEN)
        self._journal.will_write(relpath)
        write_file_durably(self.root / relpath, data)

    def commit(self, assets: list[AssetRecord], files: list[FileRecordInfo]) -> ContainerIndex:
        """Write the merged index last and atomically; release the root."""
        self._require(WriterState.OPEN)
        index = merge_index(self.existing, assets, files, self.source_key)
        write_file_durably(self.root / INDEX_FILE_NAME, build_index(index), before_rename=lambda: failpoint("before-index-rename"))
        failpoint("after-index-rename")
        self._journal.commit()
        self.state = WriterState.COMMITTED
        self._lock.release()
        return index

    def abort(self) -> RecoveryResult:
        """Undo everything this session wrote; the previous container stays as it was."""
        if self.state is not WriterState.OPEN:
            return RecoveryResult()
        try:
            return recover_root(self.root)
        finally:
            self.state = WriterState.ABORTED
            self._lock.release()

