"""``oxcook inspect --export``: one texture, picked by row index or name, decoded to a PNG.

:func:`find_texture` is the pure choice (index, source name, sidecar name or stem);
:func:`export_texture` decodes the mip and writes the file. Float formats are
tone-mapped as on the page (a PNG holds 8 bits).
"""

from __future__ import annotations

from pathlib import Path

from oxcook.formats import FileKind, ValidationReport, otex_relpath

from .._errors import ConfigError
from ..emit import CookedRootFiles
from ._catalog import TextureInfo, read_catalog, sidecar_stem
from ._decode import PayloadReader
from ._png import save_png
from ._views import display_rgba


def find_texture(textures: tuple[TextureInfo, ...], name: str) -> TextureInfo:
    """The texture ``name`` means: a row index, a source name as given to the cook
    (``hopper_albedo.png``, ``BoxTextured/CesiumLogoFlat.png``), a sidecar file name, or a sidecar stem.

    Raises:
        ConfigError: no texture, or several, go by that name (the message names them).
    """
    if name.isdigit():
        index = int(name)
        if index >= len(textures):
            raise ConfigError(f"no texture row {index}: the textures table has {len(textures)} rows (0-{len(textures) - 1})")
        return textures[index]
    sidecar = otex_relpath(name).rsplit("/", 1)[-1]
    exact = [t for t in textures if sidecar in t.sidecars or name in t.sidecars or any(e.source == name for e in t.cook)]
    found = exact or [t for t in textures if name in (sidecar_stem(s) for s in t.sidecars)]
    if len({t.index for t in found}) == 1:
        return found[0]
    if found:
        rows = ", ".join(f"{t.index} ({', '.join(t.sidecars)})" for t in found)
        raise ConfigError(f"texture name {name!r} is ambiguous: rows {rows}; give a row index or the sidecar file name")
    raise ConfigError(f"no texture named {name!r}: give a row index, the source name the cook was given, or a sidecar name from {_sidecar_dir()}")


def _sidecar_dir() -> str:
    return otex_relpath("x").rsplit("/", 1)[0]


def export_texture(root: Path, report: ValidationReport, name: str, mip: int, out: Path) -> TextureInfo:
    """Write mip ``mip`` (layer 0) of the texture ``name`` names to the PNG ``out``.

    Raises:
        ConfigError: unknown name or mip (exit 2).
        FormatError: the row does not read (the message names it and the problem).
        OSError: ``out`` cannot be written.
    """
    files = CookedRootFiles(root)
    info = find_texture(read_catalog(root, files, report).textures, name)
    if not 0 <= mip < info.row.mip_levels:
        raise ConfigError(f"texture {info.index} ({info.title}) has mips 0-{info.row.mip_levels - 1}, not {mip}")
    data = report.index.file(FileKind.TEXTURES_DATA) if report.index is not None else None
    if data is None:
        raise ConfigError(f"{root}: the index records no textures data file")
    pixels = PayloadReader(files, data.relpath, info.row, where=f"row {info.index}").pixels(mip)
    save_png(out, display_rgba(pixels))
    return info

