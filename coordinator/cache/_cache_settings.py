"""Where the cook cache lives (``CacheSettings``) and its defaults: plain data, no cache code loaded."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
    trust_stat: bool = True  # False (``--rebuild``): every source is read and hashed again, whatever its stat says

    @property
    def enabled(self) -> bool:
        return self.local is not None or self.shared is not None
