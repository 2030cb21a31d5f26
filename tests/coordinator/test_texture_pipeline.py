"""TexturePipeline: completion order, the bounded window, progress."""

from __future__ import annotations

import asyncio

from coordinator import LocalBackend, TexturePipeline, TextureWorkItem
from worker import preset_desc


def test_pipeline_drains_in_completion_order_within_its_window(shared_assets):
    big = (shared_assets / "gltf/WaterBottle/WaterBottle_baseColor.png").read_bytes()
    small = (shared_assets / "images/png/pngsuite_basn0g08.png").read_bytes()

    async def scenario():
        backend = LocalBackend(workers=2)
        results = []
        try:
            async with TexturePipeline(backend, capacity=2, job="t") as first, TexturePipeline(backend, capacity=2, job="u") as second:
                await first.submit(TextureWorkItem("big.png", preset_desc("albedo", "big.png"), sources=(big,)))
                await first.submit(TextureWorkItem("small.png", preset_desc("data", "small.png"), sources=(small,)))
                assert first.pending_count() == 2 and first.has_pending()
                full = asyncio.create_task(first.submit(TextureWorkItem("third.png", preset_desc("data", "third.png"), sources=(small,))))
                await asyncio.sleep(0)
                assert not full.done()  # the window (2) is full: submit waits for a collect
                results.append(await first.collect())
                await full
                while first.has_pending():
                    results.append(await first.collect())
                await second.submit(TextureWorkItem("bad.png", preset_desc("data", "bad.png"), sources=(b"junk",)))
                results.append(await second.collect())
                totals = [first.progress(), second.progress()]
        finally:
            await backend.close()
        return results, totals

    results, (first, second) = asyncio.run(scenario())
    order = [r.source_id for r in results]
    assert order.index("small.png") < order.index("big.png")  # completion order, not submission order
    assert [r.success for r in results if r.source_id == "bad.png"] == [False]
    assert (first.submitted, first.completed, first.failed, first.in_flight) == (3, 3, 0, 0)
    assert (second.submitted, second.completed, second.failed, second.in_flight) == (1, 1, 1, 0)
