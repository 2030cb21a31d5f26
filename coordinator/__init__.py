"""Everything that owns state or output: service, importer, pipelines, session, emitters,
writer, inspection and the CLI.

Depends on ``formats`` and ``worker``; nothing depends on it. Modules are named
for the seed actor they hold (``_service`` → ``ImportService``,
``_texture_emitter`` → ``TextureEmitter``, ``_writer`` → ``LooseCookedWriter``);
everything public is re-exported here.
"""

from worker import ImportDiagnostic as ImportDiagnostic
from worker import ImportSeverity as ImportSeverity

from ._allocation import RangeAllocator as RangeAllocator
from ._allocation import ResourceTable as ResourceTable
from ._asset_emitter import AssetEmitter as AssetEmitter
from ._asset_importer import AssetImporter as AssetImporter
from ._async_importer import AsyncImporter as AsyncImporter
from ._async_importer import JobScope as JobScope
from ._backend import ComputeBackend as ComputeBackend
from ._backend import open_backend as open_backend
from ._buffer_emitter import BufferEmitter as BufferEmitter
from ._config import Config as Config
from ._cooked_root import CookedRootFiles as CookedRootFiles
from ._cooked_root import confined as confined
from ._errors import BackendError as BackendError
from ._errors import ConfigError as ConfigError
from ._errors import OutputWriteError as OutputWriteError
from ._errors import PathEscapesRoot as PathEscapesRoot
from ._errors import RootLockedError as RootLockedError
from ._errors import RootUnusableError as RootUnusableError
from ._importer import Importer as Importer
from ._importer import ImportFormat as ImportFormat
from ._importer import TextureSetImporter as TextureSetImporter
from ._importer import detect_format as detect_format
from ._inspect import inspect_root as inspect_root
from ._inspect import summary_dict as summary_dict
from ._journal import recover_root as recover_root
from ._local_backend import LocalBackend as LocalBackend
from ._service import DirectDispatcher as DirectDispatcher
from ._service import ImportService as ImportService
from ._service import QueueDispatcher as QueueDispatcher
from ._service import ServiceClosedError as ServiceClosedError
from ._session import ImportSession as ImportSession
from ._session import SessionClosedError as SessionClosedError
from ._sources import expand_sources as expand_sources
from ._texture_emitter import TextureEmitter as TextureEmitter
from ._texture_pipeline import ResourcePipeline as ResourcePipeline
from ._texture_pipeline import TexturePipeline as TexturePipeline
from ._texture_pipeline import TextureWorkItem as TextureWorkItem
from ._texture_pipeline import TextureWorkResult as TextureWorkResult
from ._texture_pipeline import aggregate_progress as aggregate_progress
from ._texture_pipeline import drain_pipeline as drain_pipeline
from ._types import ImportJobId as ImportJobId
from ._types import ImportOptions as ImportOptions
from ._types import ImportPhase as ImportPhase
from ._types import ImportProgress as ImportProgress
from ._types import ImportReport as ImportReport
from ._types import ImportRequest as ImportRequest
from ._types import LooseCookedLayout as LooseCookedLayout
from ._types import PipelineProgress as PipelineProgress
from ._types import TextureImportRequest as TextureImportRequest
from ._types import TextureSettings as TextureSettings
from ._types import TextureSource as TextureSource
from ._writer import LooseCookedWriter as LooseCookedWriter

__all__ = [
    "AssetEmitter",
    "AssetImporter",
    "AsyncImporter",
    "BackendError",
    "BufferEmitter",
    "ComputeBackend",
    "Config",
    "ConfigError",
    "CookedRootFiles",
    "DirectDispatcher",
    "ImportDiagnostic",
    "ImportFormat",
    "ImportJobId",
    "ImportOptions",
    "ImportPhase",
    "ImportProgress",
    "ImportReport",
    "ImportRequest",
    "ImportService",
    "ImportSession",
    "ImportSeverity",
    "Importer",
    "JobScope",
    "LocalBackend",
    "LooseCookedLayout",
    "LooseCookedWriter",
    "OutputWriteError",
    "PathEscapesRoot",
    "PipelineProgress",
    "QueueDispatcher",
    "RangeAllocator",
    "ResourcePipeline",
    "ResourceTable",
    "RootLockedError",
    "RootUnusableError",
    "ServiceClosedError",
    "SessionClosedError",
    "TextureEmitter",
    "TextureImportRequest",
    "TexturePipeline",
    "TextureSetImporter",
    "TextureSettings",
    "TextureSource",
    "TextureWorkItem",
    "TextureWorkResult",
    "aggregate_progress",
    "confined",
    "detect_format",
    "drain_pipeline",
    "expand_sources",
    "inspect_root",
    "open_backend",
    "recover_root",
    "summary_dict",
]
