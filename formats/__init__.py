"""Byte layouts of the Oxygen Engine's loose cooked container.

``formats`` knows bytes only: every structure of the spec
(``shared/design/oxygen-format-spec.md``) declared once with pack, unpack and
size derived, the arithmetic of texture payloads, identities and path rules, and
a validator over an abstract file accessor. It imports neither ``worker`` nor
``coordinator`` and does no file I/O.

Layout of the package: one private module per file kind or structure family
(``_index``, ``_texture``, ``_texture_payload``, ``_otex``, ``_buffer``,
``_asset_header``, ``_material``, ``_geometry``, ``_scene``), shared helpers
(``_layout``, ``_errors``, ``_identity``, ``_paths``) and the validator
(``_validate``). Everything public is re-exported here.
"""

from ._asset_header import ASSET_HEADER as ASSET_HEADER
from ._asset_header import AssetType as AssetType
from ._asset_header import descriptor_hash_problem as descriptor_hash_problem
from ._asset_header import header_name as header_name
from ._asset_header import make_header as make_header
from ._asset_header import read_header as read_header
from ._asset_header import seal_descriptor as seal_descriptor
from ._buffer import BUFFER_RESOURCE_DESC as BUFFER_RESOURCE_DESC
from ._buffer import DEFAULT_BUFFER_ALIGNMENT as DEFAULT_BUFFER_ALIGNMENT
from ._buffer import INDEX_ALIGNMENT as INDEX_ALIGNMENT
from ._buffer import VERTEX_ALIGNMENT as VERTEX_ALIGNMENT
from ._buffer import VERTEX_STRIDE as VERTEX_STRIDE
from ._buffer import BufferUsage as BufferUsage
from ._buffer import buffer_row_problem as buffer_row_problem
from ._buffer import sentinel_row as sentinel_row
from ._errors import FormatCorrupt as FormatCorrupt
from ._errors import FormatError as FormatError
from ._errors import FormatNotRecognized as FormatNotRecognized
from ._errors import FormatTruncated as FormatTruncated
from ._errors import FormatUnsupported as FormatUnsupported
from ._errors import LayoutError as LayoutError
from ._errors import OxcookError as OxcookError
from ._geometry import GEOMETRY_ASSET_DESC as GEOMETRY_ASSET_DESC
from ._geometry import MESH_DESC as MESH_DESC
from ._geometry import MESH_VIEW_DESC as MESH_VIEW_DESC
from ._geometry import STANDARD_MESH_INFO as STANDARD_MESH_INFO
from ._geometry import SUBMESH_DESC as SUBMESH_DESC
from ._geometry import Geometry as Geometry
from ._geometry import Mesh as Mesh
from ._geometry import MeshType as MeshType
from ._geometry import MeshView as MeshView
from ._geometry import SubMesh as SubMesh
from ._geometry import pack_geometry as pack_geometry
from ._geometry import unpack_geometry as unpack_geometry
from ._identity import NIL_KEY as NIL_KEY
from ._identity import asset_key_for as asset_key_for
from ._identity import is_uuid_v7 as is_uuid_v7
from ._identity import key_text as key_text
from ._identity import new_source_key as new_source_key
from ._identity import parse_key_text as parse_key_text
from ._index import ASSET_ENTRY as ASSET_ENTRY
from ._index import DEFAULT_RELPATHS as DEFAULT_RELPATHS
from ._index import FILE_RECORD as FILE_RECORD
from ._index import INDEX_FILE_NAME as INDEX_FILE_NAME
from ._index import INDEX_HEADER as INDEX_HEADER
from ._index import AssetRecord as AssetRecord
from ._index import ContainerIndex as ContainerIndex
from ._index import Epoch as Epoch
from ._index import FileKind as FileKind
from ._index import FileRecordInfo as FileRecordInfo
from ._index import IndexFlags as IndexFlags
from ._index import build_index as build_index
from ._index import detect_epoch as detect_epoch
from ._index import index_problems as index_problems
from ._index import parse_index as parse_index
from ._layout import Layout as Layout
from ._layout import align_up as align_up
from ._layout import fixed_str as fixed_str
from ._layout import read_fixed_str as read_fixed_str
from ._material import MATERIAL_ASSET_DESC as MATERIAL_ASSET_DESC
from ._material import SHADER_REFERENCE_DESC as SHADER_REFERENCE_DESC
from ._material import TEXTURE_FIELDS as TEXTURE_FIELDS
from ._material import MaterialDomain as MaterialDomain
from ._material import MaterialFlags as MaterialFlags
from ._material import ShaderRef as ShaderRef
from ._material import ShaderType as ShaderType
from ._material import default_shader_refs as default_shader_refs
from ._material import from_unorm16 as from_unorm16
from ._material import material_header as material_header
from ._material import pack_material as pack_material
from ._material import unorm16 as unorm16
from ._material import unpack_material as unpack_material
from ._otex import OTEX_SIZE as OTEX_SIZE
from ._otex import otex_relpath as otex_relpath
from ._otex import pack_otex as pack_otex
from ._otex import unpack_otex as unpack_otex
from ._paths import MOUNT_ROOT as MOUNT_ROOT
from ._paths import printable_name as printable_name
from ._paths import relative_path_problem as relative_path_problem
from ._paths import sanitize_segment as sanitize_segment
from ._paths import virtual_path_problem as virtual_path_problem
from ._scene import NODE_RECORD as NODE_RECORD
from ._scene import RENDERABLE_RECORD as RENDERABLE_RECORD
from ._scene import SCENE_ASSET_DESC as SCENE_ASSET_DESC
from ._scene import ComponentType as ComponentType
from ._scene import NodeFlags as NodeFlags
from ._scene import Renderable as Renderable
from ._scene import Scene as Scene
from ._scene import SceneNode as SceneNode
from ._scene import pack_scene as pack_scene
from ._scene import unpack_scene as unpack_scene
from ._texture import FORMAT_INFO as FORMAT_INFO
from ._texture import TEXTURE_ALIGNMENT as TEXTURE_ALIGNMENT
from ._texture import TEXTURE_RESOURCE_DESC as TEXTURE_RESOURCE_DESC
from ._texture import Format as Format
from ._texture import FormatInfo as FormatInfo
from ._texture import TextureType as TextureType
from ._texture import compression_type_for as compression_type_for
from ._texture_payload import SUBRESOURCE_LAYOUT as SUBRESOURCE_LAYOUT
from ._texture_payload import TEXTURE_PAYLOAD_HEADER as TEXTURE_PAYLOAD_HEADER
from ._texture_payload import PackingPolicy as PackingPolicy
from ._texture_payload import PayloadFlags as PayloadFlags
from ._texture_payload import PayloadLayout as PayloadLayout
from ._texture_payload import PayloadWriter as PayloadWriter
from ._texture_payload import Subresource as Subresource
from ._texture_payload import compute_layout as compute_layout
from ._texture_payload import content_hash as content_hash
from ._texture_payload import fallback_payload as fallback_payload
from ._texture_payload import fallback_row_fields as fallback_row_fields
from ._texture_payload import fallback_row_hashes as fallback_row_hashes
from ._texture_payload import fnv1a64 as fnv1a64
from ._texture_payload import full_mip_count as full_mip_count
from ._texture_payload import mip_extent as mip_extent
from ._texture_payload import pack_payload as pack_payload
from ._texture_payload import parse_payload as parse_payload
from ._texture_payload import payload_hash_matches as payload_hash_matches
from ._texture_payload import row_bytes as row_bytes
from ._texture_payload import sha256_content_hash as sha256_content_hash
from ._validate import ContainerFiles as ContainerFiles
from ._validate import Severity as Severity
from ._validate import ValidationReport as ValidationReport
from ._validate import Violation as Violation
from ._validate import texture_payload_problems as texture_payload_problems
from ._validate import validate_container as validate_container

__all__ = [
    "ASSET_ENTRY",
    "ASSET_HEADER",
    "AssetRecord",
    "AssetType",
    "BUFFER_RESOURCE_DESC",
    "BufferUsage",
    "ComponentType",
    "ContainerFiles",
    "ContainerIndex",
    "DEFAULT_BUFFER_ALIGNMENT",
    "DEFAULT_RELPATHS",
    "Epoch",
    "FILE_RECORD",
    "FORMAT_INFO",
    "FileKind",
    "FileRecordInfo",
    "Format",
    "FormatCorrupt",
    "FormatError",
    "FormatInfo",
    "FormatNotRecognized",
    "FormatTruncated",
    "FormatUnsupported",
    "GEOMETRY_ASSET_DESC",
    "Geometry",
    "INDEX_ALIGNMENT",
    "INDEX_FILE_NAME",
    "INDEX_HEADER",
    "IndexFlags",
    "Layout",
    "LayoutError",
    "MATERIAL_ASSET_DESC",
    "MESH_DESC",
    "MESH_VIEW_DESC",
    "MOUNT_ROOT",
    "MaterialDomain",
    "MaterialFlags",
    "Mesh",
    "MeshType",
    "MeshView",
    "NIL_KEY",
    "NODE_RECORD",
    "NodeFlags",
    "OTEX_SIZE",
    "OxcookError",
    "PackingPolicy",
    "PayloadFlags",
    "PayloadLayout",
    "PayloadWriter",
    "RENDERABLE_RECORD",
    "Renderable",
    "SCENE_ASSET_DESC",
    "SHADER_REFERENCE_DESC",
    "STANDARD_MESH_INFO",
    "SUBMESH_DESC",
    "SUBRESOURCE_LAYOUT",
    "Scene",
    "SceneNode",
    "Severity",
    "ShaderRef",
    "ShaderType",
    "SubMesh",
    "Subresource",
    "TEXTURE_ALIGNMENT",
    "TEXTURE_FIELDS",
    "TEXTURE_PAYLOAD_HEADER",
    "TEXTURE_RESOURCE_DESC",
    "TextureType",
    "VERTEX_ALIGNMENT",
    "VERTEX_STRIDE",
    "ValidationReport",
    "Violation",
    "align_up",
    "asset_key_for",
    "buffer_row_problem",
    "build_index",
    "compression_type_for",
    "compute_layout",
    "content_hash",
    "default_shader_refs",
    "descriptor_hash_problem",
    "detect_epoch",
    "fallback_payload",
    "fallback_row_fields",
    "fallback_row_hashes",
    "fixed_str",
    "fnv1a64",
    "from_unorm16",
    "full_mip_count",
    "header_name",
    "index_problems",
    "is_uuid_v7",
    "key_text",
    "make_header",
    "material_header",
    "mip_extent",
    "new_source_key",
    "otex_relpath",
    "pack_geometry",
    "pack_material",
    "pack_otex",
    "pack_payload",
    "pack_scene",
    "parse_index",
    "parse_key_text",
    "parse_payload",
    "payload_hash_matches",
    "read_fixed_str",
    "read_header",
    "relative_path_problem",
    "row_bytes",
    "printable_name",
    "sanitize_segment",
    "seal_descriptor",
    "sentinel_row",
    "sha256_content_hash",
    "unorm16",
    "unpack_geometry",
    "unpack_material",
    "unpack_otex",
    "unpack_scene",
    "texture_payload_problems",
    "validate_container",
    "virtual_path_problem",
]
