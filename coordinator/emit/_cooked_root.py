"""Filesystem access to a cooked root, confined to that root.

:class:`CookedRootFiles` is the filesystem side of ``formats.ContainerFiles``:
the validator and the writer read container files through it. Paths come from
an index we do not trust, so every one is resolved (symlinks included) and
refused when it leaves the root.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import PathEscapesRoot


def confined(root: Path, relpath: str) -> Path:
    """``root / relpath``, resolved, provided it stays inside ``root``.

    Raises:
        PathEscapesRoot: absolute paths, ``..`` or symlinks lead outside ``root``.
    """
    base = Path(os.path.realpath(root))
    if os.path.isabs(relpath) or "\\" in relpath or "\0" in relpath:
        raise PathEscapesRoot(f"{relpath!r} is not a path inside {base}")
    target = Path(os.path.realpath(base / relpath))
    if target != base and base not in target.parents:
        raise PathEscapesRoot(f"{relpath!r} leads outside {base}")
    return target


class CookedRootFiles:
    """Read-only access to one cooked root by container-relative path.

    Each path is resolved and checked once per instance (one pass over the root: a validation reads one data
    file at thousands of offsets)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._confined: dict[str, Path] = {}

    def _path(self, relpath: str) -> Path:
        path = self._confined.get(relpath)
        if path is None:
            path = self._confined[relpath] = confined(self.root, relpath)
        return path

    def size(self, relpath: str) -> int | None:
        try:
            path = self._path(relpath)
        except PathEscapesRoot:
            return None
        try:
            return path.stat().st_size if path.is_file() else None
        except OSError:
            return None

    def read(self, relpath: str, offset: int = 0, length: int | None = None) -> bytes:
        with open(self._path(relpath), "rb") as fh:
            fh.seek(offset)
            return fh.read() if length is None else fh.read(length)
