"""What an ``oxcook cook --report`` says about each texture, read for the inspection page.

The report is user input: it is checked field by field and anything that does not
fit the shape ``cli/_report.py`` writes is refused by name (``ConfigError``, exit 2).
Fields added later are kept: quality figures (any number whose key names PSNR or
SSIM, at the top of an entry or one level down) are shown when a cook wrote them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import ConfigError

SCHEMA_VERSION = 2  # the version of the report shape this reader knows
_QUALITY_WORDS = ("psnr", "ssim")


@dataclass(frozen=True)
class CookEntry:
    """One texture of one job of the report."""

    source: str
    index: int
    preset: str = ""
    format: str = ""
    size: tuple[int, int] | None = None
    mips: int | None = None
    cache: str = ""
    miss_reason: str = ""
    deduplicated: bool = False
    diagnostics: tuple[dict, ...] = ()  # {"severity", "code", "message"}
    quality: tuple[tuple[str, float], ...] = ()  # (field name, value)
    job_input: str = ""

    @property
    def failed(self) -> bool:
        return any(d["severity"] == "error" for d in self.diagnostics)

    @property
    def warned(self) -> bool:
        return any(d["severity"] == "warning" for d in self.diagnostics)

    @property
    def psnr(self) -> float | None:
        """The lowest PSNR-like figure of the entry (several channels or mips may be reported)."""
        values = [v for k, v in self.quality if "psnr" in k.lower()]
        return min(values) if values else None


@dataclass(frozen=True)
class CookReport:
    path: Path
    entries: tuple[CookEntry, ...] = ()
    inputs: tuple[str, ...] = field(default=())  # each job's input label (a scene path, or "N textures")

    def by_index(self) -> dict[int, list[CookEntry]]:
        out: dict[int, list[CookEntry]] = {}
        for e in self.entries:
            out.setdefault(e.index, []).append(e)
        return out


def _quality(entry: dict) -> tuple[tuple[str, float], ...]:
    found = []
    for key, value in entry.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:
            name = f"{key}.{sub}" if sub else key
            if any(w in name.lower() for w in _QUALITY_WORDS) and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                found.append((name, float(v)))
    return tuple(found)


def _diagnostics(raw, where: str) -> tuple[dict, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: 'diagnostics' is not a list")
    out = []
    for d in raw:
        if not isinstance(d, dict) or not isinstance(d.get("message", ""), str):
            raise ConfigError(f"{where}: a diagnostic is not an object with a message")
        out.append({"severity": str(d.get("severity", "")), "code": str(d.get("code", "")), "message": str(d.get("message", ""))})
    return tuple(out)


def parse_cook_report(text: str, path: Path) -> CookReport:
    """The report's texture entries.

    Raises:
        ConfigError: not JSON, another schema version, or an entry without an integer
            ``index`` and a string ``source``.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON cook report ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise ConfigError(f"{path}: not an 'oxcook cook --report' file (no 'jobs' list)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(f"{path}: report schema_version {data.get('schema_version')!r}, this oxcook reads {SCHEMA_VERSION}")
    entries, inputs = [], []
    for j, job in enumerate(data["jobs"]):
        where = f"{path}: jobs[{j}]"
        if not isinstance(job, dict) or not isinstance(job.get("textures", []), list):
            raise ConfigError(f"{where}: not a job object with a 'textures' list")
        label = str(job.get("input", ""))
        inputs.append(label)
        for t, entry in enumerate(job.get("textures", [])):
            at = f"{where}.textures[{t}]"
            if not isinstance(entry, dict) or type(entry.get("index")) is not int or entry["index"] < 0 or not isinstance(entry.get("source"), str):
                raise ConfigError(f"{at}: a texture entry needs an integer 'index' and a string 'source'")
            size = entry.get("size")
            ok_size = isinstance(size, list) and len(size) == 2 and all(type(v) is int for v in size)
            entries.append(
                CookEntry(
                    source=entry["source"],
                    index=entry["index"],
                    preset=str(entry.get("preset") or ""),
                    format=str(entry.get("format") or ""),
                    size=tuple(size) if ok_size else None,
                    mips=entry["mips"] if type(entry.get("mips")) is int else None,
                    cache=str(entry.get("cache") or ""),
                    miss_reason=str(entry.get("miss_reason") or ""),
                    deduplicated=entry.get("deduplicated") is True,
                    diagnostics=_diagnostics(entry.get("diagnostics", []), at),
                    quality=_quality(entry),
                    job_input=label,
                )
            )
    return CookReport(path, tuple(entries), tuple(inputs))


def read_cook_report(path: Path) -> CookReport:
    """:func:`parse_cook_report` of a file.

    Raises:
        ConfigError: the file cannot be read, or :func:`parse_cook_report` refuses it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the cook report ({getattr(exc, 'strerror', None) or exc})") from exc
    return parse_cook_report(text, path)


def mismatches(report: CookReport, rows) -> list[str]:
    """Entries that do not describe this root's rows (a report of another cook, or of an older one)."""
    out = []
    for e in report.entries:
        if e.failed or e.index == 0:
            continue
        if e.index >= len(rows):
            out.append(f"{report.path}: {e.source} is row {e.index}, the textures table has {len(rows)} rows")
            continue
        row = rows[e.index]
        if (e.size is not None and e.size != (row.width, row.height)) or (e.mips is not None and e.mips != row.mip_levels):
            out.append(f"{report.path}: {e.source} is {e.size[0]}x{e.size[1]}, {e.mips} mips in the report, row {e.index} is {row.width}x{row.height}, {row.mip_levels} mips" if e.size else f"{report.path}: {e.source} does not match row {e.index}")
    return out


def source_candidates(report: CookReport, source: str, folders: tuple[Path, ...]) -> list[Path]:
    """Where the source file of ``source`` (an id relative to the cook's inputs) may be, in order:
    under each ``folders`` given, the report's folder, and beside each scene the report names."""
    bases = list(folders) + [report.path.parent]
    for label in report.inputs:
        scene = Path(label)
        if scene.suffix:
            bases += [scene.parent, scene.parent.parent]
    seen, out = set(), []
    for base in bases:
        candidate = Path(source) if Path(source).is_absolute() else base / source
        if candidate not in seen:
            seen.add(candidate)
            out.append(candidate)
    return out
