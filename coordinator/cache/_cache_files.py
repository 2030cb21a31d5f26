"""The cook cache's own files besides its entries, read as a cook and a plan both read them.

A local cache folder holds ``stat.json`` (the stat cache: a file's stamp → the
SHA-256 of its bytes) and ``sources.json`` (per source, the facts of the key it
was last cooked under, which explain a later miss). Both are anyone's to edit,
so each is read as the cache's own file (:func:`worker.read_cache_file`: no
link followed, bounded in size) and only records of the shape the cache writes
are kept. Loads no cooking stack: ``oxcook cook --dry-run`` reads them too.
"""

from __future__ import annotations

import json
from pathlib import Path

from oxcook.worker.cache import MAX_ENTRY_BYTES, FolderTier, UnusableEntry, read_cache_file

from ._cache_settings import CacheSettings

# stat.json and sources.json hold some 150 and 700 bytes a source: this is room for ~700 000 sources. A larger file
# is ignored with a warning, and the cook's end rewrites it with what this cook learnt, which is smaller.
MAX_RECORDS_BYTES = 512 * 2**20
STAT_FILE, RECORDS_FILE = "stat.json", "sources.json"


def local_tier(settings: CacheSettings) -> FolderTier | None:
    """The local folder tier (``None``: off). An entry larger than the whole cache would be pruned as soon as the
    cook ends, so it is not worth reading."""
    return FolderTier(settings.local, max_entry_bytes=min(settings.max_bytes, MAX_ENTRY_BYTES)) if settings.local is not None else None


def read_json_object(path: Path | None) -> dict:
    """The JSON object a cache file holds; ``{}`` when there is none, or it is not one.

    Raises:
        UnusableEntry: the path holds something that cannot be the cache's own file (a link, a FIFO, too large).
    """
    if path is None:
        return {}
    data = read_cache_file(path, MAX_RECORDS_BYTES)
    try:
        value = json.loads(data) if data is not None else {}
    except ValueError:
        return {}  # a torn or hand-edited file: rebuilt as the cook goes
    return value if isinstance(value, dict) else {}


def source_records(raw: dict) -> dict[str, dict]:
    """The records of ``sources.json`` as the cache writes them (the rest is forgotten)."""
    return {k: v for k, v in raw.items() if isinstance(v, dict) and isinstance(v.get("settings", {}), dict)}


def source_identity(paths: tuple[str, ...], source_id: str) -> str:
    """What makes "the same source" across cooks (for miss reasons): its files, else its id."""
    return "|".join(paths) if paths else source_id


def unusable_message(exc: UnusableEntry, outcome: str) -> str:
    """The warning for a path in the cache folder that cannot be one of its files (``outcome``: what was done instead)."""
    return f"cook cache: {exc.path} {exc.problem}; {outcome} (the cache reads only its own regular files)"
