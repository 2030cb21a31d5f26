"""What a cook has to do, by the root's build record, before anything of the cooking stack is loaded.

A stat per input file and one read of the record (and of the small index it
names): the jobs whose every input the record vouches for are answered from it
— reported ``unchanged``, never submitted — so a cook that changes nothing
starts no process, imports no numpy, Pillow, encoder or Celery, and writes
nothing. Anything doubtful (no record, a damaged or stale one, an interrupted
cook's journal, files whose sizes are not the index's, a root another cook
holds) leaves the decision to the jobs, which take the root's lock and look again.
When there is work, the textures' verdicts go to their job, which takes them
as its own if it finds the very record they were made against under the lock
(else it stats every input again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

from oxcook.formats import INDEX_FILE_NAME, FormatError, parse_index

from .._types import ImportDiagnostic, ImportReport, ImportSeverity, TextureReportEntry, TextureSettings
from ..cache import BuildRecord, PlannedVerdicts, versions_changed
from ..emit import JOURNAL_FILE, cook_versions, load_record, unlocked_view
from ..importers import MISSING, Missing, SourceSet, missing_inputs, iter_texture_verdicts, scene_verdict, unchanged_report_entry


@dataclass
class CookPlan:
    """Which jobs have work, and the reports of those that do not."""

    warning: str = ""  # why the record could not be used (printed once)
    scenes_to_cook: list[Path] = field(default_factory=list)
    unchanged_scenes: list[Path] = field(default_factory=list)
    textures_to_cook: bool = True
    unchanged_textures: list[TextureReportEntry] = field(default_factory=list)
    missing: Missing = field(default_factory=Missing)
    textures_planned: PlannedVerdicts | None = None  # every texture's verdict, for the job to use under the lock
    said_work: bool = False  # ``on_work`` ran while planning

    @property
    def nothing_to_do(self) -> bool:
        return not self.scenes_to_cook and not self.textures_to_cook


@dataclass(frozen=True)
class RootRecord:
    """A root's build record as a reader without the lock may use it."""

    record: BuildRecord | None  # None: no input of the root can be vouched for (``why``)
    warning: str = ""  # why a record that is there is ignored (damaged, another root's, another index's): printed once
    why: str = ""  # why no input can be vouched for; "" for a root never cooked into (each input is new)


def root_record(root: Path) -> RootRecord:
    """The root's record when it can be trusted without the lock — no interrupted cook, sizes as indexed, made by
    these versions — and why not (the caller holds :func:`emit.unlocked_view`)."""
    if (root / JOURNAL_FILE).exists():
        return RootRecord(None, why="an interrupted cook's journal is there: the cook repairs the root first")
    try:
        index_bytes = (root / INDEX_FILE_NAME).read_bytes()
    except FileNotFoundError:
        return RootRecord(None)  # a fresh root
    except OSError as exc:
        return RootRecord(None, why=f"its {INDEX_FILE_NAME} cannot be read ({exc.strerror or exc})")
    try:
        index = parse_index(index_bytes)
    except FormatError:
        return RootRecord(None, why=f"its {INDEX_FILE_NAME} is not valid (the cook names the problem)")
    for record in index.files:
        try:
            if (root / record.relpath).stat().st_size != record.size:
                return RootRecord(None, why="its files are not the sizes its index says (an interrupted cook, repaired first, or data lost)")
        except OSError:
            return RootRecord(None, why=f"{record.relpath} is missing from the root")
    loaded = load_record(root, index_bytes, index.source_identity)
    if loaded.record is None:
        return RootRecord(None, loaded.warning, "its build record is ignored" if loaded.warning else "")
    changed = versions_changed(loaded.record.versions, cook_versions())
    return RootRecord(None, why=changed) if changed else RootRecord(loaded.record)


def plan_cook(root: Path, found: SourceSet, settings: TextureSettings, encoder_target: str, on_work: Callable[[], None] = lambda: None) -> CookPlan:
    """The plan for cooking ``found`` into ``root`` with the command line's ``settings`` (a root another cook
    holds is left to the jobs, which wait for it). ``on_work()`` runs once, as soon as some input is found to
    have work (so the caller can start what the cook needs while the plan stats the others); never for a no-op."""
    with unlocked_view(root) as free:
        plan = _plan(root, found, settings, encoder_target, on_work) if free else CookPlan(scenes_to_cook=list(found.scenes), textures_to_cook=bool(found.textures))
    if not plan.nothing_to_do and not plan.said_work:
        on_work()
    return plan


def _plan(root: Path, found: SourceSet, settings: TextureSettings, encoder_target: str, on_work: Callable[[], None]) -> CookPlan:
    state = root_record(root)
    record = state.record
    if record is None:
        return CookPlan(warning=state.warning, scenes_to_cook=list(found.scenes), textures_to_cook=bool(found.textures))
    plan = CookPlan(missing=missing_inputs(record, found.textures, found.scenes))
    for scene in found.scenes:
        unchanged = scene_verdict(scene, settings, record, encoder_target).unchanged
        (plan.unchanged_scenes if unchanged else plan.scenes_to_cook).append(scene)
    if plan.scenes_to_cook:
        on_work()
        plan.said_work = True
    # every texture's verdict: the job takes them when it finds this same record under the root's lock
    verdicts = []
    for verdict in iter_texture_verdicts(found.textures, record, encoder_target):
        if not verdict.unchanged and not plan.said_work:
            on_work()
            plan.said_work = True
        verdicts.append(verdict)
    plan.textures_planned = PlannedVerdicts(record, tuple(verdicts))
    plan.textures_to_cook = not all(v.unchanged for v in verdicts)
    if not plan.textures_to_cook:
        plan.unchanged_textures = [unchanged_report_entry(t, record.textures[t.source_id]) for t in found.textures]
    return plan


def missing_diagnostics(missing: Missing, pruned: bool) -> list[ImportDiagnostic]:
    """A warning per input of an earlier cook whose files are gone."""
    tail = "; pruned from the build record with what only it produced" if pruned else " (--prune drops what only it produced)"
    return [ImportDiagnostic(ImportSeverity.WARNING, "input-missing", f"{name}: {MISSING}{tail}", name) for name in (*missing.textures, *missing.scenes)]


def unchanged_report(root: Path, textures: list[TextureReportEntry] = (), missing: Missing | None = None) -> ImportReport:
    """The report of a job the build record answered: every input unchanged, nothing written."""
    report = ImportReport(cooked_root=root, success=True, unchanged=True, textures=list(textures))
    for entry in textures:
        report.diagnostics.extend(entry.diagnostics)
    if missing is not None:
        report.missing = [*missing.textures, *missing.scenes]
        report.diagnostics.extend(missing_diagnostics(missing, pruned=False))
    return report
