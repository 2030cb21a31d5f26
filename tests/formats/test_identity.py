"""SourceKey (UUIDv7) and AssetKey golden vectors (spec §1.6)."""

from __future__ import annotations

import time

import pytest

from oxcook import formats as f

GOLDEN = {
    "/Game/Physics/Materials/Rubber.opmat": "5793612a-1c25-ca81-a7a2-8e696378559e",
    "/Game/Physics/Materials/Ice.opmat": "2ae46e8e-adec-053c-79a8-4285244f4aa8",
    "/.cooked/Physics/Materials/Rubber.opmat": "ce5e7e39-2579-0900-0498-db0169cef835",
    "/.cooked/Scenes/physics_domains.opscene": "a88a8d99-89e0-172b-a204-efa6f602182a",
    "/Engine/Physics/Materials/Default.opmat": "cdd33a69-2a2d-8cd7-dbb9-3e626bdb26c3",
}


@pytest.mark.parametrize("path, key", GOLDEN.items())
def test_asset_key_golden_vectors(path, key):
    assert f.key_text(f.asset_key_for(path)) == key
    assert f.parse_key_text(key) == f.asset_key_for(path)


def test_epoch_a_key_is_sha256_prefix():
    assert f.key_text(f.asset_key_for("/.cooked/Materials/Brick.omat", epoch="A")) == "1b97fb53-049a-cac9-718b-07908fdaef3f"


def test_new_source_keys_are_valid_unique_and_time_ordered():
    keys = [f.new_source_key() for _ in range(2000)]
    assert all(f.is_uuid_v7(k) for k in keys)
    assert len(set(keys)) == len(keys)
    assert [k[:8] for k in keys] == sorted(k[:8] for k in keys)
    ms = int.from_bytes(keys[-1][:6], "big")
    assert abs(ms - time.time() * 1000) < 60_000


@pytest.mark.parametrize(
    "raw",
    [bytes(16), bytes.fromhex("01930000000060008000000000000001"), bytes.fromhex("01930000000070004000000000000001")],
)
def test_invalid_uuid_v7_rejected(raw):
    assert not f.is_uuid_v7(raw)


def test_parse_key_text_rejects_garbage():
    with pytest.raises(f.FormatCorrupt):
        f.parse_key_text("not-a-key")
