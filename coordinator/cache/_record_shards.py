"""Records of the cook cache's own (the stat cache, the source records) kept in 256 shards, read and written shard by shard.

A record's shard is named by the first two hex digits of the SHA-1 of its key
(:func:`shard_of`): ``<folder>/<xx>.json``, one JSON object each. A shard is
read the first time one of its keys is asked for, and written back (whole,
atomically) only when a record in it changed, so a cook that looks up a few
sources reads and writes a few small files whatever the cache holds. Cooks that
share a cache each lay only the records they changed over the shard as it is on
disk when they save, one at a time (a lock file), so none loses another's. A shard file is anyone's to
edit: it is read as the cache's own file (no link followed, bounded in size),
and only records ``keep`` accepts are used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Callable

from oxcook.worker.cache import UnusableEntry, read_cache_file, write_atomically


# a shard holds 1/256 of the records (some 150 and 700 bytes a source): room for ~10 million sources. A larger
# file is ignored with a warning, and rewritten with what this cook learnt when one of its records changes.
MAX_SHARD_BYTES = 32 * 2**20


def shard_of(key: str) -> str:
    """The shard a record's key belongs to: two hex digits."""
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:2]


class ShardedRecords:
    """Records by key under ``folder`` (``None``: in memory only, nothing read or written).

    Args:
        keep: whether a record read from a file is one this cache writes (the rest are forgotten).
        unusable: told of a shard's path that cannot be the cache's own file (a link, a FIFO, too large): ignored.
        read: whether to read the records already there (``False``: start from nothing, as ``--rebuild`` asks).
    """

    def __init__(self, folder: Path | None, keep: Callable[[object], bool], unusable: Callable[[UnusableEntry], None], *, read: bool = True) -> None:
        self.folder = folder
        self._keep = keep
        self._unusable = unusable
        self._read = read and folder is not None
        self._lock = threading.Lock()
        self._shards: dict[str, dict] = {}
        self._changed: dict[str, dict] = {}  # shard -> the records this cook put in it since its last save

    def _shard(self, name: str) -> dict:
        """The records of shard ``name``, read on first use (call with the lock held)."""
        records = self._shards.get(name)
        if records is None:
            records = self._shards[name] = self._load(name) if self._read else {}
        return records

    def _load(self, name: str) -> dict:
        try:
            data = read_cache_file(self.folder / f"{name}.json", MAX_SHARD_BYTES)
        except UnusableEntry as exc:
            self._unusable(exc)
            return {}
        try:
            value = json.loads(data) if data is not None else {}
        except ValueError:
            return {}  # a torn or hand-edited shard: rebuilt as the cook goes
        return {k: v for k, v in value.items() if self._keep(v)} if isinstance(value, dict) else {}

    def get(self, key: str):
        with self._lock:
            return self._shard(shard_of(key)).get(key)

    def put(self, key: str, value) -> None:
        name = shard_of(key)
        with self._lock:
            records = self._shard(name)
            if records.get(key) != value:
                records[key] = value
                self._changed.setdefault(name, {})[key] = value

    def save(self) -> None:
        """Write every shard with a changed record: the shard as it is on disk now, with this cook's changed
        records laid over it; raises ``OSError`` when the folder cannot be written."""
        if self.folder is None:
            return
        with self._lock:
            changed, self._changed = self._changed, {}
        if not changed:
            return
        try:
            with self._saving():
                for name in sorted(changed):
                    records = {**self._load(name), **changed[name]}
                    write_atomically(self.folder / f"{name}.json", json.dumps(records, separators=(",", ":")).encode())
        except BaseException:
            with self._lock:  # not written: still this cook's to save
                for name, records in changed.items():
                    self._changed[name] = {**records, **self._changed.get(name, {})}
            raise

    @contextlib.contextmanager
    def _saving(self):
        """Saves of every cook sharing this folder, one at a time (the lock file is never followed through a link)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
