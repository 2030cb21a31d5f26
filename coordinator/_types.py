"""The coordinator's plain data types, named as in the seed design (snake_case fields).

``ImportDiagnostic`` and ``ImportSeverity`` are defined once in ``worker`` (they
cross the wire) and re-exported by this package.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from oxcook.formats import DEFAULT_RELPATHS, MOUNT_ROOT, FileKind
from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import TextureImportDesc

if TYPE_CHECKING:
    from oxcook.worker.cook import QualityFigures  # numpy: a report entry only holds one

    from .cache import PlannedVerdicts

ImportJobId = int


class ImportPhase(enum.Enum):
    PENDING = "pending"
    PARSING = "parsing"
    TEXTURES = "textures"
    MATERIALS = "materials"
    GEOMETRY = "geometry"
    SCENE = "scene"
    WRITING = "writing"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class PipelineProgress:
    """A snapshot of one pipeline's counters."""

    submitted: int = 0
    completed: int = 0
    failed: int = 0
    in_flight: int = 0
    throughput: float = 0.0  # items per second, rolling


@dataclass(frozen=True, kw_only=True)
class ImportProgress:
    job_id: ImportJobId
    phase: ImportPhase
    phase_progress: float = 0.0
    overall_progress: float = 0.0
    message: str = ""
    items_completed: int = 0
    items_total: int = 0
    throughput: float = 0.0
    new_diagnostics: tuple[ImportDiagnostic, ...] = ()
    items_running: int = 0  # on a worker now
    items_queued: int = 0  # submitted, waiting for a worker


@dataclass(frozen=True, kw_only=True)
class LooseCookedLayout:
    """Where things live inside a cooked root (spec §1.11 defaults)."""

    virtual_mount_root: str = MOUNT_ROOT
    textures_table: str = DEFAULT_RELPATHS[FileKind.TEXTURES_TABLE]
    textures_data: str = DEFAULT_RELPATHS[FileKind.TEXTURES_DATA]
    buffers_table: str = DEFAULT_RELPATHS[FileKind.BUFFERS_TABLE]
    buffers_data: str = DEFAULT_RELPATHS[FileKind.BUFFERS_DATA]
    materials_dir: str = "Materials"
    geometry_dir: str = "Geometry"
    scenes_dir: str = "Scenes"
    write_sidecars: bool = True

    def virtual_path(self, relpath: str) -> str:
        return f"{self.virtual_mount_root}/{relpath}"


@dataclass(frozen=True)
class TextureSettings:
    """User-facing options for a group of textures; ``None`` means "the preset decides" (for a gate: none).

    The quality gates (``min_psnr`` in dB, ``max_normal_error_deg``) judge the
    figures of the cooked texture; they are no part of its descriptor, so
    changing one never cooks anything again.
    """

    preset: str | None = None
    format: str | None = None
    mips: str | None = None  # none | full | <max count>
    quality: str | None = None
    filter: str | None = None
    min_psnr: float | None = None
    max_normal_error_deg: float | None = None

    def over(self, base: "TextureSettings") -> "TextureSettings":
        return TextureSettings(**{f.name: _first_set(getattr(self, f.name), getattr(base, f.name)) for f in dataclasses.fields(self)})

    def gates(self) -> "QualityGates":
        return QualityGates(self.min_psnr, self.max_normal_error_deg)


def _first_set(value, base):
    return base if value is None or value == "" else value


@dataclass(frozen=True)
class QualityGates:
    """The least quality a cooked texture must show (``None``: no gate); one below is an error, and still written."""

    min_psnr: float | None = None  # dB, against psnr_db (level 0)
    max_normal_error_deg: float | None = None  # degrees, against the 99th percentile of a normal map's angle error

    @property
    def any(self) -> bool:
        return self.min_psnr is not None or self.max_normal_error_deg is not None



@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """Per-job cooking options.

    Attributes:
        textures: settings applied over the presets of every texture the job
            finds by itself (a folder or manifest given as ``source_path``, or
            a scene's images, whose slots give the preset unless this names one).
        rebuild_invalid_root: a cooked root that does not validate is rebuilt
            from nothing instead of refused.
        ignore_record: every input is cooked again (through the cook cache)
            as if the root had no build record; a new record is written.
        prune: inputs the build record knows whose files are gone are dropped
            from it, with the sidecars and descriptors only they produced.
    """

    textures: TextureSettings = field(default_factory=TextureSettings)
    rebuild_invalid_root: bool = False
    ignore_record: bool = False
    prune: bool = False


@dataclass(frozen=True, kw_only=True)
class ImportRequest:
    source_path: Path
    cooked_root: Path
    layout: LooseCookedLayout = field(default_factory=LooseCookedLayout)
    source_key: bytes | None = None
    options: ImportOptions = field(default_factory=ImportOptions)


@dataclass(frozen=True, slots=True)  # slots: a cook holds one per texture (its inputs, its report)
class TextureSource:
    """One texture to cook: its source file(s) and how."""

    source_id: str  # stable id: the path relative to the job's base, or scene#image
    paths: tuple[Path, ...]  # one, or one per layer
    desc: TextureImportDesc
    preset: str = ""
    data: tuple[bytes, ...] = ()  # the encoded bytes, for images embedded in a scene (no paths)
    notes: tuple[ImportDiagnostic, ...] = ()  # warnings found while choosing its settings (listed with it in the report)
    gates: QualityGates = field(default_factory=QualityGates)
    # setting name -> where its value came from ("file name", "command line", "<manifest> [defaults]",
    # '<manifest> rule 2 (glob "*.png")'), for each setting given; one absent here is its preset's
    origins: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, kw_only=True)
class TextureImportRequest:
    """A standalone texture-set import: explicit textures into one cooked root."""

    textures: tuple[TextureSource, ...]
    cooked_root: Path
    layout: LooseCookedLayout = field(default_factory=LooseCookedLayout)
    source_key: bytes | None = None
    options: ImportOptions = field(default_factory=ImportOptions)
    planned: PlannedVerdicts | None = None  # the plan's verdicts on ``textures`` (used only against the record they were made from)


@dataclass(frozen=True, slots=True)
class TextureReportEntry:
    source_id: str
    index: int
    preset: str
    format: str
    width: int
    height: int
    mips: int
    bytes: int
    cook_ms: float  # time its worker spent cooking it (0 for a cache hit)
    queue_ms: float  # time it waited for a worker (and travelled)
    deduplicated: bool = False
    cache: str = "off"  # "hit" | "miss" | "off"
    miss_reason: str = ""
    diagnostics: tuple[ImportDiagnostic, ...] = ()
    parts: int = 1  # processes or farm workers its cook was split across
    status: str = "cooked"  # "cooked" | "unchanged" (the build record vouched for it: nothing was read or placed)
    why: str = ""  # why it was cooked rather than left unchanged ("new input", "source changed (mtime: ...)", ...)
    path: str = ""  # its (first) source file; empty for an image embedded in a scene
    quality: QualityFigures | None = None  # None: not measured (--no-quality) or not cooked


@dataclass
class ImportReport:
    cooked_root: Path
    source_key: bytes = b""
    diagnostics: list[ImportDiagnostic] = field(default_factory=list)
    textures: list[TextureReportEntry] = field(default_factory=list)
    materials_written: int = 0
    geometry_written: int = 0
    scenes_written: int = 0
    success: bool = False
    cancelled: bool = False
    emitted: list[str] = field(default_factory=list)  # virtual paths of descriptors, in emission order
    meshes_built: int = 0  # mesh primitives packed by a worker in this run
    mesh_cache_hits: int = 0  # mesh primitives found in the cook cache
    recovered: bool = False  # the writer undid an interrupted cook first
    unchanged: bool = False  # the build record vouched for every input: the job ran nothing and wrote nothing
    missing: list[str] = field(default_factory=list)  # inputs of earlier cooks whose files are gone
    failure_code: str = ""  # set when the job itself failed (backend, disk, lock), not one input
    seconds: float = 0.0

    @property
    def errors(self) -> list[ImportDiagnostic]:
        return [d for d in self.diagnostics if d.severity == ImportSeverity.ERROR]
