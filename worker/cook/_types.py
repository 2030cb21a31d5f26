"""The plain data of a texture cook: its plan (every decision, made once) and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from oxcook.formats import TEXTURE_RESOURCE_DESC, Epoch, Format, PayloadFlags, compression_type_for

from .._diagnostics import ImportDiagnostic

if TYPE_CHECKING:
    from ._quality import QualitySums  # numpy: a cooked texture only carries them


@dataclass(frozen=True)
class CookPlan:
    """Every decision of a cook, made once after decoding (pure data)."""

    source_id: str
    output_format: Format
    width: int
    height: int
    mip_levels: int
    linear_work: bool  # colour decoded from sRGB to linear for filtering
    encode_srgb: bool  # output colour samples are sRGB-encoded
    bake_hdr: bool
    premultiply: bool
    flags: PayloadFlags


@dataclass(frozen=True, kw_only=True)
class CookedTexture:
    """A cooked payload and the table-row fields that describe it; it names no source (the same bytes cooked under
    any name are one cooked texture, so a cache entry of it serves them all): what it says of its source
    (``diagnostics``) names none, and whoever places it names it (``ImportDiagnostic.about``)."""

    payload: bytes
    texture_type: int
    width: int
    height: int
    depth: int
    array_layers: int
    mip_levels: int
    format: int
    content_hash: int
    flags: int = 0
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    quality: QualitySums | None = None  # what its quality figures are made of (worker.cook._quality); None: not measured

    @property
    def size_bytes(self) -> int:
        return len(self.payload)

    @property
    def compression_type(self) -> int:
        return compression_type_for(self.format)

    @cached_property
    def row(self):
        """Its ``TextureResourceDesc`` row, built once; ``data_offset`` 0 (the output that places it sets it)."""
        return TEXTURE_RESOURCE_DESC[Epoch.B].make(
            data_offset=0,
            size_bytes=self.size_bytes,
            texture_type=self.texture_type,
            compression_type=self.compression_type,
            width=self.width,
            height=self.height,
            depth=self.depth,
            array_layers=self.array_layers,
            mip_levels=self.mip_levels,
            format=self.format,
            content_hash=self.content_hash,
        )

