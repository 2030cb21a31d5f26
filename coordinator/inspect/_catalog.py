"""Everything the inspection page says about a root besides pixels, as plain data.

:func:`read_catalog` reads the descriptors and ``.otex`` sidecars of a validated root
(the edge: file access); :func:`texture_infos` joins rows, sidecar names, material
slots, cook-report entries and validation findings (pure). Descriptor and sidecar
bytes are never trusted: a broken one becomes a problem line, not an exception.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from oxcook.formats import (
    TEXTURE_FIELDS,
    AssetType,
    Format,
    FormatError,
    ValidationReport,
    header_name,
    unpack_geometry,
    unpack_material,
    unpack_otex,
    unpack_scene,
)
from oxcook.worker.cook import TexturePreset, detect_preset_from_filename

from .._errors import PathEscapesRoot
from ..emit import confined
from ._cook_report import CookEntry

SIDECAR_DIR = "Resources/Textures"
NORMAL_SLOTS = ("normal_texture", "clearcoat_normal_texture")
_SIDECAR_NAME = re.compile(r"^(?P<stem>.*)_[0-9a-f]{16}\.otex$")
_ROW_WHERE = re.compile(r"^row (\d+)\b")


@dataclass(frozen=True)
class MaterialInfo:
    """A material asset: its virtual path and the textures its slots name (slot, row index)."""

    virtual_path: str
    name: str = ""
    slots: tuple[tuple[str, int], ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class AssetInfo:
    """A geometry or scene asset: its virtual path and a few counts (label, number)."""

    kind: str
    virtual_path: str
    counts: tuple[tuple[str, int], ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class TextureInfo:
    """One row of the textures table and what the root and the report say about it."""

    index: int
    row: object
    sidecars: tuple[str, ...] = ()  # sidecar file names that name this row
    uses: tuple[tuple[str, str], ...] = ()  # (material virtual path, slot)
    cook: tuple[CookEntry, ...] = ()
    problems: tuple[str, ...] = ()  # validation findings for this row
    normal_map: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Human names: the report's sources, else the sidecars' stems."""
        sources = tuple(dict.fromkeys(e.source for e in self.cook))
        return sources or tuple(dict.fromkeys(sidecar_stem(s) for s in self.sidecars))

    @property
    def title(self) -> str:
        if self.index == 0 and not self.cook:
            return "fallback"
        return self.names[0] if self.names else f"texture {self.index}"

    @property
    def format_name(self) -> str:
        try:
            return Format(self.row.format).name
        except ValueError:
            return f"format {self.row.format}"


@dataclass(frozen=True)
class Catalog:
    textures: tuple[TextureInfo, ...]
    materials: tuple[MaterialInfo, ...]
    assets: tuple[AssetInfo, ...]  # geometry and scenes
    problems: tuple[str, ...]  # sidecars that do not read


def sidecar_stem(file_name: str) -> str:
    """``hopper_albedo`` of ``hopper_albedo_0123456789abcdef.otex``."""
    m = _SIDECAR_NAME.match(file_name)
    return m["stem"] if m else file_name.removesuffix(".otex")


def _is_normal(index: int, fmt: int, uses, sidecars, cook) -> bool:
    if any(slot in NORMAL_SLOTS for _, slot in uses) or any(e.preset == TexturePreset.NORMAL.value for e in cook):
        return True
    if fmt in (Format.BC5_UNORM, Format.BC5_SNORM):
        return True
    return index > 0 and any(detect_preset_from_filename(sidecar_stem(s)) == TexturePreset.NORMAL for s in sidecars)


def texture_infos(rows, sidecars: dict[int, list[str]], materials, cook: dict[int, list[CookEntry]], violations) -> tuple[TextureInfo, ...]:
    """One :class:`TextureInfo` per row (pure).

    A texture is a normal map when a material uses it in a normal slot, the report
    cooked it with the ``normal`` preset, it is BC5, or a sidecar's name carries the
    suffix the cook reads as the normal preset (``_normal``, ``_n``, ...).
    """
    uses: dict[int, list[tuple[str, str]]] = {}
    for m in materials:
        for slot, index in m.slots:
            uses.setdefault(index, []).append((m.virtual_path, slot))
    problems: dict[int, list[str]] = {}
    for v in violations:
        m = _ROW_WHERE.match(v.where)
        if m and v.rule.startswith("texture"):
            problems.setdefault(int(m[1]), []).append(f"{v.severity.value}: {v.message} ({v.rule})")
    out = []
    for i, row in enumerate(rows):
        names, used, entries = tuple(sorted(sidecars.get(i, ()))), tuple(uses.get(i, ())), tuple(cook.get(i, ()))
        out.append(TextureInfo(i, row, names, used, entries, tuple(problems.get(i, ())), _is_normal(i, row.format, used, names, entries)))
    return tuple(out)


def _read_sidecars(root: Path, files, n_rows: int) -> tuple[dict[int, list[str]], list[str]]:
    by_index: dict[int, list[str]] = {}
    problems: list[str] = []
    try:
        folder = confined(root, SIDECAR_DIR)
        names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".otex") and e.is_file(follow_symlinks=False))
    except (OSError, PathEscapesRoot):
        return by_index, problems
    for name in names:
        rel = f"{SIDECAR_DIR}/{name}"
        try:
            sidecar = unpack_otex(files.read(rel), where=rel)
        except (FormatError, OSError, PathEscapesRoot) as exc:
            problems.append(f"{rel}: {getattr(exc, 'message', None) or exc}")
            continue
        if sidecar.resource_index >= n_rows:
            problems.append(f"{rel}: names row {sidecar.resource_index}, the textures table has {n_rows} rows")
            continue
        by_index.setdefault(sidecar.resource_index, []).append(name)
    return by_index, problems


def _read_asset(files, asset, epoch) -> MaterialInfo | AssetInfo | None:
    kind = AssetType(asset.asset_type) if asset.asset_type in AssetType.__members__.values() else None
    rel, vpath = asset.descriptor_relpath, asset.virtual_path
    try:
        data = files.read(rel)
        if kind == AssetType.MATERIAL:
            desc, _ = unpack_material(data, epoch=epoch, where=rel)
            slots = tuple((f, getattr(desc, f)) for f in TEXTURE_FIELDS if getattr(desc, f))
            return MaterialInfo(vpath, header_name(desc.header), slots)
        if kind == AssetType.GEOMETRY:
            geo = unpack_geometry(data, epoch=epoch, where=rel)
            subs = sum(len(m.submeshes) for m in geo.lods)
            views = [v for m in geo.lods[:1] for s in m.submeshes for v in s.views]
            counts = (("LODs", len(geo.lods)), ("submeshes", subs), ("vertices", sum(v.vertex_count for v in views)), ("triangles", sum(v.index_count for v in views) // 3))
            return AssetInfo("geometry", vpath, counts)
        if kind == AssetType.SCENE:
            scene = unpack_scene(data, epoch=epoch, where=rel)
            return AssetInfo("scene", vpath, (("nodes", len(scene.nodes)), ("renderables", len(scene.renderables))))
    except (FormatError, OSError, PathEscapesRoot) as exc:
        problem = f"{rel}: {getattr(exc, 'message', None) or exc}"
        return MaterialInfo(vpath, problem=problem) if kind == AssetType.MATERIAL else AssetInfo(kind.name.lower() if kind else "asset", vpath, problem=problem)
    return None


def read_catalog(root: Path, files, report: ValidationReport, cook: dict[int, list[CookEntry]] | None = None) -> Catalog:
    """The catalog of a root the validator has read (``report``); ``cook`` maps row indices to report entries."""
    rows = report.texture_rows
    sidecars, problems = _read_sidecars(root, files, len(rows))
    materials, assets = [], []
    if report.index is not None:
        for asset in report.index.assets:
            info = _read_asset(files, asset, report.index.epoch)
            if isinstance(info, MaterialInfo):
                materials.append(info)
            elif info is not None:
                assets.append(info)
    textures = texture_infos(rows, sidecars, materials, cook or {}, report.violations)
    return Catalog(textures, tuple(materials), tuple(assets), tuple(problems))
