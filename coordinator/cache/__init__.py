"""The cook cache: cooked results kept by what they were made of (local folder, shared Redis or folder),
its audit, and the build record a cooked root keeps of what produced it.

``CookCache``, ``Lookup``, the read-only ``CacheProbe`` and the audit are bound
on first use (PEP 562): the settings and the build record load without the cooking stack.
"""

from oxcook import _lazy

from ._build_record import BuildRecord as BuildRecord
from ._build_record import PlannedVerdicts as PlannedVerdicts
from ._build_record import SceneEntry as SceneEntry
from ._build_record import Stamp as Stamp
from ._build_record import TextureEntry as TextureEntry
from ._build_record import Verdict as Verdict
from ._build_record import entry_verdict as entry_verdict
from ._build_record import is_verified as is_verified
from ._build_record import merge_record as merge_record
from ._build_record import pack_record as pack_record
from ._build_record import same_entries as same_entries
from ._build_record import settings_key as settings_key
from ._build_record import unpack_record as unpack_record
from ._build_record import versions_changed as versions_changed
from ._cache_settings import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from ._cache_settings import CacheSettings as CacheSettings
from ._cache_settings import default_cache_dir as default_cache_dir

_LAZY = {
    "CookCache": "._cook_cache",
    "Lookup": "._cook_cache",
    "CacheProbe": "._probe",
    "Probe": "._probe",
    "ShardedRecords": "._record_shards",
    "shard_of": "._record_shards",
    **{name: "._audit" for name in ("CORRUPT", "MATCH", "MISMATCH", "UNAUDITED", "Finding", "audit_entry", "same_cook")},
}


__getattr__, __dir__ = _lazy.lazy_names(globals(), _LAZY)


__all__ = [
    "CORRUPT",
    "MATCH",
    "MISMATCH",
    "UNAUDITED",
    "Finding",
    "audit_entry",
    "same_cook",
    "DEFAULT_MAX_BYTES",
    "BuildRecord",
    "CacheProbe",
    "CacheSettings",
    "CookCache",
    "Lookup",
    "Probe",
    "SceneEntry",
    "ShardedRecords",
    "Stamp",
    "TextureEntry",
    "PlannedVerdicts",
    "Verdict",
    "default_cache_dir",
    "entry_verdict",
    "is_verified",
    "merge_record",
    "pack_record",
    "same_entries",
    "settings_key",
    "shard_of",
    "unpack_record",
    "versions_changed",
]
