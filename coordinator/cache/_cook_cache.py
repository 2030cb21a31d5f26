"""``CookCache``: cooked results found by what they were made of, so unchanged work is never done twice.

Tiers, looked up in order: the local folder (on by default), then the shared
tier (a Redis or a folder on shared storage) whose hits are copied to the local
one. A miss says why — ``new source``, ``source changed``, ``settings changed
(quality: default → high)``, ``cooker version changed``, ``evicted``, ``entry
corrupt`` — from the facts recorded the last time the same source was cooked.
Every entry is checksummed; a corrupt one is dropped and cooked again. Sources
on disk are hashed through the stat cache. Blocking: call it off the loop.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from oxcook.worker import (
    CacheKey,
    CorruptEntry,
    FolderTier,
    MeshResult,
    MeshWork,
    TextureResult,
    TextureWork,
    mesh_key,
    miss_reason,
    open_shared_tier,
    pack_entry,
    readdress,
    texture_key,
    unpack_entry,
)

from ._stat_cache import StatCache

DEFAULT_MAX_BYTES = 10 * 2**30


def default_cache_dir() -> Path:
    """``$OXCOOK_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/oxcook``."""
    if os.environ.get("OXCOOK_CACHE"):
        return Path(os.environ["OXCOOK_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "oxcook"


@dataclass(frozen=True, kw_only=True)
class CacheSettings:
    """Where the cook cache lives. ``local=None`` and ``shared=None``: the cache is off."""

    local: Path | None = None
    shared: str | None = None  # redis://… / rediss://…, or a folder
    max_bytes: int = DEFAULT_MAX_BYTES
    verify_fraction: float = 0.0  # share of hits cooked again and compared (DDC-verify)

    @property
    def enabled(self) -> bool:
        return self.local is not None or self.shared is not None


@dataclass(frozen=True)
class Lookup:
    result: TextureResult | MeshResult | None
    status: str  # "hit" | "miss" | "off"
    reason: str = ""  # why it missed


class CookCache:
    def __init__(self, settings: CacheSettings) -> None:
        self.settings = settings
        self.local = FolderTier(settings.local) if settings.local is not None else None
        self.shared = open_shared_tier(settings.shared) if settings.shared else None
        self.stat = StatCache(settings.local / "stat.json" if settings.local is not None else None)
        self._records_path = settings.local / "sources.json" if settings.local is not None else None
        self._records: dict[str, dict] = self._load_records()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.local is not None or self.shared is not None

    def _load_records(self) -> dict:
        if self._records_path is None:
            return {}
        try:
            data = json.loads(self._records_path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    # --- keys --------------------------------------------------------------------------------------

    def key_for(self, work: TextureWork | MeshWork) -> CacheKey:
        """The work item's cache key (sources on disk hashed through the stat cache)."""
        if isinstance(work, MeshWork):
            return mesh_key(work.arrays)
        if work.sources:
            digests = [hashlib.sha256(s).digest() for s in work.sources]
        else:
            digests = [self.stat.digest(Path(p)) for p in work.paths]
        return texture_key(digests, work.desc, work.encoder_target)

    @staticmethod
    def identity(work: TextureWork | MeshWork) -> str:
        """What makes "the same source" across cooks (for miss reasons): its files, else its id."""
        return "|".join(work.paths) if isinstance(work, TextureWork) and work.paths else work.source_id

    # --- lookup and store ---------------------------------------------------------------------------

    def lookup(self, work: TextureWork | MeshWork, key: CacheKey) -> Lookup:
        if not self.enabled:
            return Lookup(None, "off")
        kind = TextureResult if isinstance(work, TextureWork) else MeshResult
        corrupt = False
        for tier in (self.local, self.shared):
            if tier is None:
                continue
            data = tier.get(key.digest)
            if data is None:
                continue
            try:
                result = unpack_entry(data, key.digest, kind)
            except CorruptEntry:
                corrupt = True
                tier.discard(key.digest)
                continue
            if tier is self.shared and self.local is not None:
                self.local.put(key.digest, data)
            self._remember(work, key)
            return Lookup(readdress(result, work), "hit")
        with self._lock:
            previous = self._records.get(self.identity(work))
        return Lookup(None, "miss", "entry corrupt" if corrupt else miss_reason(key, previous))

    def store(self, work: TextureWork | MeshWork, key: CacheKey, result: TextureResult | MeshResult) -> None:
        """Keep a successful result under ``key`` in every tier (failures are never cached)."""
        if not self.enabled or not result.ok:
            return
        data = pack_entry(dataclasses.replace(result, key=key.digest, cook_ms=0.0))
        for tier in (self.local, self.shared):
            if tier is not None:
                tier.put(key.digest, data)
        self._remember(work, key)

    def _remember(self, work, key: CacheKey) -> None:
        with self._lock:
            self._records[self.identity(work)] = key.facts()

    def should_verify(self, key: CacheKey) -> bool:
        """Whether this hit is one of the ``verify_fraction`` cooked again (chosen by key, so reproducible)."""
        fraction = self.settings.verify_fraction
        return fraction > 0 and int(key.digest[:8], 16) < fraction * 2**32

    def close(self) -> None:
        """Write what this run learnt (stat cache, source records) and keep the local tier within its size."""
        try:
            self.stat.save()
            if self._records_path is not None:
                self._records_path.parent.mkdir(parents=True, exist_ok=True)
                with self._lock:
                    text = json.dumps(self._records, separators=(",", ":"))
                fd, temp = tempfile.mkstemp(dir=self._records_path.parent, prefix=".tmp-sources-")
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                os.replace(temp, self._records_path)
            if self.local is not None:
                self.local.prune(self.settings.max_bytes)
        except OSError:
            pass  # the cache is an optimisation: failing to update it never fails a cook

