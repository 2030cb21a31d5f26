"""``MaterialReadinessTracker``: which materials wait for which textures (pure, seed §6).

A scene emits each material the moment every texture it needs is placed, not
when the last texture of the scene finishes; this class is that bookkeeping,
with no I/O and no loop, so it is tested on plain data.
"""

from __future__ import annotations

from typing import Hashable


class MaterialReadinessTracker:
    """Which materials wait for which textures; says which become ready as textures finish (pure)."""

    def __init__(self, needs: dict[int, set[Hashable]]) -> None:
        self._waiting = {m: set(keys) for m, keys in needs.items()}

    def ready_now(self) -> list[int]:
        """Materials that need nothing (emit them first)."""
        ready = [m for m, keys in self._waiting.items() if not keys]
        for m in ready:
            del self._waiting[m]
        return ready

    def cooked(self, key: Hashable) -> list[int]:
        """Record a finished texture; returns the materials it completed."""
        done = []
        for m, keys in list(self._waiting.items()):
            keys.discard(key)
            if not keys:
                done.append(m)
                del self._waiting[m]
        return done
