"""The cook cache: cooked results kept by what they were made of (local folder, shared Redis or folder), and its audit."""

from ._audit import CORRUPT as CORRUPT
from ._audit import MATCH as MATCH
from ._audit import MISMATCH as MISMATCH
from ._audit import UNAUDITED as UNAUDITED
from ._audit import Finding as Finding
from ._audit import audit_entry as audit_entry
from ._audit import same_cook as same_cook
from ._cook_cache import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from ._cook_cache import CacheSettings as CacheSettings
from ._cook_cache import CookCache as CookCache
from ._cook_cache import Lookup as Lookup
from ._cook_cache import default_cache_dir as default_cache_dir

__all__ = ["CORRUPT", "MATCH", "MISMATCH", "UNAUDITED", "DEFAULT_MAX_BYTES", "CacheSettings", "CookCache", "Finding", "Lookup", "audit_entry", "default_cache_dir", "same_cook"]
