"""``oxcook cook --dry-run``: what a cook would do with each input, found without writing anything.

For every texture: its id, preset, format, quality, mips and size, where each
setting came from (``TextureSource.origins``), and what would answer it — the
root's build record (``unchanged``), the cook cache (``cache-hit``), a worker
(``cook``) — or that it would fail (a file refused, a header that cannot be
read). For every scene: whether the build record vouches for it. And the
inputs of earlier cooks whose files are gone.

It reads what a cook reads before it decodes anything: a ``stat`` per file,
the root's index and build record (under the shared lock a no-op cook takes,
:func:`emit.unlocked_view`; never the writer's lock), each header (as the
cook's :func:`importers.measure` does) and, for a texture the record does not
vouch for, its bytes, hashed for its cache key (``cache.CacheProbe``, through
the stat cache). It writes nothing: no root, no lock file, no cache folder,
entry or record, no report. Deciding (:func:`texture_plan`) is pure; the
printing is ``_plan_output``'s.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from oxcook.formats import Format
from oxcook.worker import ImportSeverity, default_encoder_target
from oxcook.worker.cook import Bc7Quality, mip_levels_for

from .._types import TextureSettings, TextureSource
from ..cache import CacheSettings, TextureEntry, Verdict
from ..emit import unlocked_view
from ..importers import MISSING, SourceSet, format_name, missing_inputs, scene_verdict, texture_verdicts
from ._up_to_date import RootRecord, root_record

if TYPE_CHECKING:  # their modules hash and read headers: loaded only when a texture is left to look up
    from ..cache import CacheProbe, Probe
    from ..importers import Extent

CONFLICTS = ("report", "junit", "metrics_file")  # files a dry run would have to write


@dataclass(frozen=True)
class Planned:
    """One input in the plan. ``kind``: ``texture``, ``scene`` or ``missing`` (an earlier cook's input whose files are gone)."""

    kind: str
    source: str  # a texture's id, a scene's path, a missing input's id or path
    plan: str  # texture: unchanged | cache-hit | cook | fail; scene: unchanged | cook; missing: keep | prune
    reason: str = ""  # why the build record does not answer it (and, for a cook, why the cache does not)
    tier: str = ""  # cache-hit: the tier that holds it (local, shared)
    problem: str = ""  # fail: what the cook would report
    path: str = ""
    preset: str = ""
    format: str = ""  # as the command line spells it (bc7_srgb)
    quality: str = ""  # BC7 effort; "" for other formats
    mips: int | None = None  # None: its header could not be read
    width: int | None = None
    height: int | None = None
    settings: dict[str, str] = field(default_factory=dict)  # setting -> where it came from (one absent is its preset's)
    warnings: tuple[str, ...] = ()  # what the cook would warn of it (no rule matches it, no preset hint)


@dataclass(frozen=True)
class Plan:
    root: Path
    inputs: list[Planned]
    warnings: list[str]  # about the whole cook (its record ignored, cache files ignored)


def refusal(args: argparse.Namespace) -> str | None:
    """Why ``args`` cannot run as a dry run (a usage error), or ``None``."""
    given = [f"--{name.replace('_', '-')}" for name in CONFLICTS if getattr(args, name) is not None]
    if given:
        return f"--dry-run writes nothing, so {', '.join(given)} cannot be written; drop it (--log-format json prints the plan as JSON)"
    return None


def texture_plan(source: TextureSource, verdict: Verdict, entry: TextureEntry | None, extent: Extent | None = None, probe: Probe | None = None) -> Planned:
    """One texture's line of the plan (pure): from its verdict and record entry, else its header's extent
    and its cache lookup (``None`` when none was made: its header could not be read)."""
    desc = source.desc
    quality = desc.bc7_quality.name.lower() if desc.bc7_quality != Bc7Quality.NONE else ""
    row = Planned(
        "texture",
        source.source_id,
        "cook",
        reason=verdict.reason,
        path=str(source.paths[0]) if source.paths else "",
        preset=source.preset,
        format=format_name(desc.output_format),
        quality=quality,
        settings=dict(source.origins),
        warnings=tuple(n.message for n in source.notes if n.severity != ImportSeverity.ERROR),
    )
    if verdict.unchanged and entry is not None:
        facts = {"mips": entry.mips, "width": entry.width, "height": entry.height, "format": format_name(_format(entry.format, desc.output_format))}
        return dataclasses.replace(row, plan="unchanged", reason="", **facts)
    if extent is None or extent.size is None:
        problem = extent.problem.removeprefix(f"{source.source_id}: ") if extent is not None else "not read"
        return dataclasses.replace(row, plan="fail", problem=problem)
    width, height = extent.size
    row = dataclasses.replace(row, mips=mip_levels_for(desc, width, height), width=width, height=height)
    if probe is not None and probe.tier:
        return dataclasses.replace(row, plan="cache-hit", tier=probe.tier)
    if probe is not None:
        miss = "cache off" if probe.off else f"cache: {probe.reason}"
        return dataclasses.replace(row, reason=f"{verdict.reason}; {miss}" if verdict.reason else miss)
    return row


def _format(name: str, fallback: Format) -> Format:
    """A format the build record names (``BC7_UNORM``); one it cannot name (an edited record) is the descriptor's."""
    return Format[name] if name in Format.__members__ else fallback


def gather(root: Path, found: SourceSet, settings: TextureSettings, cache: CacheSettings, *, ignore_record: str = "", prune: bool = False) -> Plan:
    """The plan of cooking ``found`` into ``root`` (``ignore_record``: the option that sets the record aside)."""
    target = default_encoder_target()
    warnings: list[str] = []
    with unlocked_view(root) as free:  # a shared lock for as long as the record and the stats are read: no writer meanwhile
        state = root_record(root) if free else RootRecord(None, why="another cook holds the root (it decides once the lock is free)")
        if ignore_record:
            state = RootRecord(None, why=f"{ignore_record}: the build record is set aside")
        record = state.record
        verdicts = texture_verdicts(found.textures, record, target, no_record=state.why)
        scenes = [scene_verdict(scene, settings, record, target, no_record=state.why) for scene in found.scenes]
        missing = missing_inputs(record, found.textures, found.scenes)
    if state.warning:
        warnings.append(state.warning)
    entries = [record.textures.get(t.source_id) if record is not None else None for t in found.textures]
    todo = [i for i, v in enumerate(verdicts) if not (v.unchanged and entries[i] is not None)]
    looked: dict[int, tuple[Extent, Probe | None]] = {}
    if todo:
        from ..cache import CacheProbe
        from ..importers import measure

        extents = measure([found.textures[i] for i in todo])
        probe = CacheProbe(cache)
        warnings.extend(probe.warnings)
        for i, extent in zip(todo, extents, strict=True):
            looked[i] = _look_up(found.textures[i], extent, probe, target)
    inputs = [texture_plan(t, v, e, *looked.get(i, ())) for i, (t, v, e) in enumerate(zip(found.textures, verdicts, entries, strict=True))]
    inputs += [Planned("scene", str(path), "unchanged" if v.unchanged else "cook", v.reason) for path, v in zip(found.scenes, scenes, strict=True)]
    inputs += [Planned("missing", name, "prune" if prune else "keep", MISSING) for name in (*missing.textures, *missing.scenes)]
    return Plan(root, inputs, warnings)


def _look_up(source: TextureSource, extent: Extent, probe: CacheProbe, target: str) -> tuple[Extent, Probe | None]:
    """(extent, probe) of a texture the record does not vouch for; a source that cannot be read fails as the cook's would."""
    if extent.size is None:
        return extent, None
    try:
        paths = tuple(str(p.resolve()) for p in source.paths)
        return extent, probe.texture(paths, source.source_id, source.desc, target)
    except OSError as exc:
        return extent._replace(size=None, problem=f"cannot be read: {exc.strerror or exc}"), None
