"""Which inputs a root's build record vouches for: a stat per file, no source read, no cache looked up.

The settings key of an input is everything besides its bytes that its cooked
output depends on: a loose texture's descriptor and preset (so a changed
command-line option, manifest rule or preset changes it), a scene's
command-line texture options; both with the pinned encoder target. The
versions of oxcook, its cooker and the encoder are the record's own (one
change cooks everything again). The verdicts are ``cache.entry_verdict``'s;
this module gathers the stats they are made from and the inputs the record
knows that are gone.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from oxcook.worker.cook import TextureImportDesc

from .._types import TextureReportEntry, TextureSettings, TextureSource
from ..cache import BuildRecord, TextureEntry, Verdict, entry_verdict, settings_key
from ..emit import stamp_of

MISSING = "missing since the last cook"


def texture_settings_key(source: TextureSource, encoder_target: str) -> str:
    """The key of what a loose texture is cooked with (its id is the record's key, so it is left out)."""
    # each value with its type, and a float by its repr: settings equal as Python values but written apart
    # (1 and 1.0, 0.0 and -0.0) never share a key
    values = _DESC_VALUES(source.desc)
    types = tuple(map(type, values))
    floats = tuple(repr(values[i]) for i in _float_positions(types))
    return _texture_settings_key(values, types, floats, source.preset, source.gates, encoder_target)


_DESC_NAMES = tuple(f.name for f in dataclasses.fields(TextureImportDesc) if f.name != "source_id")
_DESC_VALUES = operator.attrgetter(*_DESC_NAMES)


@functools.lru_cache(maxsize=64)
def _float_positions(types: tuple[type, ...]) -> tuple[int, ...]:
    return tuple(i for i, kind in enumerate(types) if kind is float)


@functools.lru_cache(maxsize=256)  # a cook of thousands of textures has a few settings: each hashed once
def _texture_settings_key(values: tuple, types: tuple, floats: tuple, preset: str, gates, encoder_target: str) -> str:
    plain = {name: int(v) if isinstance(v, enum.IntEnum) else v for name, v in zip(_DESC_NAMES, values, strict=True)}
    # its quality gates too: they cook nothing again (the cache key leaves them out), but a changed gate must judge
    # the texture's figures again, so the texture goes through the cache instead of being vouched for
    return settings_key({"desc": plain, "preset": preset, "target": encoder_target, "gates": dataclasses.asdict(gates)})


def scene_settings_key(settings: TextureSettings, encoder_target: str) -> str:
    """The key of what a scene is cooked with: the command line's texture options and the encoder target."""
    return settings_key({"textures": dataclasses.asdict(settings), "target": encoder_target})


def scene_path(path: Path) -> str:
    """A scene's key in the record: its absolute path."""
    return os.path.abspath(path)


def recordable(source: TextureSource) -> bool:
    """Whether a texture can be vouched for by stamps: files on disk, nothing refused while choosing its settings."""
    return bool(source.paths) and not source.data and not any(n.severity.value == "error" for n in source.notes)


def texture_verdicts(textures: list[TextureSource], record: BuildRecord | None, encoder_target: str, no_record: str = "") -> list[Verdict]:
    """For each texture, whether the record vouches for it (one ``stat`` per file when it may)."""
    return list(iter_texture_verdicts(textures, record, encoder_target, no_record))


def iter_texture_verdicts(textures: list[TextureSource], record: BuildRecord | None, encoder_target: str, no_record: str = "") -> Iterator[Verdict]:
    """:func:`texture_verdicts` one at a time (a caller that only asks whether any changed stops at the first)."""
    cwd = os.getcwd()
    for source in textures:
        entry = record.textures.get(source.source_id) if record is not None else None
        if not recordable(source):
            yield Verdict(False, "not a file on disk" if not source.paths else "refused")
        elif entry is None and no_record:
            yield Verdict(False, no_record)
        else:
            now = tuple(stamp_of(p, cwd) for p in source.paths)
            yield entry_verdict(entry, now, texture_settings_key(source, encoder_target))


def scene_verdict(path: Path, settings: TextureSettings, record: BuildRecord | None, encoder_target: str, no_record: str = "") -> Verdict:
    """Whether the record vouches for a scene: every file it read stats the same, under the same options."""
    entry = record.scenes.get(scene_path(path)) if record is not None else None
    if entry is None and no_record:
        return Verdict(False, no_record)
    now = tuple(stamp_of(s.path) for s in entry.stamps) if entry is not None else ()
    if entry is not None and (not entry.stamps or entry.stamps[0].path != scene_path(path)):
        return Verdict(False, "the record names other files")
    return entry_verdict(entry, now, scene_settings_key(settings, encoder_target))


@dataclass(frozen=True)
class Missing:
    """Inputs the record knows whose files are gone (and that no current input names)."""

    textures: tuple[str, ...] = ()  # source ids
    scenes: tuple[str, ...] = ()  # scene paths


def missing_inputs(record: BuildRecord | None, textures: list[TextureSource], scenes: list[Path]) -> Missing:
    """The recorded inputs whose first file no longer exists and that this cook does not name."""
    if record is None:
        return Missing()
    ids = {t.source_id for t in textures}
    paths = {scene_path(p) for p in scenes}
    gone_textures = tuple(sorted(i for i, e in record.textures.items() if i not in ids and e.stamps and not os.path.lexists(e.stamps[0].path)))
    gone_scenes = tuple(sorted(p for p in record.scenes if p not in paths and not os.path.lexists(p)))
    return Missing(gone_textures, gone_scenes)


def unchanged_report_entry(source: TextureSource, entry: TextureEntry) -> TextureReportEntry:
    """The report entry of a texture the build record vouched for (its facts are the record's)."""
    return TextureReportEntry(
        source_id=source.source_id,
        index=entry.index,
        preset=entry.preset,
        format=entry.format,
        width=entry.width,
        height=entry.height,
        mips=entry.mips,
        bytes=entry.bytes,
        cook_ms=0.0,
        queue_ms=0.0,
        diagnostics=source.notes,
        status="unchanged",
    )
