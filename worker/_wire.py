"""What crosses between coordinator and workers: msgpack maps with raw ``bin`` payloads.

One module, imported by both sides, so the two can never disagree. Every
message is a msgpack map ``{"v": WIRE_VERSION, "kind": <kind>, ...}``; bytes
travel as msgpack ``bin`` (no base64, no pickle). :func:`decode_message`
refuses unknown versions and kinds, and any map whose fields are not the
kind's.
"""

from __future__ import annotations

from typing import Any

import msgpack

from formats import OxcookError

WIRE_VERSION = 1

# kind -> required fields (besides "v" and "kind"); optional fields listed separately
_REQUIRED = {
    "texture-work": {"key", "source_id", "desc"},
    "texture-result": {"key", "source_id", "ok"},
    "mesh-work": {"key", "source_id", "arrays"},
    "mesh-result": {"key", "source_id", "ok"},
}
_OPTIONAL = {
    # exactly one of: sources (bytes), paths (shared storage), blobs (Redis keys, resolved by the farm worker)
    "texture-work": {"job", "sources", "paths", "blobs"},
    "texture-result": {"cooked", "payload", "diagnostics", "error", "timings_ms"},
    "mesh-work": {"job"},
    "mesh-result": {"vertices", "indices", "bbox_min", "bbox_max", "vertex_count", "index_count", "error"},
}
WORK_KINDS = {"texture": "texture-work", "mesh": "mesh-work"}  # backend work kind -> message kind


class WireError(OxcookError):
    """A message that is not a valid oxcook message (wrong version, kind or shape)."""

    code = "wire-invalid"


def encode_message(kind: str, **fields: Any) -> bytes:
    """One message as msgpack bytes.

    Raises:
        WireError: unknown kind, or missing/unknown fields.
    """
    _check(kind, fields)
    return msgpack.packb({"v": WIRE_VERSION, "kind": kind, **fields}, use_bin_type=True)


def decode_message(data: bytes, *, expect: str | None = None) -> dict[str, Any]:
    """A message's fields (without ``v``/``kind``, which are checked).

    Raises:
        WireError: not msgpack, not a map, wrong version, unknown or unexpected kind, bad fields.
    """
    try:
        message = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack's own error classes vary by version
        raise WireError(f"not a msgpack message: {exc}") from exc
    if not isinstance(message, dict):
        raise WireError("message is not a map")
    version = message.pop("v", None)
    kind = message.pop("kind", None)
    if version != WIRE_VERSION:
        raise WireError(f"wire version {version!r}, expected {WIRE_VERSION}")
    if expect is not None and kind != expect:
        raise WireError(f"expected a {expect!r} message, got {kind!r}")
    _check(kind, message)
    return message


def _check(kind: Any, fields: dict) -> None:
    if kind not in _REQUIRED:
        raise WireError(f"unknown message kind {kind!r}")
    missing = _REQUIRED[kind] - set(fields)
    unknown = set(fields) - _REQUIRED[kind] - _OPTIONAL[kind]
    if missing or unknown:
        raise WireError(f"{kind}: missing {sorted(missing)}, unknown {sorted(unknown)}")
