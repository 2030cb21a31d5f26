"""``audit_entry``: one cache entry cooked again here and compared byte for byte (``oxcook cache verify``).

An entry written by a cook that read its source from files records its recipe
(paths, settings, encoder target; ``worker.cache._entry``). The audit reads
those files, checks they still hash to the entry's key — a source edited
since is not a lie, only an entry no cook will look up again — cooks them in
this process and compares the result with the entry's. An entry that cannot
be cooked again this way (embedded source bytes, a mesh, an entry of an older
frame, a source gone or changed) is *not audited*, with the reason: never
passed in silence.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from oxcook.worker.cache import CorruptEntry, OutdatedEntry, read_entry, texture_key
from oxcook.worker.wire import MeshResult, Result, TextureResult

MATCH, MISMATCH, UNAUDITED, CORRUPT = "match", "mismatch", "not audited", "corrupt"
_SHAPE = ("texture_type", "width", "height", "depth", "array_layers", "mip_levels", "format", "content_hash", "flags")


def same_cook(a: Result, b: Result) -> bool:
    """Whether two successful results are the same cook, byte for byte (payload and every field the container records)."""
    if isinstance(a, TextureResult):
        return a.cooked.payload == b.cooked.payload and all(getattr(a.cooked, n) == getattr(b.cooked, n) for n in _SHAPE)
    return a.mesh == b.mesh


@dataclass(frozen=True)
class Finding:
    """What the audit of one entry found."""

    key: str
    outcome: str  # MATCH, MISMATCH, UNAUDITED or CORRUPT
    source_id: str = ""
    cooked_by: str = ""
    reason: str = ""


def audit_entry(key: str, data: bytes) -> Finding:
    """Cook the entry ``data`` under ``key`` again here and compare (blocking: reads its sources and cooks)."""
    try:
        entry = read_entry(data, key, (TextureResult, MeshResult))
    except OutdatedEntry as exc:  # not damage: a cook that asks for it misses, says why, and cooks it again
        return Finding(key, UNAUDITED, reason=f"{exc}; a cook that asks for it cooks it again")
    except CorruptEntry as exc:
        return Finding(key, CORRUPT, reason=str(exc))
    result, who = entry.result, entry.cooked_by or "an unknown cook (the entry does not say)"
    if isinstance(result, MeshResult):
        return Finding(key, UNAUDITED, result.source_id, who, "a mesh entry does not record the arrays it was built from")
    recipe = entry.recipe
    if recipe is None:
        return Finding(key, UNAUDITED, result.source_id, who, "the entry does not record its source (it was cooked from embedded image bytes)")
    try:
        sources = tuple(Path(p).read_bytes() for p in recipe.paths)
    except OSError as exc:
        return Finding(key, UNAUDITED, result.source_id, who, f"its source {exc.filename} cannot be read ({exc.strerror or exc})")
    if texture_key([hashlib.sha256(s).digest() for s in sources], recipe.desc, recipe.encoder_target).digest != key:
        return Finding(key, UNAUDITED, result.source_id, who, f"its source changed since it was cooked ({', '.join(recipe.paths)})")
    from oxcook.worker import run_work  # the cooker (numpy, Pillow, the encoder) only for an audit: a cook's imports stay light

    here = run_work(dataclasses.replace(recipe, sources=sources, paths=()))
    if not here.ok:
        return Finding(key, UNAUDITED, result.source_id, who, f"a cook here failed: {here.error.message}")
    return Finding(key, MATCH if same_cook(result, here) else MISMATCH, result.source_id, who)
