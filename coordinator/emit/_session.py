"""``ImportSession``: per-job output state — lazy emitters, diagnostics, finalize (seed §5).

The session opens the cooked root through a :class:`LooseCookedWriter` (lock,
repair, journal), hands out emitters and the texture output (``texture_output``: the engine's loose-cooked
container unless the caller gives another) on first use, and at ``finalize`` waits
for every positional write, appends the tables, writes descriptors and
sidecars, and writes ``container.index.bin`` last, then the root's build
record: the previous one's entries with those the importers put in
(``record_textures``, ``record_scenes``; ``None`` drops one). ``abort``
(cancellation, infrastructure failure) rolls the root back to the previous
container.
"""

from __future__ import annotations

import asyncio
import enum
import time
from pathlib import Path
from typing import Callable

from oxcook.formats import AssetType
from oxcook.worker import failpoint

from .._types import ImportDiagnostic, ImportReport, ImportSeverity, LooseCookedLayout
from ..cache import BuildRecord, SceneEntry, TextureEntry, merge_record, versions_changed
from ._asset_emitter import AssetEmitter
from ._buffer_emitter import BufferEmitter
from ._file_io import AsyncFileWriter
from ._record_file import cook_versions
from ._loose_textures import loose_cooked_textures
from ._texture_output import TextureOutput, TextureOutputFactory
from ._writer import LooseCookedWriter


class SessionState(enum.Enum):
    OPEN = "open"
    FINALIZING = "finalizing"
    FINALIZED = "finalized"
    ABORTED = "aborted"


class SessionClosedError(RuntimeError):
    """A session was used after ``finalize`` or ``abort`` (a caller bug, not a failure)."""


class ImportSession:
    def __init__(
        self,
        cooked_root: Path,
        layout: LooseCookedLayout,
        *,
        source_key: bytes | None = None,
        lock_timeout: float = 600.0,
        io_threads: int = 2,
        rebuild_invalid: bool = False,
        ignore_record: bool = False,
        texture_output: TextureOutputFactory = loose_cooked_textures,
    ) -> None:
        self.cooked_root = Path(cooked_root)
        self.layout = layout
        self._writer = LooseCookedWriter(
            self.cooked_root, layout, source_key=source_key, lock_timeout=lock_timeout, rebuild_invalid=rebuild_invalid, ignore_record=ignore_record
        )
        self.record_textures: dict[str, TextureEntry | None] = {}  # this job's build-record entries by source id (None: drop)
        self.record_scenes: dict[str, SceneEntry | None] = {}  # by scene path
        self._io = AsyncFileWriter(io_threads=io_threads)
        self._make_texture_output = texture_output
        self._texture_output: TextureOutput | None = None
        self._buffer_emitter: BufferEmitter | None = None
        self._asset_emitter: AssetEmitter | None = None
        self.diagnostics: list[ImportDiagnostic] = []
        self.report = ImportReport(cooked_root=self.cooked_root)
        self.state = SessionState.OPEN
        self._started = time.perf_counter()

    async def open(self, should_stop: Callable[[], bool] = lambda: False, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the root (lock, repair, journal) off the loop; ``on_wait(holder_pid)`` hears while another holds it.

        Cancellation waits for the opening thread to finish, so ``abort`` always
        sees a writer it can roll back and a lock it can release.
        """
        future = asyncio.get_running_loop().run_in_executor(None, self._open, should_stop, on_wait)
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            try:
                await future
            except Exception:  # the open failed anyway; nothing to undo
                pass
            raise

    def _open(self, should_stop: Callable[[], bool], on_wait: Callable[[str], None] | None) -> None:
        recovery = self._writer.open(should_stop, on_wait)
        self.report.source_key = self._writer.source_key
        if recovery.changed:
            self.report.recovered = True
            self.add_diagnostic(ImportDiagnostic(ImportSeverity.WARNING, "root-repaired", f"{self.cooked_root}: {recovery.describe()}"))
        if self._writer.previous.warning:
            self.add_diagnostic(ImportDiagnostic(ImportSeverity.WARNING, "build-record-ignored", self._writer.previous.warning))

    @property
    def previous_record(self) -> BuildRecord | None:
        """The root's build record, if it describes the index this import opened and was made by these versions."""
        record = self._writer.previous.record
        return record if record is not None and not versions_changed(record.versions, cook_versions()) else None

    @property
    def record_reason(self) -> str:
        """Why the root's record cannot vouch for any input (another oxcook or encoder), or ``""``."""
        record = self._writer.previous.record
        return versions_changed(record.versions, cook_versions()) if record is not None else ""

    @property
    def started_ns(self) -> int:
        """The file system's time when this import took the root: a file not older than it is racy."""
        return self._writer.started_ns

    def _check_open(self) -> None:
        if self.state is not SessionState.OPEN:
            raise SessionClosedError(f"import session for {self.cooked_root} is {self.state.value}")

    @property
    def texture_output(self) -> TextureOutput:
        """Where this job's cooked textures go (made on first use by the session's ``texture_output`` factory)."""
        self._check_open()
        if self._texture_output is None:
            self._texture_output = self._make_texture_output(self._writer, self._io, self.layout)
        return self._texture_output

    @property
    def buffer_emitter(self) -> BufferEmitter:
        self._check_open()
        if self._buffer_emitter is None:
            self._buffer_emitter = BufferEmitter(self._writer, self._io, self.layout)
        return self._buffer_emitter

    @property
    def asset_emitter(self) -> AssetEmitter:
        self._check_open()
        if self._asset_emitter is None:
            self._asset_emitter = AssetEmitter(self.layout)
        return self._asset_emitter

    def add_diagnostic(self, diagnostic: ImportDiagnostic) -> None:
        self.diagnostics.append(diagnostic)

    async def finalize(self) -> ImportReport:
        """Wait for all I/O, append tables, write descriptors, write the index last.

        Raises:
            OutputWriteError: a write failed; the root has been rolled back.
        """
        self._check_open()
        self.state = SessionState.FINALIZING
        loop = asyncio.get_running_loop()
        try:
            await self._io.drain()
            failpoint("data-written")
            files = []
            for emitter in (self._texture_output, self._buffer_emitter):
                if emitter is not None:
                    files += emitter.finalize()
            await self._io.drain()
            await self._io.fsync_all()
            failpoint("tables-written")
            small_files = {}
            if self._texture_output is not None:
                small_files.update(self._texture_output.side_files())
            assets = []
            if self._asset_emitter is not None:
                small_files.update(self._asset_emitter.descriptor_files())
                assets = self._asset_emitter.finalize()
            await loop.run_in_executor(None, self._write_small_files, small_files)
            record = merge_record(
                self._writer.previous.record, versions=cook_versions(), started_ns=self.started_ns, textures=self.record_textures, scenes=self.record_scenes
            )
            await loop.run_in_executor(None, self._writer.commit, assets, files, record)
        except BaseException:
            await self._abort_io()
            raise
        finally:
            self._io.close()
        self.state = SessionState.FINALIZED
        report = self.report
        report.diagnostics = list(self.diagnostics)
        if self._asset_emitter is not None:
            report.materials_written = self._asset_emitter.count(AssetType.MATERIAL)
            report.geometry_written = self._asset_emitter.count(AssetType.GEOMETRY)
            report.scenes_written = self._asset_emitter.count(AssetType.SCENE)
            report.emitted = list(self._asset_emitter.order)
        report.success = not report.errors
        report.seconds = time.perf_counter() - self._started
        return report

    async def remove_files(self, relpaths: list[str]) -> None:
        """Remove small files of the root (journaled: an abort puts them back)."""
        self._check_open()
        await asyncio.get_running_loop().run_in_executor(None, self._writer.remove_all, relpaths)

    def _write_small_files(self, files: dict[str, bytes]) -> None:
        self._writer.write_all(files)

    async def _abort_io(self) -> None:
        try:
            await asyncio.shield(self._io.drain())
        except Exception:  # errors are being rolled back anyway
            pass
        await asyncio.get_running_loop().run_in_executor(None, self._writer.abort)
        self.state = SessionState.ABORTED

    async def abort(self, reason: str) -> ImportReport:
        """Undo everything this import wrote; the previous container stays valid."""
        if self.state is SessionState.OPEN:
            await self._abort_io()
            self._io.close()
        self.report.diagnostics = list(self.diagnostics)
        self.report.cancelled = True
        self.report.success = False
        self.report.seconds = time.perf_counter() - self._started
        return self.report
