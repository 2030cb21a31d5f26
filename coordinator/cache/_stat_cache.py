"""The stat cache: (path, size, mtime_ns, inode) → the SHA-256 of the file's bytes, like git's index.

A warm re-cook of unchanged files then costs a ``stat`` per file, not a read.
A file whose size, modification time or inode changed is hashed again. The
cache is one JSON file, read when a cook starts and written (atomically) when
it ends; two cooks that race simply keep the last one's view.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from oxcook.formats import printable_name

_CHUNK = 1 << 20


def file_sha256(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.digest()


class StatCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, list] = {}
        self._dirty = False
        self.hashed = 0  # files read and hashed during this run (the rest were known)
        if path is not None:
            try:
                data = json.loads(path.read_text())
                self._entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._entries = {}

    def digest(self, path: Path) -> bytes:
        """The SHA-256 of ``path``'s bytes: from the cache when its stat is unchanged, else read and hashed."""
        st = os.stat(path)
        name = printable_name(os.path.abspath(path))
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        with self._lock:
            known = self._entries.get(name)
        if known is not None and known[:3] == stamp:
            return bytes.fromhex(known[3])
        digest = file_sha256(path)
        with self._lock:
            self._entries[name] = stamp + [digest.hex()]
            self._dirty = True
            self.hashed += 1
        return digest

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            text = json.dumps(self._entries, separators=(",", ":"))
            self._dirty = False
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-stat-")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(temp, self.path)
