"""TexturePipeline: completion order, the bounded window, progress."""

from __future__ import annotations

import asyncio
import io

import numpy as np
from PIL import Image

from oxcook.coordinator import LocalBackend, TexturePipeline, TextureWorkItem
from oxcook.coordinator._config import SPLIT_ABOVE
from oxcook.worker.cook import preset_desc


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


def test_a_texture_is_split_only_across_processes_that_would_otherwise_idle():
    """Below the split threshold, a texture whose encode is worth several parts is split when processes would
    idle (a lone edited texture on a many-core machine); while the others keep every process busy it is not.
    The bytes are those of the unsplit cook."""
    y, x = np.mgrid[0:1100, 0:700]
    pixels = np.stack([x % 251, y % 241, (x * y) % 239], axis=2).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    desc = preset_desc("albedo", "photo.png")  # BC7 default: ~0.35 s of encoding, worth several parts

    async def cook(names, split_above=SPLIT_ABOVE, announced=0):
        backend = LocalBackend(workers=2)
        try:
            async with TexturePipeline(backend, capacity=4, job="t", split_above=split_above) as pipeline:
                pipeline.expect(announced)
                results = []
                for name in names:
                    await pipeline.submit(TextureWorkItem(name, desc, sources=(out.getvalue(),), size=(700, 1100)))
                    if announced:  # each collected before the next is submitted: the ones announced are still to come
                        results.append(await pipeline.collect())
                results += [await pipeline.collect() for _ in range(len(names) - len(results))]
        finally:
            await backend.close()
        return {r.source_id: (r.parts, r.cooked.payload) for r in results}

    alone, unsplit = asyncio.run(cook(["a"])), asyncio.run(cook(["a"], split_above=0))
    assert alone["a"][0] == 2 and unsplit["a"][0] == 1 and alone["a"][1] == unsplit["a"][1]
    busy = asyncio.run(cook(["a", "b", "c"]))  # three for two processes: none is split
    assert {name: parts for name, (parts, _) in busy.items()} == {"a": 1, "b": 1, "c": 1}
    coming = asyncio.run(cook(["a", "b"], announced=2))  # a alone at the backend, but b is announced: only b, the last, is split
    assert {name: parts for name, (parts, _) in coming.items()} == {"a": 1, "b": 2}
    assert {payload for _, payload in [*busy.values(), *coming.values()]} == {unsplit["a"][1]}


def test_a_texture_waiting_to_decide_its_split_is_not_overtaken_by_the_textures_after_it():
    """The first texture of a job (cooked first because it is the largest) waits for the cache answers of the
    others only while they may leave processes idle: once the others that need a process would fill all but
    its own, it goes to the backend whole, among the first — not behind every small texture after it."""
    y, x = np.mgrid[0:1100, 0:700]
    big = io.BytesIO()
    Image.fromarray(np.stack([x % 251, y % 241, (x * y) % 239], axis=2).astype(np.uint8)).save(big, format="PNG")
    small = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(small, format="PNG")
    order: list[str] = []

    class Recording(LocalBackend):  # the real pool; it notes the order work reaches it
        def submit(self, work):
            order.append(work.source_id)
            return super().submit(work)

    async def cook():
        backend = Recording(workers=2)
        try:
            async with TexturePipeline(backend, capacity=16, job="t") as pipeline:
                await pipeline.submit(TextureWorkItem("big", preset_desc("albedo", "big.png"), sources=(big.getvalue(),), size=(700, 1100)))
                for k in range(8):
                    await pipeline.submit(TextureWorkItem(f"small{k}", preset_desc("normal", "n.png"), sources=(small.getvalue(),), size=(64, 64)))
                return [await pipeline.collect() for _ in range(9)]
        finally:
            await backend.close()

    results = asyncio.run(cook())
    assert all(r.success for r in results) and [r.parts for r in results if r.source_id == "big"] == [1]
    assert order.index("big") < 2  # it starts at once, on one of the two processes


def test_a_pipeline_keeps_finish_times_for_its_throughput_window_only(monkeypatch):
    """Nobody reads its progress (a cook with no progress display): its history of finish times still stays within
    the throughput window, so a job of many thousand textures holds no more of it than a short one."""
    from oxcook.coordinator.pipelines import _pipeline

    small = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(small, format="PNG")
    monkeypatch.setattr(_pipeline, "_THROUGHPUT_WINDOW_S", 0.0)  # every finish is older than the window at the next one

    async def cook():
        backend = LocalBackend(workers=1)
        try:
            async with TexturePipeline(backend, capacity=4, job="t") as pipeline:
                for k in range(12):
                    await pipeline.submit(TextureWorkItem(f"t{k}", preset_desc("ui", "t_ui.png"), sources=(small.getvalue(),), size=(16, 16)))
                    if k >= 3:
                        assert (await pipeline.collect()).success
                for _ in range(3):
                    assert (await pipeline.collect()).success
                return len(pipeline._done_times)
        finally:
            await backend.close()

    assert asyncio.run(cook()) <= 1


def test_a_cache_hit_is_answered_under_the_asking_textures_id(tmp_path):
    """A hit cooked for another texture of the same bytes is this texture's: its diagnostics name the asking
    texture, never the one it was cooked for; a cook without quality figures reports none from an entry with them."""
    from oxcook.coordinator.cache import CacheSettings, CookCache
    from tests.helpers import exr_bytes

    pixels = np.full((8, 8, 4), 1.5, np.float16)
    pixels[2, 3, 0] = np.nan
    data = exr_bytes(pixels, tmp_path)
    desc = preset_desc("hdr-env", "sky.exr")

    async def cook(name, *, quality=True):
        backend = LocalBackend(workers=1)
        cache = CookCache(CacheSettings(local=tmp_path / "cache"))
        try:
            async with TexturePipeline(backend, capacity=1, job="j", cache=cache, quality=quality) as pipeline:
                await pipeline.submit(TextureWorkItem(name, desc, sources=(data,)))
                return await pipeline.collect()
        finally:
            cache.close()
            await backend.close()

    first = asyncio.run(cook("a/sky.exr"))
    second = asyncio.run(cook("b/other.exr"))
    third = asyncio.run(cook("c/third.exr", quality=False))
    assert (first.cache, second.cache, third.cache) == ("miss", "hit", "hit")
    assert second.cooked.payload == first.cooked.payload and second.source_id == "b/other.exr"
    for result in (first, second, third):
        (said,) = result.diagnostics
        assert said.code == "texture-nonfinite-clamped" and said.source_id == result.source_id
        assert said.message.startswith(result.source_id + ": ")
    assert first.quality is not None and second.quality is not None and third.quality is None
