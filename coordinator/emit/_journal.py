"""Crash safety for a cooked root: the cook journal, the root lock, and repair.

A cook only ever *appends* to the data and table files the current index
records, so truncating them back to the recorded sizes undoes it. Files a cook
*replaces* are backed up first: a small one (a sidecar, a descriptor: up to
:data:`INLINE_MAX` bytes) inside the journal's own record, a larger one as a
copy in ``.oxcook/journal/``; files it *creates* are listed there before they exist. Compaction *moves*
its big data files into the journal instead of copying them; that move is
recorded before it happens. Every record is durable before the step it names
(write-ahead), so whatever a kill interrupts, the journal names it. The new
``container.index.bin`` is renamed into place last; the journal remembers the
SHA-256 of the index that was current when the cook began, so repair knows
which side of that rename a crash fell on:

* index unchanged → roll back: restore replaced files (a recorded move whose
  backup does not exist never happened), delete created ones, truncate recorded
  files to the recorded sizes;
* index changed → the cook committed: keep its files, drop the journal.

Either way repair removes the temporaries (``<file>.tmp``) of every file the
journal names, and removes the journal file itself last, so a repair that is
itself killed is simply run again.

The engine rewrites its index and tables in place (spec §6.3); oxcook does not.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oxcook.formats import INDEX_FILE_NAME, FormatError, parse_index

from .._errors import PathEscapesRoot, RootLockedError, RootUnusableError
from ._cooked_root import confined

STATE_DIR = ".oxcook"
JOURNAL_DIR = f"{STATE_DIR}/journal"
JOURNAL_FILE = f"{JOURNAL_DIR}/journal.jsonl"
LOCK_FILE = f"{STATE_DIR}/lock"
RECORD_FILE = f"{STATE_DIR}/build-record.msgpack"  # the build record (``_record_file``); its temporary is repair's too
TEMP_SUFFIX = ".tmp"
INDEX_TEMP = INDEX_FILE_NAME + TEMP_SUFFIX


def temporary(path: Path) -> Path:
    """Where a whole new ``path`` is written before it is renamed into place (repair removes it)."""
    return path.with_name(path.name + TEMP_SUFFIX)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_durably(path: Path, data: bytes, *, before_rename: Callable[[], None] | None = None) -> None:
    """Write a whole file through a temporary name, fsync it, rename it, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary(path)
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    if before_rename is not None:
        before_rename()
    os.replace(temp, path)
    fsync_dir(path.parent)


def index_sha256(root: Path) -> str | None:
    path = root / INDEX_FILE_NAME
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


WAIT_NOTE_S = 10.0  # how often a cook waiting for a root's lock says so again


class RootLock:
    """An exclusive ``flock`` on ``<root>/.oxcook/lock``, held while a session writes."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        self._fd: int | None = None
        self.acquired_ns = 0  # the lock file's mtime once taken: the file system's time at the start of the cook

    def acquire(self, timeout: float, should_stop: Callable[[], bool] = lambda: False, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to ``timeout`` seconds (0: do not wait).

        ``on_wait(holder)`` is told the holder's pid (or "another process") as soon as the lock
        turns out taken, and again every ``WAIT_NOTE_S`` while the wait goes on.

        Raises:
            RootLockedError: still held by another process after ``timeout``,
                or ``should_stop()`` turned true while waiting.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        noted = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                now = time.monotonic()
                if now >= deadline or should_stop():
                    holder = self._holder(fd)
                    os.close(fd)
                    raise RootLockedError(f"{self.path.parent.parent}: cooked root is locked by pid {holder}") from None
                if on_wait is not None and (noted is None or now - noted >= WAIT_NOTE_S):
                    noted = now
                    on_wait(self._holder(fd))
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        # the file system's own clock, as it stamps the sources: what a racy timestamp is measured against
        self.acquired_ns = os.fstat(fd).st_mtime_ns
        self._fd = fd

    @staticmethod
    def _holder(fd: int) -> str:
        """The pid the holder wrote into the lock file (a process that wrote none: "another process")."""
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def unlocked_view(root: Path):
    """Yield whether ``root`` is free of writers, holding a shared lock meanwhile so none starts (writes nothing).

    A reader that gets ``False`` leaves the root to a cook, which waits for the lock."""
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        yield True  # never cooked into: nothing to wait for
        return
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the shared lock


@dataclass
class CookJournal:
    """What a running cook may have to undo: an append-only file of records, made durable before every risky step.

    The first line holds the cook's pid, start time and the SHA-256 of the index
    it started from; every later line records one file created or replaced (with
    its backup). Recording costs one appended line per file, and one fsync per
    batch — never a rewrite of what is already recorded.
    """

    root: Path
    index_sha256: str | None
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)
    created: list[str] = field(default_factory=list)
    replaced: list[dict] = field(default_factory=list)  # {"relpath", "backup"}

    @classmethod
    def begin(cls, root: Path) -> "CookJournal":
        journal = cls(root, index_sha256(root))
        path = root / JOURNAL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        head = {"pid": journal.pid, "started": journal.started, "index_sha256": journal.index_sha256}
        write_file_durably(path, (json.dumps(head) + "\n").encode())
        return journal

    def _append(self, records: list[dict]) -> None:
        with open(self.root / JOURNAL_FILE, "ab") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in records).encode())
            fh.flush()
            os.fsync(fh.fileno())

    def _known(self, relpath: str) -> bool:
        return relpath in self._created_set or relpath in self._replaced_set

    def __post_init__(self) -> None:
        self._created_set: set[str] = set(self.created)
        self._replaced_set: set[str] = {r["relpath"] for r in self.replaced}

    def will_write(self, relpath: str) -> None:
        """Record that ``relpath`` is about to be created or overwritten (backup first)."""
        self.will_write_all([relpath])

    def will_write_all(self, relpaths: list[str]) -> None:
        """Record a batch of files about to be created or overwritten: backups first, then one durable append."""
        records = []
        backups = []
        for relpath in relpaths:
            if self._known(relpath):
                continue
            path = self.root / relpath
            old = _small_file(path)
            if old is not None:  # its bytes ride in the record: no backup file to write, sync and remove
                text = base64.b64encode(old).decode("ascii")
                self.replaced.append({"relpath": relpath, "backup": "", "inline": text})
                self._replaced_set.add(relpath)
                records.append({"replaced": relpath, "inline": text})
            elif path.is_file():
                backup = f"{JOURNAL_DIR}/{len(self.replaced):06d}.bak"
                _copy(path, self.root / backup)
                backups.append(self.root / backup)
                self.replaced.append({"relpath": relpath, "backup": backup})
                self._replaced_set.add(relpath)
                records.append({"replaced": relpath, "backup": backup})
            else:
                self.created.append(relpath)
                self._created_set.add(relpath)
                records.append({"created": relpath})
        if backups:  # every backup durable before the record that names it
            _make_durable(self.root, backups)
            fsync_dir(self.root / JOURNAL_DIR)
        if records:
            self._append(records)

    def move_aside(self, relpath: str) -> Path:
        """Move a (large) file into the journal as its own backup and return where it now is (no copy).

        The record comes first: a kill between it and the rename leaves a record
        whose backup does not exist, which repair reads as "never moved".
        """
        backup = f"{JOURNAL_DIR}/{len(self.replaced):06d}.bak"
        self.replaced.append({"relpath": relpath, "backup": backup})
        self._replaced_set.add(relpath)
        self._append([{"replaced": relpath, "backup": backup}])
        os.replace(self.root / relpath, self.root / backup)
        fsync_dir(self.root / JOURNAL_DIR)
        fsync_dir((self.root / relpath).parent)
        return self.root / backup

    def commit(self) -> None:
        """The new index is in place: the journal is no longer needed."""
        _remove_journal(self.root)


INLINE_MAX = 4096  # a replaced file up to this size is backed up inside its journal record


def _small_file(path: Path) -> bytes | None:
    """The bytes of a regular file of at most :data:`INLINE_MAX` bytes; ``None`` for anything else (or nothing)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > INLINE_MAX:
            return None  # a FIFO is never opened (it would wait for a writer)
        with open(path, "rb") as fh:
            data = fh.read(INLINE_MAX + 1)
    except OSError:
        return None
    return data if len(data) <= INLINE_MAX else None


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(1 << 22):
            fout.write(chunk)


_SYNCFS_FROM = 32  # from this many files, one syncfs(2) of the root's file system beats a fsync each


def _syncfs(folder: Path) -> bool:
    """Flush the whole file system holding ``folder`` in one call (Linux ``syncfs``); ``False`` where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY)
    except (OSError, AttributeError):
        return False
    try:
        return getattr(libc, "syncfs", None) is not None and libc.syncfs(fd) == 0
    finally:
        os.close(fd)


def _make_durable(root: Path, paths: list[Path] | list[str]) -> None:
    """Files just written under ``root`` made durable: a fsync each, or — for many — one ``syncfs`` of the root's file system."""
    if len(paths) >= _SYNCFS_FROM and _syncfs(root):
        return
    for path in paths:
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())


def write_files_durably(root: Path, files: dict[str, bytes]) -> None:
    """Write many small files in place (a journal already records them), all durable on return (their folders too)."""
    paths = []
    folders: set[str] = set()  # made once each: thousands of sidecars share a folder
    base = os.fspath(root)
    for relpath, data in files.items():
        path = os.path.join(base, relpath)
        folder = os.path.dirname(path)
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        _overwrite(path, data)
        paths.append(path)
    _make_durable(root, paths)
    for folder in sorted(folders):
        fsync_dir(folder)


def _overwrite(path: str, data: bytes) -> None:
    """``data`` as the whole of ``path``, written over the old bytes: the file is cut only when it was longer (an
    ``O_TRUNC`` that frees a file's blocks first waits on the file system's journal; a sidecar keeps its length).
    A file that another name shares (a snapshot made with hard links) or a link is replaced by a file of its own:
    the other name keeps its bytes (the journal holds the old ones, so a kill in between is repaired)."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            os.unlink(path)
    except FileNotFoundError:
        pass
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666), "wb") as fh:
        fh.write(data)
        fh.flush()
        if os.fstat(fh.fileno()).st_size != len(data):
            fh.truncate(len(data))


def _remove_journal(root: Path) -> None:
    """Backups first, the journal file last: a kill part-way leaves a journal that repair reads again."""
    journal_dir = root / JOURNAL_DIR
    if not journal_dir.is_dir():
        return
    journal_file = root / JOURNAL_FILE
    for item in sorted(journal_dir.iterdir()):
        if item != journal_file:
            item.unlink()
    journal_file.unlink(missing_ok=True)
    journal_dir.rmdir()
    fsync_dir(journal_dir.parent)


def read_journal(root: Path) -> dict | None:
    """The journal of an interrupted cook (its head and every record), ``{}`` when unreadable, ``None`` when there is none."""
    path = root / JOURNAL_FILE
    if not path.is_file():
        return None
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    try:
        head = json.loads(lines[0]) if lines else {}
    except ValueError:
        return {}
    if not isinstance(head, dict):
        return {}
    journal = {**head, "created": [], "replaced": []}
    for line in lines[1:]:
        try:
            record = json.loads(line)
        except ValueError:
            break  # a torn last line: the step it announced never started
        if "created" in record:
            journal["created"].append(record["created"])
        elif "replaced" in record:
            journal["replaced"].append({"relpath": record["replaced"], "backup": record.get("backup", ""), "inline": record.get("inline")})
    return journal


@dataclass
class RecoveryResult:
    """What :func:`recover_root` did; empty when the root was clean."""

    interrupted: dict | None = None  # the journal of the interrupted cook
    rolled_back: bool = False
    actions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    def describe(self) -> str:
        if not self.actions:
            return "nothing to repair"
        head = ""
        if self.interrupted is not None:
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.interrupted.get("started", 0)))
            verdict = "rolled back" if self.rolled_back else "completed (its index had been committed)"
            head = f"an interrupted cook (pid {self.interrupted.get('pid', '?')}, started {started}) was {verdict}; "
        return head + "; ".join(self.actions)


def _safe(root: Path, relpath: str) -> Path | None:
    try:
        return confined(root, relpath)
    except PathEscapesRoot:
        return None


def recover_root(root: Path) -> RecoveryResult:
    """Bring ``root`` back to the last committed container (call with the lock held).

    Raises:
        RootUnusableError: the committed index cannot be read, or a recorded file
            is shorter than the index says (data was lost outside oxcook).
    """
    result = RecoveryResult()
    journal = read_journal(root)
    if (root / INDEX_TEMP).exists():
        (root / INDEX_TEMP).unlink()
        result.actions.append(f"removed unfinished {INDEX_TEMP}")
    if temporary(root / RECORD_FILE).exists():  # a record cut short: the one in place names an older index, or none
        temporary(root / RECORD_FILE).unlink()
        result.actions.append(f"removed unfinished {RECORD_FILE}{TEMP_SUFFIX}")
    if journal is None and (root / JOURNAL_DIR).is_dir():
        # a journal whose first record never became durable (nothing was changed under it),
        # or one whose removal was cut short (everything it named was already dealt with)
        _remove_journal(root)
        result.actions.append("removed an unfinished journal")
    if journal is not None:
        result.interrupted = journal
        committed = index_sha256(root) != journal.get("index_sha256")
        result.rolled_back = not committed
        if not committed:
            for entry in journal.get("replaced", []):
                target, backup = _safe(root, entry.get("relpath", "")), _safe(root, entry.get("backup", ""))
                if target is not None and isinstance(entry.get("inline"), str):
                    try:
                        old = base64.b64decode(entry["inline"], validate=True)
                    except ValueError:
                        continue  # a record not written by a cook: nothing to restore from it
                    write_file_durably(target, old)  # again if a repair was cut short: the same bytes
                    result.actions.append(f"restored {entry['relpath']}")
                elif target is not None and backup is not None and backup.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(backup, target)  # a rename, not a copy: large data files come back at once
                    fsync_dir(target.parent)
                    result.actions.append(f"restored {entry['relpath']}")
            for relpath in journal.get("created", []):
                target = _safe(root, relpath)
                if target is not None and target.is_file():
                    target.unlink()
                    result.actions.append(f"removed {relpath}")
        for relpath in [*journal.get("created", []), *(entry.get("relpath", "") for entry in journal.get("replaced", []))]:
            target = _safe(root, relpath)
            if target is not None and temporary(target).is_file():
                temporary(target).unlink()
                result.actions.append(f"removed unfinished {relpath}{TEMP_SUFFIX}")
        _remove_journal(root)
        if not result.actions:
            result.actions.append("discarded the journal")
    index_path = root / INDEX_FILE_NAME
    if index_path.is_file():
        try:
            index = parse_index(index_path.read_bytes())
        except FormatError as exc:
            raise RootUnusableError(f"{index_path}: {exc.message}") from exc
        for record in index.files:
            path = _safe(root, record.relpath)
            if path is None or not path.is_file():
                continue
            size = path.stat().st_size
            if size > record.size:
                with open(path, "r+b") as fh:
                    fh.truncate(record.size)
                    os.fsync(fh.fileno())
                result.actions.append(f"truncated {record.relpath} from {size} to {record.size} bytes")
            elif size < record.size:
                raise RootUnusableError(f"{path}: {size} bytes, but the index records {record.size}; data was lost")
    return result
