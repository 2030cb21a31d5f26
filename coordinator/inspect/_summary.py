"""Inspection: a readable summary of a cooked root and its validation result (what ``oxcook inspect`` prints).

:func:`inspect_root` reads and validates; :func:`summary_dict` and
:func:`render_summary` are pure views of the report (JSON and text).
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

from oxcook.formats import (
    INDEX_FILE_NAME,
    AssetType,
    Format,
    OxcookError,
    TextureType,
    ValidationReport,
    key_text,
    validate_container,
)

from ..emit import JOURNAL_FILE, CookedRootFiles, read_journal, stale_bytes


def inspect_root(path: Path, *, verify_hashes: bool = True) -> tuple[Path, ValidationReport]:
    """Validate the cooked root at ``path`` (a folder, or its ``container.index.bin``),
    naming an interrupted cook when its journal is still there."""
    root = path.parent if path.is_file() and path.name == INDEX_FILE_NAME else path
    report = validate_container(CookedRootFiles(root), verify_hashes=verify_hashes)
    journal = read_journal(root)
    if journal is not None:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(journal.get("started", 0)))
        report.add(
            "interrupted-cook",
            JOURNAL_FILE,
            "",
            f"a cook (pid {journal.get('pid', '?')}, started {started}) did not finish; run 'oxcook repair {root}'",
        )
    return root, report


def _name(enum_type, value: int) -> str:
    try:
        return enum_type(value).name
    except ValueError:
        return str(value)


def summary_dict(root: Path, report: ValidationReport) -> dict:
    """Everything ``inspect --json`` prints, as plain data."""
    index = report.index
    out: dict = {"root": str(root), "valid": report.ok, "recognized": report.recognized}
    if index is not None:
        out["epoch"] = index.epoch.value
        out["source_identity"] = key_text(index.source_identity)
        out["content_version"] = index.content_version
        out["assets_by_type"] = dict(collections.Counter(_name(AssetType, a.asset_type) for a in index.assets))
        out["assets"] = [
            {"key": key_text(a.asset_key), "type": _name(AssetType, a.asset_type), "virtual_path": a.virtual_path, "descriptor": a.descriptor_relpath, "size": a.descriptor_size}
            for a in index.assets
        ]
        out["files"] = [{"kind": f.kind, "relpath": f.relpath, "size": f.size} for f in index.files]
    out["textures"] = [
        {
            "index": i,
            "type": _name(TextureType, r.texture_type),
            "format": _name(Format, r.format),
            "width": r.width,
            "height": r.height,
            "layers": r.array_layers,
            "mips": r.mip_levels,
            "offset": r.data_offset,
            "bytes": r.size_bytes,
            "content_hash": f"{r.content_hash:016x}",
        }
        for i, r in enumerate(report.texture_rows)
    ]
    out["buffers"] = [
        {"index": i, "usage": r.usage_flags, "stride": r.element_stride, "format": r.element_format, "offset": r.data_offset, "bytes": r.size_bytes}
        for i, r in enumerate(report.buffer_rows)
    ]
    if index is not None and report.ok:
        try:
            out["stale_bytes"] = stale_bytes(root)  # what `oxcook compact` would free, per data file
        except (OxcookError, OSError):
            pass
    out["violations"] = [
        {"rule": v.rule, "severity": v.severity.value, "file": v.file, "where": v.where, "message": v.message} for v in report.violations
    ]
    return out


def render_summary(summary: dict) -> str:
    """The text form of :func:`summary_dict` for a terminal."""
    lines = [f"cooked root: {summary['root']}"]
    if "epoch" in summary:
        lines.append(f"layout: Epoch {summary['epoch']}   source: {summary['source_identity']}   content version: {summary['content_version']}")
        by_type = ", ".join(f"{n} {t.lower()}" for t, n in sorted(summary["assets_by_type"].items())) or "none"
        lines.append(f"assets: {by_type}")
        for a in summary["assets"]:
            lines.append(f"  {a['type']:<9} {a['virtual_path']}  ({a['size']} B)")
        lines.append("files:")
        stale = summary.get("stale_bytes", {})
        for f in summary["files"]:
            dead = stale.get(f["relpath"].rsplit("/", 1)[-1])
            note = f"  ({dead:,} B stale: 'oxcook compact' frees them)" if dead else ""
            lines.append(f"  {f['relpath']:<34} {f['size']:>14,} B{note}")
    if summary["textures"]:
        lines.append(f"textures: {len(summary['textures'])}")
        for t in summary["textures"]:
            shape = f"{t['width']}x{t['height']}" + (f"x{t['layers']}" if t["layers"] > 1 else "")
            lines.append(f"  [{t['index']:>4}] {t['format']:<17} {shape:<12} {t['mips']:>2} mips {t['bytes']:>12,} B  {t['type']}")
    if summary["buffers"]:
        lines.append(f"buffers: {len(summary['buffers'])}")
        for b in summary["buffers"]:
            lines.append(f"  [{b['index']:>4}] usage 0x{b['usage']:03x} stride {b['stride']:>3} format {b['format']:>2} {b['bytes']:>12,} B")
    problems = summary["violations"]
    errors = [v for v in problems if v["severity"] == "error"]
    for v in problems:
        at = f" [{v['where']}]" if v["where"] else ""
        lines.append(f"{v['severity']}: {v['file']}{at}: {v['message']} ({v['rule']})")
    if not summary["recognized"]:
        lines.append("result: NOT A CONTAINER")
    else:
        lines.append("result: VALID" if summary["valid"] else f"result: INVALID ({len(errors)} error(s))")
    return "\n".join(lines)
