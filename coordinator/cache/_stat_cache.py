"""The stat cache: (path, size, mtime_ns, ctime_ns, inode) → the SHA-256 of the file's bytes, like git's index.

A warm re-cook of unchanged files then costs a ``stat`` per file, not a read.
A file whose size, modification time or inode changed is hashed again. The
cache is one JSON file, read when a cook starts (by the cook cache, which
vets the file) and written (atomically) when it ends; two cooks that race
simply keep the last one's view.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
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
    """``known``: what ``path`` held when the cook started (saved back there, with what this run learnt)."""

    def __init__(self, path: Path | None, known: dict | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, list] = {name: v for name, v in (known or {}).items() if _well_formed(v)}
        self._dirty = False
        self.hashed = 0  # files read and hashed during this run (the rest were known)

    def digest(self, path: Path) -> bytes:
        """The SHA-256 of ``path``'s bytes: from the cache when its stat is unchanged, else read and hashed."""
        st = os.stat(path)
        name = printable_name(os.path.abspath(path))
        # ctime too: a tool can restore an edited file's size and mtime (``touch -d``, ``cp -p``), never its ctime
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        with self._lock:
            known = self._entries.get(name)
        if known is not None and known[:4] == stamp:
            return bytes.fromhex(known[4])
        digest = file_sha256(path)
        with self._lock:
            self._entries[name] = stamp + [digest.hex()]
            self._dirty = True
            self.hashed += 1
        return digest

    def save(self) -> None:
        """Write the cache to ``path`` atomically; raises ``OSError`` when it cannot be written."""
        if self.path is None or not self._dirty:
            return
        with self._lock:
            text = json.dumps(self._entries, separators=(",", ":"))
        write_atomically(self.path, text)
        with self._lock:
            self._dirty = False


def write_atomically(path: Path, text: str) -> None:
    """``text`` as ``path``'s new content, all or nothing (a temporary file renamed over it; a link there is replaced, not followed).

    Raises:
        OSError: the folder cannot be written (read-only, full, gone); no temporary file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _well_formed(value) -> bool:
    """A record as :meth:`StatCache.digest` writes it: ``[size, mtime_ns, ctime_ns, inode, sha256 hex]`` (the file is anyone's to edit)."""
    return (
        isinstance(value, list)
        and len(value) == 5
        and all(type(v) is int for v in value[:4])
        and isinstance(value[4], str)
        and _DIGEST.fullmatch(value[4]) is not None
    )
