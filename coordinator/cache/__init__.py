"""The cook cache: cooked results kept by what they were made of (local folder, shared Redis or folder)."""

from ._cook_cache import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from ._cook_cache import CacheSettings as CacheSettings
from ._cook_cache import CookCache as CookCache
from ._cook_cache import Lookup as Lookup
from ._cook_cache import default_cache_dir as default_cache_dir

__all__ = ["DEFAULT_MAX_BYTES", "CacheSettings", "CookCache", "Lookup", "default_cache_dir"]
