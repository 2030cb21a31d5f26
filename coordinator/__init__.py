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
* ``emit/`` — ``ImportSession``, the emitters, and the writer that owns the root (journal, lock, compaction);
* ``cache/`` — the cook cache (its tiers live in ``worker``) and the stat cache;
* ``cli/`` — the ``oxcook`` commands.

Everything public is re-exported here; other packages import only from here.
The names are bound on first use (PEP 562), so importing the package costs
nothing until one is asked for: ``python -m oxcook cook`` starts the local
pool's fork server first (``__main__``), and it imports the cooking stack on the
other core while this process imports the rest.
"""

from oxcook import _lazy

# public name -> the module it lives in (relative to this package, or another package)
_EXPORTS = {
    "ImportDiagnostic": "oxcook.worker",
    "ImportSeverity": "oxcook.worker",
    "AssetImporter": "._asset_importer",
    "AsyncImporter": "._async_importer",
    "Config": "._config",
    "BackendError": "._errors",
    "ConfigError": "._errors",
    "OutputWriteError": "._errors",
    "PathEscapesRoot": "._errors",
    "RootLockedError": "._errors",
    "RootUnusableError": "._errors",
    "SceneError": "._errors",
    "SceneTooLarge": "._errors",
    "WorkerResultMismatch": "._errors",
    "inspect_root": ".inspect",
    "summary_dict": ".inspect",
    "result_estimate": "._memory",
    "JobContext": "._job",
    "JobScope": "._job",
    "DirectDispatcher": "._service",
    "ImportService": "._service",
    "QueueDispatcher": "._service",
    "ServiceClosedError": "._service",
    "ImportJobId": "._types",
    "ImportOptions": "._types",
    "ImportPhase": "._types",
    "ImportProgress": "._types",
    "ImportReport": "._types",
    "ImportRequest": "._types",
    "LooseCookedLayout": "._types",
    "PipelineProgress": "._types",
    "TextureImportRequest": "._types",
    "TextureSettings": "._types",
    "TextureSource": "._types",
    "ComputeBackend": ".backends",
    "LocalBackend": ".backends",
    "open_backend": ".backends",
    "AssetEmitter": ".emit",
    "BufferEmitter": ".emit",
    "CookedRootFiles": ".emit",
    "ImportSession": ".emit",
    "LooseCookedWriter": ".emit",
    "RangeAllocator": ".emit",
    "ResourceTable": ".emit",
    "SessionClosedError": ".emit",
    "TextureOutput": ".emit",
    "confined": ".emit",
    "recover_root": ".emit",
    "Importer": ".importers",
    "ImportFormat": ".importers",
    "TextureSetImporter": ".importers",
    "detect_format": ".importers",
    "expand_sources": ".importers",
    "MeshPipeline": ".pipelines",
    "MeshWorkItem": ".pipelines",
    "MeshWorkResult": ".pipelines",
    "ResourcePipeline": ".pipelines",
    "TexturePipeline": ".pipelines",
    "TextureWorkItem": ".pipelines",
    "TextureWorkResult": ".pipelines",
}


__getattr__, __dir__ = _lazy.lazy_names(globals(), _EXPORTS)


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
    "result_estimate",
    "ResourcePipeline",
    "ResourceTable",
    "RootLockedError",
    "RootUnusableError",
    "SceneError",
    "SceneTooLarge",
    "ServiceClosedError",
    "SessionClosedError",
    "summary_dict",
    "TextureImportRequest",
    "TextureOutput",
    "TexturePipeline",
    "TextureSetImporter",
    "TextureSettings",
    "TextureSource",
    "TextureWorkItem",
    "TextureWorkResult",
    "WorkerResultMismatch",
]
