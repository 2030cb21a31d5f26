"""The pictures of a root's textures: each row decoded and written as PNG files into the page's folder.

One texture at a time: its level-0 thumbnail, the mip chain as a strip, alpha,
shaded normals, and (with a cook report whose source file is readable) the source
and an error heatmap. File names come from row indices only (``t12.png``,
``t12-mips.png``): names in the container are data and never reach a path. A row
that does not read becomes a card with its problem and no picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from oxcook.formats import FormatError
from oxcook.worker import TextureImportError
from oxcook.worker.cook import decode_source, preset_desc

from ._catalog import TextureInfo
from ._decode import MAX_DECODE_PIXELS, PayloadReader, has_alpha
from ._png import fit, resize_to, save_png, strip
from ._views import alpha_view, display_rgba, error_heatmap, is_opaque, psnr_db, shaded_normals

THUMB = 256  # longest side of a thumbnail, in pixels
STRIP = 64  # box of one mip in the mip strip
MIN_SHOWN = 96  # small textures are drawn at least this large (pixelated), so a 1x1 is still visible


@dataclass(frozen=True)
class Picture:
    view: str  # "texture", "mips", "alpha", "shaded", "source", "error"
    file: str  # a file name inside the page's folder
    width: int  # size to draw it at
    height: int


@dataclass(frozen=True)
class Card:
    """One texture as the page shows it."""

    info: TextureInfo
    pictures: tuple[Picture, ...] = ()
    error: str = ""  # the row does not read: a placeholder is drawn instead
    measured_psnr: float | None = None  # cooked level 0 vs its source file, RGB
    source_file: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(e.failed for e in self.info.cook) or any(p.startswith("error") for p in self.info.problems)

    @property
    def warned(self) -> bool:
        return any(e.warned for e in self.info.cook) or bool(self.info.problems) or bool(self.notes)

    @property
    def psnr(self) -> float | None:
        """The report's lowest PSNR figure, else the one measured here."""
        reported = [e.psnr for e in self.info.cook if e.psnr is not None]
        return min(reported) if reported else self.measured_psnr


def worst_first(cards: list[Card]) -> list[Card]:
    """Failed first, then warned, each by lowest PSNR (unknown last), then row order."""

    def key(card: Card):
        psnr = card.psnr
        return (0 if card.failed else 1 if card.warned else 2, psnr if psnr is not None else math.inf, card.info.index)

    return sorted(cards, key=key)


def _drawn(pixels: np.ndarray) -> tuple[int, int]:
    """The size to draw a picture at: small ones scaled up by a whole factor."""
    h, w = pixels.shape[:2]
    factor = max(1, MIN_SHOWN // max(w, h))
    return w * factor, h * factor


def _level0(reader: PayloadReader) -> tuple[int, np.ndarray]:
    """The largest mip a view may decode (level 0 unless that one is huge)."""
    for mip in range(reader.row.mip_levels):
        w, h = reader.extent(mip)
        if w * h <= MAX_DECODE_PIXELS:
            return mip, reader.pixels(mip)
    return reader.row.mip_levels - 1, reader.pixels(reader.row.mip_levels - 1)


def _source_pixels(path: Path) -> np.ndarray:
    decoded = decode_source(path.read_bytes(), preset_desc("data", source_id=path.name))
    return display_rgba(decoded.pixels)


def render_texture(files, data_relpath: str, info: TextureInfo, out: Path, sources: list[Path]) -> Card:
    """Decode one row and write its pictures into ``out``; never raises for a broken row.

    Args:
        files: read access to the root.
        data_relpath: the textures data file.
        info: the row and what is known about it.
        out: the page's folder.
        sources: candidate paths of the row's source file, in order (the first readable one is shown).
    """
    i, row = info.index, info.row
    try:
        reader = PayloadReader(files, data_relpath, row, where=f"row {i}")
        mip0, texels = _level0(reader)
        rgba = display_rgba(texels)
        pictures, notes = [], []
        if mip0:
            notes.append(f"level {mip0} shown: level 0 is larger than a view decodes")
        thumb = fit(rgba, THUMB)
        save_png(out / f"t{i}.png", thumb)
        pictures.append(Picture("texture", f"t{i}.png", *_drawn(thumb)))
        if row.mip_levels > 1:
            chain = [rgba if m == mip0 else display_rgba(reader.pixels(m)) for m in range(mip0, row.mip_levels)]
            picture = strip(chain, STRIP)
            save_png(out / f"t{i}-mips.png", picture)
            pictures.append(Picture("mips", f"t{i}-mips.png", picture.shape[1], picture.shape[0]))
        if has_alpha(row.format) and not is_opaque(rgba):
            alpha = alpha_view(thumb)
            save_png(out / f"t{i}-alpha.png", alpha)
            pictures.append(Picture("alpha", f"t{i}-alpha.png", *_drawn(alpha)))
        if info.normal_map:
            shaded = fit(shaded_normals(texels), THUMB)
            save_png(out / f"t{i}-shaded.png", shaded)
            pictures.append(Picture("shaded", f"t{i}-shaded.png", *_drawn(shaded)))
    except FormatError as exc:
        return Card(info, error=exc.message)
    measured, source_file = None, ""
    path = next((p for p in sources if p.is_file()), None)
    if path is not None and mip0 == 0:
        try:
            source = _source_pixels(path)
        except (TextureImportError, OSError) as exc:
            notes.append(f"source {path} does not read: {getattr(exc, 'message', None) or exc}")
        else:
            source_file = str(path)
            if source.shape[:2] != rgba.shape[:2]:
                notes.append(f"source is {source.shape[1]}x{source.shape[0]}, compared scaled to {rgba.shape[1]}x{rgba.shape[0]}")
                source = resize_to(source, rgba.shape[1], rgba.shape[0])
            measured = psnr_db(source[..., :3], rgba[..., :3])
            for view, picture in (("source", fit(source, THUMB)), ("error", fit(error_heatmap(source[..., :3], rgba[..., :3]), THUMB))):
                save_png(out / f"t{i}-{view}.png", picture)
                pictures.append(Picture(view, f"t{i}-{view}.png", *_drawn(picture)))
    return Card(info, tuple(pictures), measured_psnr=measured, source_file=source_file, notes=tuple(notes))
