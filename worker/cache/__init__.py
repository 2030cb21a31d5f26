"""The cook cache's pieces that farm workers share with the coordinator: keys (what a result
was made of), entries (a result and its checks, packed) and tiers (a folder, Redis).
"""

from oxcook import _lazy

# public name -> the module that defines it (or (module, its name there))
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "CorruptEntry": "._entry",
    "lacks_quality": "._entry",
    "OutdatedEntry": "._entry",
    "pack_entry": "._entry",
    "read_entry": "._entry",
    "unpack_entry": "._entry",
    "CacheKey": "._key",
    "mesh_key": "._key",
    "miss_reason": "._key",
    "texture_key": "._key",
    "FolderTier": "._tiers",
    "MAX_ENTRY_BYTES": "._tiers",
    "open_shared_tier": ("._tiers", "open_shared"),
    "read_cache_file": "._tiers",
    "write_atomically": "._tiers",
    "UnusableEntry": "._tiers",
}

__getattr__, __dir__ = _lazy.lazy_names(globals(), _EXPORTS)

__all__ = [
    "CacheKey",
    "CorruptEntry",
    "FolderTier",
    "lacks_quality",
    "MAX_ENTRY_BYTES",
    "mesh_key",
    "miss_reason",
    "open_shared_tier",
    "OutdatedEntry",
    "pack_entry",
    "read_cache_file",
    "read_entry",
    "texture_key",
    "unpack_entry",
    "UnusableEntry",
    "write_atomically",
]
