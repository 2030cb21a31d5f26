"""Importers: one per source format, side by side, and the one table that picks them.

``_importer`` holds the interface and format detection; ``_texture_importer``
the standalone-texture flow; ``_scene_importer`` the flow every scene format
shares, fed a plain ``SceneDescription`` by ``_gltf_importer`` (reading with
``_gltf_reader``) or ``_fbx_importer`` (reading with ``_fbx_reader`` in a
child process). Sources on disk are expanded by ``_sources``.
"""

from ._fbx_importer import FbxImporter as FbxImporter
from ._gltf_importer import GltfImporter as GltfImporter
from ._importer import SCENE_FORMATS as SCENE_FORMATS
from ._importer import Importer as Importer
from ._importer import ImportFormat as ImportFormat
from ._importer import detect_format as detect_format
from ._material_readiness import MaterialReadinessTracker as MaterialReadinessTracker
from ._sources import NOT_RENDERED as NOT_RENDERED
from ._sources import SourceSet as SourceSet
from ._sources import check_settings as check_settings
from ._sources import expand_sources as expand_sources
from ._sources import make_desc as make_desc
from ._texture_importer import TextureSetImporter as TextureSetImporter

# The one table of importers: source kind -> importer class.
IMPORTERS: dict[ImportFormat, type[Importer]] = {
    ImportFormat.TEXTURES: TextureSetImporter,
    ImportFormat.GLTF: GltfImporter,
    ImportFormat.GLB: GltfImporter,
    ImportFormat.FBX: FbxImporter,
}

__all__ = [
    "IMPORTERS",
    "NOT_RENDERED",
    "SCENE_FORMATS",
    "FbxImporter",
    "GltfImporter",
    "ImportFormat",
    "Importer",
    "MaterialReadinessTracker",
    "SourceSet",
    "TextureSetImporter",
    "check_settings",
    "detect_format",
    "expand_sources",
    "make_desc",
]
