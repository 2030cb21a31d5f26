"""Pure compute that runs on any machine, in four rooms, each with its own public names:

* ``oxcook.worker.cook`` — a texture from source bytes to its cooked levels and payload: decode
  (``_imaging``, the one door to image decoders), working rows, mips, bands, the block encoder's
  door (``_bcn``) and decoder's (``_bcn_decode``), quality figures, descriptors and presets; meshes;
* ``oxcook.worker.wire`` — the typed work and result messages between coordinator and workers;
* ``oxcook.worker.cache`` — cook cache keys, entries and tiers (a folder, Redis), which read and
  write files and keys so farm workers can share them;
* ``oxcook.worker.farm`` — the Celery app (``oxcook.worker.farm.celery_app``), Redis key and task
  names (``keys``) and clients for big values (``redis_clients``), modules tools load by name.

This package itself holds what every room and both backends share: errors and diagnostics
that cross the wire as data, versions, fail points, ``run_work`` (a work message in, a result
message out) and the local pool's process entry. Depends on ``formats`` only; no room imports
another's private modules.

The names are bound on first use (PEP 562): importing a room costs nothing until one is asked
for, so a process that needs only descriptors, presets or diagnostics (the coordinator deciding
that nothing changed) never loads numpy, Pillow or the encoder.
"""

from oxcook import _lazy

# public name -> the module that defines it (or (module, its name there))
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "ImportDiagnostic": "._diagnostics",
    "ImportSeverity": "._diagnostics",
    "TextureCancelled": "._errors",
    "TextureImportError": "._errors",
    "TextureImportErrorCode": "._errors",
    "failpoint": "._failpoints",
    "pool_process_init": "._pool_process",
    "run_in_pool_process": "._pool_process",
    "run_work": "._tasks",
    "COOKER_VERSION": "._versions",
    "default_encoder_target": ("._versions", "default_target"),
}

__getattr__, __dir__ = _lazy.lazy_names(globals(), _EXPORTS)

__all__ = [
    "COOKER_VERSION",
    "default_encoder_target",
    "failpoint",
    "ImportDiagnostic",
    "ImportSeverity",
    "pool_process_init",
    "run_in_pool_process",
    "run_work",
    "TextureCancelled",
    "TextureImportError",
    "TextureImportErrorCode",
]
