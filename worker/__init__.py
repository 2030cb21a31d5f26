"""Pure compute that runs on any machine: texture cooking from source bytes to OTX1 payloads.

No knowledge of containers: stages in ``_cook`` (decode, working format,
processing, mips, output, packing), descriptors and presets in
``_desc``/``_presets``, the one door to each foreign library (``_imaging`` for
decoders, ``_bcn`` for the block encoder), errors and diagnostics that cross
the wire as data, and the wire itself (``_wire``: typed work and result
messages). File access: ``_tasks.load_sources`` reads sources for work items
sent by path to workers that share storage (only under the worker's source
roots), and the cache tiers (``_cache_tiers``) read and write entries in a
cache folder. Depends on ``formats`` only.

Public modules, loaded by tools by name: ``oxcook.worker.celery_app`` (the
Celery app), ``oxcook.worker.farm_keys`` (Redis key and task names) and
``oxcook.worker.redis_clients`` (clients for big values), the last two shared with
the coordinator's farm backend.
"""

from ._bands import join_texture_parts as join_texture_parts
from ._bands import split_bands as split_bands
from ._bands import cook_estimate_s as cook_estimate_s
from ._bands import split_worth as split_worth
from ._bcn import BC7_PROFILES as BC7_PROFILES
from ._bcn import ENCODABLE as ENCODABLE
from ._bcn import TARGETS as ENCODER_TARGETS
from ._bcn import default_target as default_encoder_target
from ._bcn import distinct_blocks as distinct_blocks
from ._bcn import encode_blocks as encode_blocks
from ._bcn import encoder_target as encoder_target
from ._bcn import supported_targets as supported_encoder_targets
from ._budget import CookCost as CookCost
from ._budget import memory_budget as memory_budget
from ._budget import parse_size as parse_size
from ._budget import share_of_machine as share_of_machine
from ._cache_entry import CacheEntry as CacheEntry
from ._cache_entry import CorruptEntry as CorruptEntry
from ._cache_entry import pack_entry as pack_entry
from ._cache_entry import read_entry as read_entry
from ._cache_entry import readdress as readdress
from ._cache_entry import unpack_entry as unpack_entry
from ._cache_key import COOKER_VERSION as COOKER_VERSION
from ._cache_key import CacheKey as CacheKey
from ._cache_key import encoder_identity as encoder_identity
from ._cache_key import mesh_key as mesh_key
from ._cache_key import miss_reason as miss_reason
from ._cache_key import texture_key as texture_key
from ._cache_tiers import MAX_ENTRY_BYTES as MAX_ENTRY_BYTES
from ._cache_tiers import FolderTier as FolderTier
from ._cache_tiers import UnusableEntry as UnusableEntry
from ._cache_tiers import read_cache_file as read_cache_file
from ._cache_tiers import open_shared as open_shared_tier
from ._cook import WorkingImage as WorkingImage
from ._cook import apply_content_processing as apply_content_processing
from ._cook import convert_to_output_format as convert_to_output_format
from ._cook import convert_to_working_format as convert_to_working_format
from ._cook import cook_cost as cook_cost
from ._cook import cook_texture as cook_texture
from ._cook import cook_texture_layers as cook_texture_layers
from ._cook import decode_source as decode_source
from ._cook import encoder_input as encoder_input
from ._cook import generate_mips as generate_mips
from ._cook import pack_subresources as pack_subresources
from ._cook import mip_levels_for as mip_levels_for
from ._cook import plan_cook as plan_cook
from ._cook_types import CookedTexture as CookedTexture
from ._cook_types import CookPlan as CookPlan
from ._desc import DEFAULT_MAX_DIMENSION as DEFAULT_MAX_DIMENSION
from ._desc import Bc7Quality as Bc7Quality
from ._desc import ColorSpace as ColorSpace
from ._desc import HdrHandling as HdrHandling
from ._desc import MipFilter as MipFilter
from ._desc import MipPolicy as MipPolicy
from ._desc import TextureImportDesc as TextureImportDesc
from ._desc import TextureIntent as TextureIntent
from ._desc import validate_pre_decode as validate_pre_decode
from ._diagnostics import ImportDiagnostic as ImportDiagnostic
from ._diagnostics import ImportSeverity as ImportSeverity
from ._errors import TextureCancelled as TextureCancelled
from ._errors import TextureImportError as TextureImportError
from ._errors import TextureImportErrorCode as TextureImportErrorCode
from ._failpoints import failpoint as failpoint
from ._imaging import HEADER_BYTES as HEADER_BYTES
from ._imaging import DecodedImage as DecodedImage
from ._imaging import image_size as image_size
from ._imaging import sniff_format as sniff_format
from ._mesh import MeshBuffers as MeshBuffers
from ._mesh import build_mesh_buffers as build_mesh_buffers
from ._pool_process import pool_process_init as pool_process_init
from ._pool_process import run_in_pool_process as run_in_pool_process
from ._presets import TexturePreset as TexturePreset
from ._presets import apply_preset as apply_preset
from ._presets import detect_preset_from_filename as detect_preset_from_filename
from ._presets import parse_preset as parse_preset
from ._presets import preset_desc as preset_desc
from ._rows import BAND_ROWS as BAND_ROWS
from ._tasks import run_work as run_work
from ._wire import MAX_CHUNK_ITEMS as MAX_CHUNK_ITEMS
from ._wire import MAX_PARTS as MAX_PARTS
from ._wire import RESULT_FOR as RESULT_FOR
from ._wire import WIRE_VERSION as WIRE_VERSION
from ._wire import MeshResult as MeshResult
from ._wire import MeshWork as MeshWork
from ._wire import Result as Result
from ._wire import TextureChunk as TextureChunk
from ._wire import TextureResult as TextureResult
from ._wire import TextureWork as TextureWork
from ._wire import WireError as WireError
from ._wire import Work as Work
from ._wire import WorkRef as WorkRef
from ._wire import decode as decode
from ._wire import encode as encode
from ._wire import error_result as error_result
from ._wire import peek_version as peek_version

__all__ = [
    "CorruptEntry",
    "FolderTier",
    "MAX_ENTRY_BYTES",
    "UnusableEntry",
    "read_cache_file",
    "open_shared_tier",
    "pack_entry",
    "read_entry",
    "CacheEntry",
    "readdress",
    "unpack_entry",
    "ENCODER_TARGETS",
    "default_encoder_target",
    "encoder_target",
    "supported_encoder_targets",
    "COOKER_VERSION",
    "CacheKey",
    "encoder_identity",
    "mesh_key",
    "miss_reason",
    "texture_key",
    "memory_budget",
    "parse_size",
    "share_of_machine",
    "RESULT_FOR",
    "Result",
    "Work",
    "BC7_PROFILES",
    "DEFAULT_MAX_DIMENSION",
    "ENCODABLE",
    "WIRE_VERSION",
    "BAND_ROWS",
    "MAX_CHUNK_ITEMS",
    "MAX_PARTS",
    "HEADER_BYTES",
    "image_size",
    "CookCost",
    "apply_content_processing",
    "cook_cost",
    "join_texture_parts",
    "split_bands",
    "cook_estimate_s",
    "split_worth",
    "apply_preset",
    "Bc7Quality",
    "build_mesh_buffers",
    "ColorSpace",
    "convert_to_output_format",
    "convert_to_working_format",
    "cook_texture",
    "cook_texture_layers",
    "CookedTexture",
    "CookPlan",
    "decode",
    "decode_source",
    "DecodedImage",
    "detect_preset_from_filename",
    "encode",
    "encode_blocks",
    "encoder_input",
    "error_result",
    "failpoint",
    "generate_mips",
    "HdrHandling",
    "ImportDiagnostic",
    "ImportSeverity",
    "MeshBuffers",
    "MeshResult",
    "MeshWork",
    "MipFilter",
    "MipPolicy",
    "pack_subresources",
    "parse_preset",
    "peek_version",
    "mip_levels_for",
    "plan_cook",
    "preset_desc",
    "run_work",
    "distinct_blocks",
    "pool_process_init",
    "run_in_pool_process",
    "sniff_format",
    "TextureCancelled",
    "TextureImportDesc",
    "TextureImportError",
    "TextureImportErrorCode",
    "TextureIntent",
    "TexturePreset",
    "TextureChunk",
    "TextureResult",
    "TextureWork",
    "validate_pre_decode",
    "WireError",
    "WorkingImage",
    "WorkRef",
]
