"""The stat cache: (path, size, mtime_ns, ctime_ns, inode) → the SHA-256 of the file's bytes, like git's index.

A warm re-cook of unchanged files then costs a ``stat`` per file, not a read.
A file whose size, modification time or inode changed is hashed again. The
records live in shards by path (``stat/<xx>.json``, :mod:`._record_shards`),
each read when a cook first asks for one of its files and written (atomically)
when it ends if it learnt something; two cooks that race keep the last one's view.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

from oxcook.formats import printable_name

_CHUNK = 1 << 20
_DIGEST = re.compile("[0-9a-f]{64}")


def file_sha256(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.digest()


class StatCache:
    """``store``: the records (sharded by path, :class:`ShardedRecords`), what they held when read and what this run learnt."""

    def __init__(self, store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.hashed = 0  # files read and hashed during this run (the rest were known)

    def digest(self, path: Path) -> bytes:
        """The SHA-256 of ``path``'s bytes: from the cache when its stat is unchanged, else read and hashed."""
        st = os.stat(path)
        name = printable_name(os.path.abspath(path))
        # ctime too: a tool can restore an edited file's size and mtime (``touch -d``, ``cp -p``), never its ctime
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        known = self._store.get(name)
        if known is not None and known[:4] == stamp:
            return bytes.fromhex(known[4])
        digest = file_sha256(path)
        self._store.put(name, stamp + [digest.hex()])
        with self._lock:
            self.hashed += 1
        return digest

    def save(self) -> None:
        """Write what this run learnt; raises ``OSError`` when it cannot be written."""
        self._store.save()


def well_formed(value) -> bool:
    """A record as :meth:`StatCache.digest` writes it: ``[size, mtime_ns, ctime_ns, inode, sha256 hex]`` (the file is anyone's to edit)."""
    return (
        isinstance(value, list)
        and len(value) == 5
        and all(type(v) is int for v in value[:4])
        and isinstance(value[4], str)
        and _DIGEST.fullmatch(value[4]) is not None
    )
