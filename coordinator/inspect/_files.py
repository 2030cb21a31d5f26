"""Read access to a cooked root that keeps its big data files open (a page reads thousands of
small pieces of ``textures.data``: one open and one path check for the file, not one per piece)."""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import PathEscapesRoot
from ..emit import confined


class HeldFiles:
    """The ``ContainerFiles`` shape over a root, paths confined to it; the files named in ``hold`` stay
    open until :meth:`close`, every other file (descriptors, sidecars: thousands) is opened per read."""

    def __init__(self, root: Path, hold: frozenset[str] = frozenset()) -> None:
        self._root = root
        self._hold = hold
        self._open: dict[str, int] = {}

    def __enter__(self) -> "HeldFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fd(self, relpath: str) -> int:
        fd = self._open.get(relpath)
        if fd is None:
            fd = self._open[relpath] = os.open(confined(self._root, relpath), os.O_RDONLY)
        return fd

    def size(self, relpath: str) -> int | None:
        try:
            if relpath in self._hold:
                return os.fstat(self._fd(relpath)).st_size
            path = confined(self._root, relpath)
            return path.stat().st_size if path.is_file() else None
        except (OSError, PathEscapesRoot):
            return None

    def read(self, relpath: str, offset: int = 0, length: int | None = None) -> bytes:
        if relpath not in self._hold:
            with open(confined(self._root, relpath), "rb") as fh:
                fh.seek(offset)
                return fh.read() if length is None else fh.read(length)
        fd = self._fd(relpath)
        if length is None:
            length = max(0, os.fstat(fd).st_size - offset)
        return os.pread(fd, length, offset)

    def close(self) -> None:
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()
