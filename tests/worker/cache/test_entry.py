"""A cache entry records who cooked it and what re-cooking it needs, beside the result, without touching either."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from oxcook.worker import run_work
from oxcook.worker.cache import CorruptEntry, OutdatedEntry, pack_entry, read_entry, unpack_entry
from oxcook.worker.cook import preset_desc
from oxcook.worker.wire import MeshResult, TextureResult, TextureWork, decode, encode
from tests.helpers import png_bytes

KEY = "cd" * 32


@pytest.fixture(scope="module")
def result() -> TextureResult:
    source = png_bytes(np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    work = TextureWork(KEY, "a_albedo.png", preset_desc("albedo", "a_albedo.png"), sources=(source,))
    return dataclasses.replace(run_work(work), cook_ms=0.0)


def test_who_cooked_it_and_its_recipe_come_back_and_the_result_is_unchanged(result):
    recipe = TextureWork(KEY, "a_albedo.png", preset_desc("albedo", "a_albedo.png"), paths=("/art/a_albedo.png",))
    entry = read_entry(pack_entry(result, key=KEY, cooked_by="w1@farm", recipe=recipe), KEY, TextureResult)
    assert entry.cooked_by == "w1@farm"
    assert entry.recipe == recipe
    assert entry.result == result and entry.result.cooked.payload == result.cooked.payload
    assert unpack_entry(pack_entry(result, key=KEY, cooked_by="w1@farm"), KEY, TextureResult) == result


def test_an_entry_that_names_no_cook_says_so(result):
    entry = read_entry(pack_entry(result, key=KEY), KEY, (TextureResult, MeshResult))
    assert (entry.cooked_by, entry.recipe) == ("", None)


def test_an_entry_holds_the_bytes_its_result_arrived_in_and_reads_back_as_the_cache_holds_it(result):
    arrived = encode(dataclasses.replace(result, key="job:7", lease="w1/abc", cook_ms=41.0))
    data = pack_entry(decode(arrived), key=KEY, cooked_by="w1@farm")
    assert data.endswith(arrived)
    assert read_entry(data, KEY, TextureResult).result == result  # under its cache key, with no lease and no cook time
    with pytest.raises(CorruptEntry, match="another result"):
        read_entry(data, "ef" * 32, TextureResult)


@pytest.mark.parametrize("version", [1, 2])
def test_an_entry_of_an_older_frame_is_outdated_not_read(result, version):
    body = encode(result)
    old = b"OXCE" + bytes([version]) + hashlib.sha256(body).digest() + body
    with pytest.raises(OutdatedEntry, match=f"frame version {version}"):
        read_entry(old, KEY, TextureResult)


def test_who_cooked_it_is_under_the_checksum(result):
    data = bytearray(pack_entry(result, key=KEY, cooked_by="w1@farm"))
    at = bytes(data).index(b"w1@farm")
    data[at] ^= 0x01
    with pytest.raises(CorruptEntry, match="checksum"):
        read_entry(bytes(data), KEY, TextureResult)
