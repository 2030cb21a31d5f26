"""``CookCache``: cooked results found by what they were made of, so unchanged work is never done twice.

Tiers, looked up in order: the local folder (on by default), then the shared
tier (a Redis or a folder on shared storage) whose hits are copied to the local
one. A miss says why — ``new source``, ``source changed``, ``settings changed
(quality: default → high)``, ``cooker version changed``, ``evicted``, ``entry
corrupt``, ``entry of an older format`` (a frame this oxcook no longer reads), ``entry without quality figures``
(cooked with ``--no-quality``) — from the facts recorded the last time the same source was cooked.
Every entry is checksummed; a corrupt one is dropped and cooked again. Sources
on disk are hashed through the stat cache. Blocking: call it off the loop.

The cache is an accelerator, never a reason for a cook to fail or wait: a file
in its folder that cannot be one of its own (a link, a FIFO, a directory, a
device, too large) is a miss, and a tier that cannot be written (read-only,
full, gone) keeps nothing. Either is a warning, said once per problem and
collected by :meth:`CookCache.take_warnings`; the cook's outcome is what it
would be without a cache.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cache import (
    CacheKey,
    CorruptEntry,
    OutdatedEntry,
    UnusableEntry,
    lacks_quality,
    mesh_key,
    miss_reason,
    open_shared_tier,
    pack_entry,
    texture_key,
    unpack_entry,
)
from oxcook.worker.wire import MeshResult, MeshWork, TextureResult, TextureWork

from ._cache_files import local_tier, remove_unsharded, source_identity, source_records, stat_records, unusable_message
from ._cache_settings import CacheSettings
from ._stat_cache import StatCache

FILE_UNUSABLE, UNWRITABLE = "cache-file-unusable", "cache-unwritable"


@dataclass(frozen=True)
class Lookup:
    """The cache's answer for a work item: on a hit, the entry's result, kept under its cache key (what it holds names
    no source: whoever asked places it under its own id)."""

    result: TextureResult | MeshResult | None
    status: str  # "hit" | "miss" | "off"
    reason: str = ""  # why it missed


class CookCache:
    def __init__(self, settings: CacheSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._warnings: dict[tuple[str, str], ImportDiagnostic] = {}  # (code, what it is about): said once
        self.local = local_tier(settings)
        self.shared = open_shared_tier(settings.shared) if settings.shared else None
        unusable = lambda exc: self._unusable(exc, "ignored")  # noqa: E731
        self.stat = StatCache(stat_records(settings, unusable))
        self._records = source_records(settings, unusable)

    @property
    def enabled(self) -> bool:
        return self.local is not None or self.shared is not None

    # --- warnings ----------------------------------------------------------------------------------

    def _warn(self, code: str, about: str, message: str) -> None:
        with self._lock:
            self._warnings.setdefault((code, about), ImportDiagnostic(ImportSeverity.WARNING, code, message))

    def _unusable(self, exc: UnusableEntry, outcome: str) -> None:
        self._warn(FILE_UNUSABLE, str(exc.path), unusable_message(exc, outcome))

    def _unwritable(self, tier, exc: OSError) -> None:
        where = getattr(tier, "root", tier.name)
        name = exc.filename2 or exc.filename
        detail = f"{exc.strerror or exc}: {name}" if name else f"{exc.strerror or exc}"
        self._warn(UNWRITABLE, str(where), f"the {tier.name} cook cache at {where} cannot be written ({detail}); the cook goes on without keeping its results there")

    def take_warnings(self) -> list[ImportDiagnostic]:
        """The warnings since the last call (each problem once), for the report of the job that ends."""
        with self._lock:
            warnings, self._warnings = list(self._warnings.values()), {}
        return warnings

    def _put(self, tier, digest: str, data: bytes) -> None:
        try:
            tier.put(digest, data)
        except OSError as exc:
            self._unwritable(tier, exc)

    def _discard(self, tier, digest: str) -> None:
        try:
            tier.discard(digest)
        except OSError as exc:
            self._unwritable(tier, exc)

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
        return source_identity(work.paths if isinstance(work, TextureWork) else (), work.source_id)

    # --- lookup and store ---------------------------------------------------------------------------

    def lookup(self, work: TextureWork | MeshWork, key: CacheKey) -> Lookup:
        if not self.enabled:
            return Lookup(None, "off")
        kind = TextureResult if isinstance(work, TextureWork) else MeshResult
        corrupt = outdated = unmeasured = False
        for tier in (self.local, self.shared):
            if tier is None:
                continue
            try:
                data = tier.get(key.digest)
            except UnusableEntry as exc:
                self._unusable(exc, "cooked again")
                continue
            if data is None:
                continue
            try:
                result = unpack_entry(data, key.digest, kind)
            except OutdatedEntry:
                outdated = True
                self._discard(tier, key.digest)
                continue
            except CorruptEntry:
                corrupt = True
                self._discard(tier, key.digest)
                continue
            if lacks_quality(result, work):
                unmeasured = True  # a valid entry, cooked without figures: this cook asks for them
                continue
            if tier is self.shared and self.local is not None:
                self._put(self.local, key.digest, data)
            self._remember(work, key)
            return Lookup(result, "hit")
        previous = self._records.get(self.identity(work))
        if corrupt or outdated or unmeasured:
            return Lookup(None, "miss", "entry corrupt" if corrupt else "entry of an older format" if outdated else "entry without quality figures")
        return Lookup(None, "miss", miss_reason(key, previous))

    def store(self, work: TextureWork | MeshWork, key: CacheKey, result: TextureResult | MeshResult, *, cooked_by: str = "local", recipe: TextureWork | None = None) -> None:
        """Keep a successful result under ``key`` in every tier (failures are never cached).

        Args:
            cooked_by: who cooked it — a farm worker's hostname, or ``local`` — recorded in the entry.
            recipe: the work item by paths that cooks it again (``oxcook cache verify``), when its sources are files.
        """
        if not self.enabled or not result.ok:
            return
        data = pack_entry(result, key=key.digest, cooked_by=cooked_by, recipe=recipe)  # in the bytes it arrived in
        for tier in (self.local, self.shared):
            if tier is not None:
                self._put(tier, key.digest, data)
        self._remember(work, key)

    def discard(self, digest: str) -> None:
        """Drop the entry under ``digest`` from every tier (one the job learnt it must not keep)."""
        for tier in (self.local, self.shared):
            if tier is not None:
                self._discard(tier, digest)

    def _remember(self, work, key: CacheKey) -> None:
        self._records.put(self.identity(work), key.facts())

    def should_verify(self, key: CacheKey) -> bool:
        """Whether this hit is one of the ``verify_fraction`` cooked again (chosen by key, so reproducible)."""
        fraction = self.settings.verify_fraction
        return fraction > 0 and int(key.digest[:8], 16) < fraction * 2**32

    def close(self) -> None:
        """Write what this run learnt (stat cache, source records) and keep the local tier within its size.

        Each step that fails is a warning (:meth:`take_warnings`), never an error: the cache is an optimisation."""
        if self.local is None:
            return
        for step in (self.stat.save, self._records.save, lambda: remove_unsharded(self.settings), lambda: self.local.prune(self.settings.max_bytes)):
            try:
                step()
            except OSError as exc:
                self._unwritable(self.local, exc)
