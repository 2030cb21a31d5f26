"""``AssetImporter``: the seed's synchronous façade over the service.

``import_to_loose_cooked(request)`` blocks until the import is done and
returns its report — the preserved sync path for tools and tests that do not
want callbacks. It runs the same service, importers and backend as the async
path.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ._config import Config
from ._service import ImportService
from ._types import ImportReport, ImportRequest, TextureImportRequest
from .backends import ComputeBackend
from .importers import ImportFormat, detect_format


class AssetImporter:
    def __init__(self, config: Config | None = None, *, backend: ComputeBackend | None = None) -> None:
        self.config = config or Config()
        self._backend = backend

    def detect_format(self, path: Path) -> ImportFormat:
        return detect_format(path)

    def import_to_loose_cooked(self, request: ImportRequest | TextureImportRequest) -> ImportReport:
        """Run one import to completion and return its report."""
        done = threading.Event()
        reports: list[ImportReport] = []

        def complete(_job, report: ImportReport) -> None:
            reports.append(report)
            done.set()

        with ImportService(self.config, backend=self._backend) as service:
            if isinstance(request, TextureImportRequest):
                service.submit_texture_import(request, complete)
            else:
                service.submit_import(request, complete)
            done.wait()
        return reports[0]
