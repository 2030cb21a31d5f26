"""What a cooked result depends on, as one cache key — and the facts that explain a miss.

A texture's key hashes the SHA-256 of each source's bytes, every setting of
its ``TextureImportDesc`` except its name (two files with the same bytes and
settings cook to the same bytes), ``COOKER_VERSION`` and the block encoder's
name and version. A mesh primitive's key hashes its attribute arrays and the
cooker version. Two different inputs never share a key; the same input always
gets the same one.

``COOKER_VERSION`` changes whenever oxcook's cooked bytes would change for
the same input and settings (a new filter, a fixed rounding, another layout),
and whenever an entry's result changes form (a new wire version of its body):
an entry of another form is then a clean miss, not a corrupt entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ispc_texcomp

from ..cook import DEFAULT_TARGET, ENUM_FIELDS, TextureImportDesc
from .._versions import COOKER_VERSION

if TYPE_CHECKING:
    import numpy as np


def encoder_identity(target: str = DEFAULT_TARGET) -> str:
    """The block encoder whose bytes a key depends on: its version (the module's own, as loaded) and the pinned instruction-set target."""
    return f"ispc_texcomp {ispc_texcomp.__version__} {target}"


@dataclass(frozen=True)
class CacheKey:
    """A key and the facts it was made of (kept beside an entry, so a later miss can say why)."""

    digest: str  # hex SHA-256
    source: str  # hex SHA-256 over the sources' own hashes
    settings: dict = field(default_factory=dict, compare=False)
    cooker: str = COOKER_VERSION
    encoder: str = ""

    def facts(self) -> dict:
        return {"key": self.digest, "source": self.source, "settings": self.settings, "cooker": self.cooker, "encoder": self.encoder}


def _hash(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def texture_key(source_digests: list[bytes], desc: TextureImportDesc, target: str = DEFAULT_TARGET) -> CacheKey:
    """The key of a texture cook from its sources' SHA-256 digests, its settings and the encoder target."""
    settings = {k: v for k, v in desc.to_dict().items() if k != "source_id"}
    source = _hash(*source_digests)
    encoder = encoder_identity(target)
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":")).encode()
    digest = _hash(b"texture", source.encode(), canonical, COOKER_VERSION.encode(), encoder.encode())
    return CacheKey(digest, source, settings, COOKER_VERSION, encoder)


def mesh_key(arrays: dict[str, np.ndarray]) -> CacheKey:
    """The key of a mesh primitive's packing from its attribute arrays (names, dtypes, shapes, bytes)."""
    import numpy as np  # here, not above: a texture's key (``oxcook cook --dry-run``) needs no numpy

    parts = []
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        parts += [name.encode(), array.dtype.str.encode(), repr(array.shape).encode(), array.tobytes()]
    source = _hash(*parts)
    return CacheKey(_hash(b"mesh", source.encode(), COOKER_VERSION.encode()), source, {}, COOKER_VERSION, "")


def miss_reason(key: CacheKey, previous: dict | None) -> str:
    """Why a lookup missed, from the facts recorded the last time this source was cooked (pure)."""
    if previous is None:
        return "new source"
    if previous.get("key") == key.digest:
        return "evicted"
    if previous.get("cooker") != key.cooker or previous.get("encoder") != key.encoder:
        return f"cooker version changed ({previous.get('cooker')}, {previous.get('encoder')} → {key.cooker}, {key.encoder})"
    if previous.get("source") != key.source:
        return "source changed"
    old = previous.get("settings") or {}
    names = sorted(set(old) | set(key.settings))
    changed = [f"{_LABELS.get(k, k)}: {_show(k, old.get(k))} → {_show(k, key.settings.get(k))}" for k in names if old.get(k) != key.settings.get(k)]
    return f"settings changed ({', '.join(changed)})" if changed else "settings changed"


_LABELS = {"bc7_quality": "quality", "mip_filter": "filter", "output_format": "format", "mip_policy": "mips", "max_mip_levels": "max mips"}


def _show(name: str, value) -> str:
    """A setting as the user spells it (enum names in lower case)."""
    enum_type = ENUM_FIELDS.get(name)
    if enum_type is not None and value is not None:
        try:
            return enum_type(value).name.lower()
        except (ValueError, TypeError):  # a record edited by hand
            pass
    return str(value)
