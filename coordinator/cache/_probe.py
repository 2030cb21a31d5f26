"""``CacheProbe``: would a texture's cook-cache lookup hit, and if not why — answered without writing anything.

It makes the key a cook would (its sources hashed through the stat cache, as a
cook hashes them, with ``--rebuild``'s distrust of stamps), then asks each
tier whether an entry file is there: a ``stat`` of the local (or shared)
folder, an ``EXISTS`` on a shared Redis. Neither reads the entry nor
refreshes its time, and nothing is written, created or pruned: the stat cache
learns in memory only. A miss says why from the records the last cooks left
(``sources/``), as a cook's ``-v`` does. What only reading the entry
would show — a corrupt entry, or one cooked without the quality figures this
cook asks for — is the cook's to find; it cooks such a texture again.
Loads no numpy and no decoder (``oxcook cook --dry-run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oxcook.worker.cache import miss_reason, open_shared_tier, texture_key
from oxcook.worker.cook import TextureImportDesc

from ._cache_files import local_tier, source_identity, source_records, stat_records, unusable_message
from ._cache_settings import CacheSettings
from ._stat_cache import StatCache


@dataclass(frozen=True)
class Probe:
    """A texture's lookup, as the cook would make it."""

    tier: str = ""  # the tier that holds its entry ("local" or "shared"); "" for a miss
    reason: str = ""  # why it missed: "new source", "source changed", "settings changed (quality: fast → high)", ...
    off: bool = False  # no tier is on: nothing was looked up


class CacheProbe:
    """Read-only lookups in the cook cache ``settings`` names; ``warnings`` says which of its files were ignored."""

    def __init__(self, settings: CacheSettings) -> None:
        self.warnings: list[str] = []
        self.enabled = settings.enabled
        self._tiers = [t for t in (local_tier(settings), open_shared_tier(settings.shared) if settings.shared else None) if t is not None]
        unusable = lambda exc: self.warnings.append(unusable_message(exc, "ignored"))  # noqa: E731
        self._stat = StatCache(stat_records(settings, unusable))  # never saved
        self._records = source_records(settings, unusable)

    def texture(self, paths: tuple[str, ...], source_id: str, desc: TextureImportDesc, encoder_target: str) -> Probe:
        """The lookup of a texture cooked from the files ``paths`` (resolved) with ``desc``.

        Raises:
            OSError: a source cannot be read (the cook would fail it the same way).
        """
        if not self.enabled:
            return Probe(off=True)
        key = texture_key([self._stat.digest(Path(p)) for p in paths], desc, encoder_target)
        for tier in self._tiers:
            if tier.has(key.digest):
                return Probe(tier.name)
        return Probe(reason=miss_reason(key, self._records.get(source_identity(paths, source_id))))
