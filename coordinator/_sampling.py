"""Which share of a set of names is chosen: by a hash of each name, so every run and every machine chooses the same."""

from __future__ import annotations

import hashlib


def sampled(fraction: float, name: str) -> bool:
    """Whether ``name`` is among the ``fraction`` chosen (0: none, 1: all).

    A name's place in [0, 1) comes from its SHA-256, so a larger fraction keeps every name a smaller one chose.
    """
    if fraction <= 0.0:
        return False
    if fraction >= 1.0:
        return True
    return int.from_bytes(hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()[:8], "big") < fraction * 2**64
