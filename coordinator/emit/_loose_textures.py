"""``LooseCookedTextures``: the texture writer of the engine's loose-cooked container — stable indices now,
positional payload writes later (seed §5).

Contracts (seed "Emitter Contracts", spec §2.5–§2.9):

1. ``place`` returns a stable index at once; the row is recorded before any I/O.
2. Identical packed content is stored once (dedup by signature, rows on disk included).
3. Each payload gets a 256-aligned range reserved after the committed end of
   ``textures.data``; padding is written as zeros; writes are explicit-offset.
4. Index 0 is the engine's fallback texture (D3D12 form): the output places it first.
5. ``finalize`` appends the new rows to ``textures.table`` (the committed prefix
   is never rewritten); the session writes the ``.otex`` sidecars it collected.
"""

from __future__ import annotations

from oxcook.formats import TEXTURE_ALIGNMENT, TEXTURE_RESOURCE_DESC, Epoch, FileKind, FileRecordInfo, otex_relpath, pack_otex

from .._types import LooseCookedLayout
from ._allocation import texture_signature
from ._file_io import AsyncFileWriter
from ._resource_files import ResourceFiles
from ._texture_output import EnginePacker, PackedTexture, TextureOutput
from ._writer import LooseCookedWriter


class LooseCookedTextures:
    """A :class:`~._texture_output.TextureWriter` into ``textures.table``/``textures.data`` and ``.otex`` sidecars."""

    def __init__(self, writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> None:
        self._layout = layout
        self._files = ResourceFiles(
            writer,
            io,
            TEXTURE_RESOURCE_DESC[Epoch.B],
            texture_signature,
            table=(FileKind.TEXTURES_TABLE, layout.textures_table),
            data=(FileKind.TEXTURES_DATA, layout.textures_data),
        )
        self._sidecars: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._files)

    def place(self, packed: PackedTexture, stable_id: str | None) -> tuple[int, bool]:
        index, is_new = self._files.place(packed.row, packed.payload, TEXTURE_ALIGNMENT)
        if stable_id is not None and self._layout.write_sidecars:
            self._sidecars[otex_relpath(stable_id)] = pack_otex(index, self.row(index))
        return index, is_new

    def row(self, index: int):
        return self._files.table.rows[index]

    def side_files(self) -> dict[str, bytes]:
        """The ``.otex`` sidecars to write (relpath → bytes), one per placed stable id."""
        return dict(self._sidecars)

    def finalize(self) -> list[FileRecordInfo]:
        """Queue the table append and return the file records for the index
        (the caller drains the writes before committing)."""
        return self._files.finalize()


def loose_cooked_textures(writer: LooseCookedWriter, io: AsyncFileWriter, layout: LooseCookedLayout) -> TextureOutput:
    """The default texture output: the engine's payload in the engine's loose-cooked container."""
    return TextureOutput(EnginePacker(), LooseCookedTextures(writer, io, layout))
