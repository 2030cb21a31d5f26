"""The texture output seam: a real cook through an output of the test's own (one packer, one writer).

What a second target (KTX2/DDS files, the engine's PAK) would plug in: here a packer that hands on the
engine's payload and a writer that records what it receives. The cook is real (real files, the local pool);
what reaches the recording writer is what the default loose-cooked output writes into ``textures.data``.
"""

from __future__ import annotations

import itertools
import threading
from typing import NamedTuple

import numpy as np
from PIL import Image

from oxcook import formats as f
from oxcook.coordinator import Config, ImportService, TextureImportRequest, TextureSettings, expand_sources
from oxcook.coordinator.emit import EnginePacker, PackedTexture, TextureOutput
from tests.helpers import payload_subresources, read_texture


class RecordingWriter:
    """A texture writer that places nothing in files: it keeps what it receives, one index each."""

    def __init__(self) -> None:
        self.received: list[tuple[str | None, PackedTexture]] = []

    def __len__(self) -> int:
        return len(self.received)

    def place(self, packed: PackedTexture, stable_id: str | None) -> tuple[int, bool]:
        self.received.append((stable_id, packed))
        return len(self.received) - 1, True

    def row(self, index: int):
        return self.received[index][1].row

    def side_files(self) -> dict[str, bytes]:
        return {}

    def finalize(self) -> list[f.FileRecordInfo]:
        return []


class LevelsRow(NamedTuple):
    """What the levels packer's target says of a texture: the fields a report reads, and where each level starts."""

    format: int
    width: int
    height: int
    mip_levels: int
    size_bytes: int
    level_offsets: tuple[int, ...]


class LevelsPacker:
    """A packer of another target's kind: the cooked texture's levels, read from its payload at the offsets its
    layout gives, one after another with no header (as a KTX2 or DDS writer would take them)."""

    def pack(self, cooked) -> PackedTexture:
        return self._levels(cooked.payload, cooked.format, cooked.width, cooked.height, cooked.mip_levels)

    def fallback(self) -> PackedTexture:
        engine = EnginePacker().fallback()
        return self._levels(engine.payload, engine.row.format, engine.row.width, engine.row.height, engine.row.mip_levels)

    @staticmethod
    def _levels(payload: bytes, fmt: int, width: int, height: int, mips: int) -> PackedTexture:
        _, subresources = payload_subresources(payload)
        offsets = tuple(itertools.accumulate((len(data) for _, data in subresources[:-1]), initial=0))
        data = b"".join(data for _, data in subresources)
        return PackedTexture(LevelsRow(fmt, width, height, mips, len(data), offsets), data)


def _sources(folder):
    folder.mkdir()
    for i, (h, w) in enumerate([(64, 32), (16, 16), (40, 24)]):
        pixels = np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"t{i}_albedo.png")
    return folder


def _cook(tmp_path, name, src, **service):
    done, reports = threading.Event(), []
    request = TextureImportRequest(textures=tuple(expand_sources([src], TextureSettings(quality="fast")).textures), cooked_root=tmp_path / name)
    with ImportService(Config(thread_pool_size=2), **service) as importer:
        importer.submit_texture_import(request, lambda job, report: (reports.append(report), done.set()))
        assert done.wait(120)
    assert reports[0].success, reports[0].diagnostics
    return reports[0]


def test_a_real_cook_goes_through_an_output_of_ones_own(tmp_path):
    src = _sources(tmp_path / "src")
    writers: list[RecordingWriter] = []

    def recording(session_files, io, layout) -> TextureOutput:
        writers.append(RecordingWriter())
        return TextureOutput(EnginePacker(), writers[-1])

    ours = _cook(tmp_path, "ours", src, texture_output=recording)
    loose = _cook(tmp_path, "loose", src)  # the default: the engine's loose-cooked container

    (writer,) = writers
    stable_ids = [stable_id for stable_id, _ in writer.received]
    assert stable_ids[0] is None and sorted(stable_ids[1:]) == sorted(t.source_id for t in loose.textures)  # the fallback first, unnamed
    by_id = {t.source_id: t for t in ours.textures}
    for stable_id, packed in writer.received[1:]:
        index = next(t.index for t in loose.textures if t.source_id == stable_id)
        row, payload = read_texture(tmp_path / "loose", index)
        assert packed.payload == payload  # the bytes the loose-cooked container holds
        assert packed.row._replace(data_offset=0) == row._replace(data_offset=0)
        assert (by_id[stable_id].index, by_id[stable_id].width, by_id[stable_id].mips) == (stable_ids.index(stable_id), row.width, row.mip_levels)
    assert not (tmp_path / "ours" / "Resources" / "textures.data").exists() and (tmp_path / "loose" / "Resources" / "textures.data").exists()  # the recording output wrote no texture file


def test_a_second_target_is_one_packer_and_one_writer(tmp_path):
    """A packer of its own (the levels, no engine header) and a writer of its own: the cook, the report and the
    placement order are those of the default output; only what is packed differs."""
    src = _sources(tmp_path / "src")
    writers: list[RecordingWriter] = []

    def levels(session_files, io, layout) -> TextureOutput:
        writers.append(RecordingWriter())
        return TextureOutput(LevelsPacker(), writers[-1])

    ours = _cook(tmp_path, "ours", src, texture_output=levels)
    loose = _cook(tmp_path, "loose", src)

    (writer,) = writers
    assert [stable_id for stable_id, _ in writer.received[1:]] == [t.source_id for t in loose.textures]  # the same placement order
    for (stable_id, packed), report in zip(writer.received[1:], ours.textures, strict=True):
        index = next(t.index for t in loose.textures if t.source_id == stable_id)
        row, payload = read_texture(tmp_path / "loose", index)
        _, subresources = payload_subresources(payload)
        assert packed.payload == b"".join(data for _, data in subresources) and len(packed.payload) < len(payload)
        assert len(packed.row.level_offsets) == row.mip_levels == report.mips
        assert (report.source_id, report.width, report.height, report.bytes) == (stable_id, row.width, row.height, len(packed.payload))
