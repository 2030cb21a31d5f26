"""A real ``oxcook worker`` whose results are self-consistent lies: ``python -m tests.lying_worker worker …``.

Every texture it cooks has its BC7 blocks rotated by one block within each
level and is packed and hashed again, so the result has the right shape,
mips, format and content hash: every check against what the coordinator knows
passes, and only cooking the item again tells. For tests only.
"""

from __future__ import annotations

import dataclasses
import sys

from oxcook import formats as f
from oxcook.worker import run_work
from oxcook.worker.wire import TextureResult
from oxcook.worker.farm import celery_app


def repacked(cooked, change):
    """``cooked`` with every subresource's bytes changed by ``change`` and packed again: a payload whose hash is right."""
    layout = f.compute_layout(f.TextureType(cooked.texture_type), f.Format(cooked.format), cooked.width, cooked.height, array_layers=cooked.array_layers, mip_levels=cooked.mip_levels)
    data = cooked.payload[layout.data_offset :]
    tight = [b"".join(data[s.offset + r * s.row_pitch : s.offset + r * s.row_pitch + s.row_bytes] for r in range(s.rows)) for s in layout.subresources]
    payload, digest = f.pack_payload(layout, [change(t) for t in tight], flags=f.PayloadFlags(cooked.flags))
    return dataclasses.replace(cooked, payload=payload, content_hash=digest)


def rotate_blocks(tight: bytes) -> bytes:
    """One level's 16-byte BC7 blocks, each moved one place on (a level of one block stays as it is)."""
    return tight[16:] + tight[:16]


def shuffled(work, cancel=None):
    result = run_work(work, cancel=cancel)
    if isinstance(result, TextureResult) and result.ok:
        return dataclasses.replace(result, cooked=repacked(result.cooked, rotate_blocks))
    return result


if __name__ == "__main__":
    celery_app.run_work_noting_output = shuffled  # what the farm task cooks with; forked pool processes inherit it
    from oxcook.coordinator.cli import main

    sys.exit(main())
