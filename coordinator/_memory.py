"""The coordinator's own memory per job: what it holds of cooked textures, estimated and bounded by the budget.

Workers cook within their budget (``worker.cook._budget``); the coordinator holds
what they send back. A texture's result is in the coordinator from the moment
it arrives until it is placed (results are placed in the order the textures
were submitted, so a finished one may wait behind a slower one); while it
arrives and is placed it exists several times at once, three at each of
these moments:

* a local pool process's message is received (its pickled bytes), unpickled
  (the msgpack message) and decoded (the payload);
* a split texture's parts are joined: the parts' payloads, the joined
  ``PayloadWriter`` buffer and the bytes it becomes;
* a cache store encodes the payload: the payload, the encoder's buffer and
  the entry's bytes (a hit: the entry read, and the payload decoded from it).

Below glibc's mmap threshold (up to 32 MB) freed blocks stay in the heap, so
a payload of a few tens of MB leaves more behind than its copies: measured up
to 4.4 times its size for a 2048² RGBA8 texture split in two with the cache
on, plus a few MB of the cook's own (its threads, the emitter's buffers):
:data:`RESULT_COPIES` and :data:`RESULT_SLACK` cover both.

Each texture's estimate is :data:`RESULT_COPIES` times a bound on its payload
(:meth:`worker.CookCost.payload_bytes` from its header's size, every layer, a
full chain, at the larger of its integer and float output). A texture is
submitted only once its estimate fits beside the estimates of every texture
already submitted and not yet placed (:class:`HeldBytes`), so the job's peak
stays under the memory budget however large its in-flight window is; a
texture whose estimate alone exceeds the budget is refused by name before a
worker reads it; one whose size its header did not give is cooked alone.
``bench/memory.py`` measures the coordinator's peak against this estimate.
"""

from __future__ import annotations

import asyncio
import dataclasses

from oxcook.worker.cook import TextureImportDesc, cook_cost, memory_budget

RESULT_COPIES = 5
RESULT_SLACK = 32 * 2**20  # per texture: heap the allocator keeps (a per-thread arena each for the loop, the I/O and check threads), and the job's own buffers


def coordinator_budget(configured: int | None) -> int:
    """The bytes the coordinator may hold of one job's results: the configured budget, else this process's (``OXCOOK_MEMORY_BUDGET`` or half the machine)."""
    return configured or memory_budget()


def human_size(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def result_estimate(desc: TextureImportDesc, size: tuple[int, int], layers: int) -> int:
    """The most bytes the coordinator holds at once of one texture's result (pure; see the module docstring)."""
    cost = dataclasses.replace(cook_cost(desc), layers=max(1, layers))
    payload = max(cost.payload_bytes(*size), cost.payload_bytes(*size, float_source=True))
    return payload * RESULT_COPIES + RESULT_SLACK


class HeldBytes:
    """A byte budget taken by each texture from its submission until it is placed (one loop, one taker at a time)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.held = 0
        self._freed = asyncio.Event()

    async def take(self, size: int) -> None:
        """Wait until ``size`` fits beside what is held (at once when nothing is held), then hold it."""
        while self.held and self.held + size > self.capacity:
            self._freed.clear()
            await self._freed.wait()
        self.held += size

    def give(self, size: int) -> None:
        self.held -= size
        self._freed.set()
