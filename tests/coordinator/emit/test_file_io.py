"""Positional writes off the loop (``AsyncFileWriter``): small writes gathered into one, every byte where it was asked.

Real files, a real ``/dev/full`` for a failing disk.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

from oxcook.coordinator._errors import OutputWriteError
from oxcook.coordinator.emit._file_io import AsyncFileWriter


def test_small_writes_in_any_order_and_large_ones_land_where_asked(tmp_path):
    rng = np.random.default_rng(7)
    pieces: list[tuple[int, bytes]] = []
    offset = 0
    for size in [*rng.integers(1, 3000, 300), 200_000, 5, 1_000_000, *rng.integers(1, 70_000, 40)]:
        offset += int(rng.integers(0, 2)) * int(rng.integers(1, 600))  # some ranges follow on, some leave a gap
        pieces.append((offset, rng.integers(0, 256, int(size), dtype=np.uint8).tobytes()))
        offset += int(size)
    expected = bytearray(offset)
    for at, data in pieces:
        expected[at : at + len(data)] = data
    order = rng.permutation(len(pieces))
    path, other = tmp_path / "out" / "textures.data", tmp_path / "out" / "buffers.data"

    async def main() -> None:
        io = AsyncFileWriter()
        for i in order[: len(order) // 2]:
            io.write_at(path, *pieces[i])
        io.write_at(other, 3, b"xyz")  # another file between: each gathers its own
        for at, data in sorted(pieces[i] for i in order[len(order) // 2 :]):
            io.write_at(path, at, memoryview(data))
        await io.drain()
        await io.fsync_all()
        io.close()

    asyncio.run(main())
    assert path.read_bytes() == bytes(expected)
    assert other.read_bytes() == b"\0\0\0xyz"


def test_a_failed_write_is_raised_by_drain_naming_its_range():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")

    async def main() -> None:
        io = AsyncFileWriter()
        io.write_at(Path("/dev/full"), 100, b"a" * 10)
        io.write_at(Path("/dev/full"), 110, b"b" * 20)
        try:
            with pytest.raises(OutputWriteError, match=r"/dev/full: write of 30 bytes at 100 failed: disk full"):
                await io.drain()
        finally:
            io.close()

    asyncio.run(main())
