"""Backends are rows of one table: a URL scheme names the class that opens itself from the URL."""

from __future__ import annotations

import asyncio
import importlib

import pytest

from oxcook.coordinator import ConfigError
from oxcook.coordinator.backends import BACKENDS, KNOWN_SCHEMES, LocalBackend, open_backend


def test_every_known_scheme_is_a_row_whose_class_opens_itself():
    assert KNOWN_SCHEMES == tuple(BACKENDS)
    for scheme, (module, name) in BACKENDS.items():
        backend_class = getattr(importlib.import_module(module, "oxcook.coordinator.backends"), name)
        assert callable(backend_class.open), scheme


def test_no_url_opens_the_local_row():
    backend = open_backend(None, workers=1, window=8)  # a farm option the pool has no use for is ignored
    try:
        assert isinstance(backend, LocalBackend) and backend.workers == 1
    finally:
        asyncio.run(backend.close())


def test_a_scheme_outside_the_table_is_refused_by_name():
    with pytest.raises(ConfigError, match="unknown scheme 'amqp'.*local, redis, rediss"):
        open_backend("amqp://guest@localhost//", workers=1)
