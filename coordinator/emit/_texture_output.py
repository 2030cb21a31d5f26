"""``TextureOutput``: where cooked textures go — one packer and one writer.

A cooked texture (a worker's result: its levels, laid out as its row says) reaches its target in two steps:

- a :class:`TexturePacker` turns it into the target's payload and the row that describes it
  (:class:`PackedTexture`), and makes the target's fallback texture;
- a :class:`TextureWriter` places a packed texture: a stable index at once (identical content may share
  one), the bytes by position later, its files at ``finalize``.

The default is the engine's loose-cooked container: :class:`EnginePacker` (the engine's texture payload,
which the worker writes as it encodes, so megabytes are never copied to be packed; another packer reads the
levels from it at the offsets its layout gives, ``formats.parse_payload``) and
``LooseCookedTextures`` (``textures.table``/``textures.data`` and the ``.otex`` sidecars). A second target
(KTX2/DDS files, the engine's PAK) is one packer and one writer; :class:`ImportSession` takes the factory
of its output (``texture_output``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Protocol

from oxcook.formats import TEXTURE_RESOURCE_DESC, Epoch, FileRecordInfo, fallback_payload, fallback_row_fields
from oxcook.worker.cook import CookedTexture

FALLBACK_INDEX = 0  # the target's fallback texture: what a texture that failed resolves to

_ROW = TEXTURE_RESOURCE_DESC[Epoch.B]


class PackedTexture(NamedTuple):
    """A texture as its target stores it: the row that describes it (``data_offset`` 0: the writer places it) and its bytes."""

    row: Any
    payload: bytes


class TexturePacker(Protocol):
    def pack(self, cooked: CookedTexture) -> PackedTexture:
        """``cooked`` as the target stores it (pure)."""
        ...

    def fallback(self) -> PackedTexture:
        """The target's fallback texture, placed at :data:`FALLBACK_INDEX`."""
        ...


class TextureWriter(Protocol):
    def __len__(self) -> int:
        """How many textures the output holds (those it held before this cook included)."""
        ...

    def place(self, packed: PackedTexture, stable_id: str | None) -> tuple[int, bool]:
        """``packed``'s index, at once, and whether it is new; ``stable_id``: the source it was cooked from (``None``: the fallback)."""
        ...

    def row(self, index: int) -> Any:
        """The row at ``index`` (what the report says of a texture)."""
        ...

    def side_files(self) -> dict[str, bytes]:
        """Small files to write beside the output (relpath → bytes)."""
        ...

    def finalize(self) -> list[FileRecordInfo]:
        """Queue the last writes; the files the container's index names."""
        ...


class EnginePacker:
    """The engine's texture payload and its ``TextureResourceDesc`` row (Epoch B)."""

    def pack(self, cooked: CookedTexture) -> PackedTexture:
        return PackedTexture(cooked.row, cooked.payload)

    def fallback(self) -> PackedTexture:
        payload, digest = fallback_payload()
        return PackedTexture(_ROW.make(data_offset=0, size_bytes=len(payload), content_hash=digest, **fallback_row_fields()), payload)


@dataclass
class TextureOutput:
    """The one door cooked textures go out by: each is packed, then placed (the fallback first)."""

    packer: TexturePacker
    writer: TextureWriter

    def __len__(self) -> int:
        return len(self.writer)

    def ensure_fallback(self) -> None:
        """Make sure the fallback texture exists (a fresh output starts with it)."""
        if len(self.writer) == 0:
            self.writer.place(self.packer.fallback(), None)

    def emit(self, cooked: CookedTexture, stable_id: str) -> tuple[int, bool]:
        """Place a cooked texture; returns ``(index, is_new)`` at once."""
        self.ensure_fallback()
        return self.writer.place(self.packer.pack(cooked), stable_id)

    def row(self, index: int) -> Any:
        return self.writer.row(index)

    def side_files(self) -> dict[str, bytes]:
        return self.writer.side_files()

    def finalize(self) -> list[FileRecordInfo]:
        self.ensure_fallback()
        return self.writer.finalize()


# what makes a session's texture output: (the root's writer, the positional file writer, the layout) -> output
TextureOutputFactory = Callable[[Any, Any, Any], TextureOutput]
