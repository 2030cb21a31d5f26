"""Everything that owns state or output: service, importers, pipelines, session, emitters,
writer, backends, inspection and the CLI.

Depends on ``formats`` and ``worker``; nothing depends on it. The folders are
the seed's actor families, so the tree draws the design's diagram:

* ``_service`` (``ImportService``, the thread-safe door) → ``_async_importer``
  (runs jobs on the import loop) → ``_job`` (``JobScope``, ``JobContext``);
* ``importers/`` — one importer per source format and the table that picks them;
* ``pipelines/`` — ``TexturePipeline`` and ``MeshPipeline``: bounded windows of
  pure compute, results in completion order;
* ``backends/`` — where work runs: the local process pool or the Celery farm;
* ``emit/`` — ``ImportSession``, the emitters, and the writer that owns the root;
* ``cli/`` — the ``oxcook`` commands.

Everything public is re-exported here; other packages import only from here.
"""

from worker import ImportDiagnostic as ImportDiagnostic
from worker import ImportSeverity as ImportSeverity

from ._asset_importer import AssetImporter as AssetImporter
from ._async_importer import AsyncImporter as AsyncImporter
from ._config import Config as Config
from ._errors import BackendError as BackendError
from ._errors import ConfigError as ConfigError
from ._errors import OutputWriteError as OutputWriteError
from ._errors import PathEscapesRoot as PathEscapesRoot
from ._errors import RootLockedError as RootLockedError
from ._errors import RootUnusableError as RootUnusableError
from ._errors import SceneError as SceneError
from ._inspect import inspect_root as inspect_root
from ._inspect import summary_dict as summary_dict
from ._job import JobContext as JobContext
from ._job import JobScope as JobScope
from ._service import DirectDispatcher as DirectDispatcher
from ._service import ImportService as ImportService
from ._service import QueueDispatcher as QueueDispatcher
from ._service import ServiceClosedError as ServiceClosedError
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
from .backends import ComputeBackend as ComputeBackend
from .backends import LocalBackend as LocalBackend
from .backends import open_backend as open_backend
from .emit import AssetEmitter as AssetEmitter
from .emit import BufferEmitter as BufferEmitter
from .emit import CookedRootFiles as CookedRootFiles
from .emit import ImportSession as ImportSession
from .emit import LooseCookedWriter as LooseCookedWriter
from .emit import RangeAllocator as RangeAllocator
from .emit import ResourceTable as ResourceTable
from .emit import SessionClosedError as SessionClosedError
from .emit import TextureEmitter as TextureEmitter
from .emit import confined as confined
from .emit import recover_root as recover_root
from .importers import Importer as Importer
from .importers import ImportFormat as ImportFormat
from .importers import TextureSetImporter as TextureSetImporter
from .importers import detect_format as detect_format
from .importers import expand_sources as expand_sources
from .pipelines import MeshPipeline as MeshPipeline
from .pipelines import MeshWorkItem as MeshWorkItem
from .pipelines import MeshWorkResult as MeshWorkResult
from .pipelines import ResourcePipeline as ResourcePipeline
from .pipelines import TexturePipeline as TexturePipeline
from .pipelines import TextureWorkItem as TextureWorkItem
from .pipelines import TextureWorkResult as TextureWorkResult

__all__ = [
    "AssetEmitter",
    "AssetImporter",
    "AsyncImporter",
    "BackendError",
    "BufferEmitter",
    "ComputeBackend",
    "Config",
    "ConfigError",
    "confined",
    "CookedRootFiles",
    "detect_format",
    "DirectDispatcher",
    "expand_sources",
    "ImportDiagnostic",
    "Importer",
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
    "inspect_root",
    "JobContext",
    "JobScope",
    "LocalBackend",
    "LooseCookedLayout",
    "LooseCookedWriter",
    "MeshPipeline",
    "MeshWorkItem",
    "MeshWorkResult",
    "open_backend",
    "OutputWriteError",
    "PathEscapesRoot",
    "PipelineProgress",
    "QueueDispatcher",
    "RangeAllocator",
    "recover_root",
    "ResourcePipeline",
    "ResourceTable",
    "RootLockedError",
    "RootUnusableError",
    "SceneError",
    "ServiceClosedError",
    "SessionClosedError",
    "summary_dict",
    "TextureEmitter",
    "TextureImportRequest",
    "TexturePipeline",
    "TextureSetImporter",
    "TextureSettings",
    "TextureSource",
    "TextureWorkItem",
    "TextureWorkResult",
]
