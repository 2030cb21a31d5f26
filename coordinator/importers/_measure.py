"""What a cook knows of each texture before anything is decoded: the size its header states, and why not.

:func:`measure` is the one read of a texture's file before a worker reads it:
the cook plans from it (order, splits, the memory a result will take, the size
every result is checked against) and ``oxcook cook --dry-run`` shows it. The
headers of PNG and Radiance files are read without a decoder library
(``worker.image_size``).
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from oxcook.worker import ImportSeverity
from oxcook.worker.cook import HEADER_BYTES, image_size, sniff_format

from .._types import TextureSource
from ..cache import Stamp
from ..emit import stamp_from, stamp_of

_FIRST_READ = 16 * 1024


class Extent(NamedTuple):
    """What the plan knows of a texture before anything is decoded."""

    size: tuple[int, int] | None  # (width, height) of its first image, from the header; None: unreadable (every result is then refused)
    file_bytes: int = 0  # encoded bytes of its first image: among equal sizes, more detail (more distinct blocks) to encode
    stamps: tuple[Stamp, ...] | None = None  # its files as stat saw them before any was read (what the build record keeps)
    problem: str = ""  # why ``size`` is None: refused, unreadable, empty, not an image, a header no decoder reads


def measure(textures: list[TextureSource]) -> list[Extent]:
    """Each texture's :class:`Extent`, from the header of its first image — embedded bytes, or the
    first :data:`~worker.HEADER_BYTES` of its file (the whole file only when its header lies beyond
    them). Decodes no pixel; the one file read of the plan. The size is also what every worker's
    result is checked against, so it is read here and never taken from a worker."""
    return [_extent(source) for source in textures]


def _extent(source: TextureSource) -> Extent:
    refused = next((n for n in source.notes if n.severity == ImportSeverity.ERROR), None)
    if refused is not None:
        return Extent(None, problem=refused.message)  # refused already (a FIFO, a device, a path outside the folder): never opened
    if source.data:
        size = image_size(source.data[0], source.source_id)
        return Extent(size, len(source.data[0]), problem=_header_problem(source.data[0], size, source.source_id))
    if not source.paths:
        return Extent(None, problem="no image")
    try:  # non-blocking, and regular files only: a FIFO swapped in since the scan cannot hang the plan
        with open(os.open(source.paths[0], os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Extent(None, problem="not a regular file")
            head = fh.read(_FIRST_READ)  # enough for nearly every header; the rest only when a header is longer (big EXIF)
            size = image_size(head, source.source_id)
            if size is None and len(head) == _FIRST_READ:
                head += fh.read(HEADER_BYTES - _FIRST_READ)
                size = image_size(head, source.source_id)
            if size is None and len(head) == HEADER_BYTES:  # a header behind more metadata (a JPEG's big EXIF): rare, so read whole
                size = image_size(head + fh.read(), source.source_id)
    except OSError as exc:  # unreadable now: the worker reads it and says why
        return Extent(None, problem=f"cannot be read: {exc.strerror or exc}")
    stamps = (stamp_from(source.paths[0], info), *(stamp_of(p) for p in source.paths[1:]))
    return Extent(size, info.st_size, None if None in stamps else stamps, _header_problem(head, size, source.source_id))


def _header_problem(head: bytes, size: tuple[int, int] | None, hint: str) -> str:
    """Why no size could be read from ``head`` (``""`` when one was)."""
    if size is not None:
        return ""
    if not head:
        return "the file is empty"
    fmt = sniff_format(head, hint)
    return "not an image format oxcook reads" if fmt is None else f"its {fmt.upper()} header cannot be read"
