"""The cook cache's own files besides its entries, read as a cook and a plan both read them.

A local cache folder holds ``stat/`` (the stat cache: a file's stamp → the
SHA-256 of its bytes) and ``sources/`` (per source, the facts of the key it
was last cooked under, which explain a later miss), each in 256 shards
(:mod:`._record_shards`). Both are anyone's to edit, so each shard is read as
the cache's own file (:func:`worker.read_cache_file`: no link followed,
bounded in size) and only records of the shape the cache writes are kept.
Loads no cooking stack: ``oxcook cook --dry-run`` reads them too.
"""

from __future__ import annotations

from typing import Callable

from oxcook.worker.cache import MAX_ENTRY_BYTES, FolderTier, UnusableEntry

from ._cache_settings import CacheSettings
from ._record_shards import ShardedRecords
from ._stat_cache import well_formed

STAT_DIR, RECORDS_DIR = "stat", "sources"
# the same records in an older layout, one JSON file each: nothing reads them, and a cook that writes its records removes them
UNSHARDED_FILES = ("stat.json", "sources.json")


def remove_unsharded(settings: CacheSettings) -> None:
    """Remove the records of the older layout from the local folder (raises ``OSError`` when it cannot)."""
    if settings.local is not None:
        for name in UNSHARDED_FILES:
            (settings.local / name).unlink(missing_ok=True)


def local_tier(settings: CacheSettings) -> FolderTier | None:
    """The local folder tier (``None``: off). An entry larger than the whole cache would be pruned as soon as the
    cook ends, so it is not worth reading."""
    return FolderTier(settings.local, max_entry_bytes=min(settings.max_bytes, MAX_ENTRY_BYTES)) if settings.local is not None else None


def _source_record(value) -> bool:
    """A record of ``sources/`` as the cache writes it."""
    return isinstance(value, dict) and isinstance(value.get("settings", {}), dict)


def stat_records(settings: CacheSettings, unusable: Callable[[UnusableEntry], None]) -> ShardedRecords:
    """The stat cache's records of the local folder (none read when stamps are not trusted; in memory without a folder)."""
    folder = settings.local / STAT_DIR if settings.local is not None else None
    return ShardedRecords(folder, well_formed, unusable, read=settings.trust_stat)


def source_records(settings: CacheSettings, unusable: Callable[[UnusableEntry], None]) -> ShardedRecords:
    """The source records of the local folder (in memory without a folder)."""
    return ShardedRecords(settings.local / RECORDS_DIR if settings.local is not None else None, _source_record, unusable)


def source_identity(paths: tuple[str, ...], source_id: str) -> str:
    """What makes "the same source" across cooks (for miss reasons): its files, else its id."""
    return "|".join(paths) if paths else source_id


def unusable_message(exc: UnusableEntry, outcome: str) -> str:
    """The warning for a path in the cache folder that cannot be one of its files (``outcome``: what was done instead)."""
    return f"cook cache: {exc.path} {exc.problem}; {outcome} (the cache reads only its own regular files)"
