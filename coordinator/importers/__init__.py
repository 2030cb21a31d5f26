"""Importers: one per source format, side by side, and the one table that picks them.

``_importer`` holds the interface and format detection; ``_texture_importer``
the standalone-texture flow; ``_scene_importer`` the flow every scene format
shares, fed a plain ``SceneDescription`` by ``_gltf_importer`` (reading with
``_gltf_reader``) or ``_fbx_importer`` (reading with ``_fbx_reader`` in a
child process). Sources on disk are expanded by ``_sources``.

The importers are imported on first use (:func:`importer_for`, or their names
here), so a cook of textures alone never loads the scene readers, and a cook
the build record finds nothing to do for (``_incremental``) loads no importer.
"""

import importlib

from oxcook import _lazy

from ._importer import SCENE_FORMATS as SCENE_FORMATS
from ._importer import SOURCE_KINDS as SOURCE_KINDS
from ._importer import Importer as Importer
from ._importer import ImportFormat as ImportFormat
from ._importer import detect_format as detect_format
from ._incremental import MISSING as MISSING
from ._incremental import Missing as Missing
from ._incremental import missing_inputs as missing_inputs
from ._incremental import scene_verdict as scene_verdict
from ._incremental import iter_texture_verdicts as iter_texture_verdicts
from ._incremental import texture_verdicts as texture_verdicts
from ._incremental import unchanged_report_entry as unchanged_report_entry
from ._material_readiness import MaterialReadinessTracker as MaterialReadinessTracker
from ._sources import NOT_RENDERED as NOT_RENDERED
from ._sources import SourceSet as SourceSet
from ._sources import check_settings as check_settings
from ._sources import expand_sources as expand_sources
from ._sources import format_name as format_name
from ._sources import make_desc as make_desc

# Source kind -> the module and class that import it (declared in ``SOURCE_KINDS``).
IMPORTERS: dict[ImportFormat, tuple[str, str]] = {kind.format: kind.importer for kind in SOURCE_KINDS}
_LAZY = {name: module for module, name in IMPORTERS.values()}
_LAZY["gltf_scene_estimate"] = "._gltf_shape"  # numpy: only when asked
_LAZY["measure"] = _LAZY["Extent"] = "._measure"  # a header read: only when one is needed


def importer_for(fmt: ImportFormat) -> type[Importer] | None:
    """The importer class for ``fmt`` (its module imported now if it was not), or None."""
    where = IMPORTERS.get(fmt)
    return None if where is None else getattr(importlib.import_module(where[0], __name__), where[1])


__getattr__, __dir__ = _lazy.lazy_names(globals(), _LAZY)

__all__ = [
    "IMPORTERS",
    "Extent",
    "MISSING",
    "NOT_RENDERED",
    "SCENE_FORMATS",
    "SOURCE_KINDS",
    "FbxImporter",
    "GltfImporter",
    "ImportFormat",
    "Importer",
    "MaterialReadinessTracker",
    "Missing",
    "SourceSet",
    "TextureSetImporter",
    "check_settings",
    "detect_format",
    "expand_sources",
    "gltf_scene_estimate",
    "importer_for",
    "format_name",
    "make_desc",
    "measure",
    "missing_inputs",
    "scene_verdict",
    "iter_texture_verdicts",
    "texture_verdicts",
    "unchanged_report_entry",
]
