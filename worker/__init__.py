"""Pure compute that runs on any machine: texture cooking from source bytes to OTX1 payloads.

No file I/O and no knowledge of containers: stages in ``_cook`` (decode,
working format, processing, mips, output, packing), descriptors and presets in
``_desc``/``_presets``, the one door to each foreign library (``_imaging`` for
decoders, ``_bcn`` for the block encoder), errors and diagnostics that cross
the wire as data. Depends on ``formats`` only.
"""

from ._bcn import BC7_PROFILES as BC7_PROFILES
from ._bcn import ENCODABLE as ENCODABLE
from ._bcn import encode_blocks as encode_blocks
from ._cook import CookedTexture as CookedTexture
from ._cook import CookPlan as CookPlan
from ._cook import WorkingImage as WorkingImage
from ._cook import apply_content_processing as apply_content_processing
from ._cook import convert_to_output_format as convert_to_output_format
from ._cook import convert_to_working_format as convert_to_working_format
from ._cook import cook_texture as cook_texture
from ._cook import cook_texture_layers as cook_texture_layers
from ._cook import decode_source as decode_source
from ._cook import generate_mips as generate_mips
from ._cook import pack_subresources as pack_subresources
from ._cook import plan_cook as plan_cook
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
from ._failpoints import failpoint as failpoint
from ._errors import TextureImportError as TextureImportError
from ._errors import TextureImportErrorCode as TextureImportErrorCode
from ._imaging import DecodedImage as DecodedImage
from ._mesh import MeshBuffers as MeshBuffers
from ._mesh import build_mesh_buffers as build_mesh_buffers
from ._imaging import sniff_format as sniff_format
from ._presets import TexturePreset as TexturePreset
from ._tasks import cooked_from_result as cooked_from_result
from ._tasks import mesh_from_result as mesh_from_result
from ._tasks import mesh_work as mesh_work
from ._tasks import run_texture_work as run_texture_work
from ._tasks import run_work as run_work
from ._tasks import texture_work as texture_work
from ._wire import WIRE_VERSION as WIRE_VERSION
from ._wire import WORK_KINDS as WORK_KINDS
from ._wire import WireError as WireError
from ._wire import decode_message as decode_message
from ._wire import encode_message as encode_message
from ._presets import apply_preset as apply_preset
from ._presets import detect_preset_from_filename as detect_preset_from_filename
from ._presets import parse_preset as parse_preset
from ._presets import preset_desc as preset_desc

__all__ = [
    "BC7_PROFILES",
    "Bc7Quality",
    "ColorSpace",
    "CookPlan",
    "CookedTexture",
    "DEFAULT_MAX_DIMENSION",
    "DecodedImage",
    "ENCODABLE",
    "HdrHandling",
    "ImportDiagnostic",
    "ImportSeverity",
    "MeshBuffers",
    "MipFilter",
    "MipPolicy",
    "TextureCancelled",
    "TextureImportDesc",
    "TextureImportError",
    "TextureImportErrorCode",
    "TextureIntent",
    "TexturePreset",
    "WIRE_VERSION",
    "WORK_KINDS",
    "WireError",
    "WorkingImage",
    "apply_content_processing",
    "apply_preset",
    "build_mesh_buffers",
    "convert_to_output_format",
    "convert_to_working_format",
    "cook_texture",
    "cook_texture_layers",
    "cooked_from_result",
    "decode_message",
    "decode_source",
    "detect_preset_from_filename",
    "encode_blocks",
    "encode_message",
    "failpoint",
    "generate_mips",
    "mesh_from_result",
    "mesh_work",
    "pack_subresources",
    "parse_preset",
    "plan_cook",
    "preset_desc",
    "run_texture_work",
    "run_work",
    "sniff_format",
    "texture_work",
    "validate_pre_decode",
]
