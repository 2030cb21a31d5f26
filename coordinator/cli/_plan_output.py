"""How ``oxcook cook --dry-run`` shows its plan: a table for a person, or one JSON object per input for a program.

Pure: a :class:`~._dry_run.Plan` in, lines out (the caller prints them, names escaped for the terminal).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

from ._dry_run import Plan, Planned
from .._sinks import terminal

_COLUMNS = ("SOURCE", "PRESET", "FORMAT", "QUALITY", "MIPS", "SIZE", "PLAN")
_COUNTED = {
    "texture": (("unchanged", "unchanged"), ("cache-hit", "from the cache"), ("cook", "to cook"), ("fail", "failing")),
    "scene": (("unchanged", "unchanged"), ("cook", "to cook")),
    "missing": (("keep", "kept (--prune drops them)"), ("prune", "pruned")),
}
_KINDS = {"texture": "textures", "scene": "scenes", "missing": "inputs missing since the last cook"}


def plan_cell(row: Planned) -> str:
    """What would happen to ``row``, and why, in a few words."""
    if row.plan == "unchanged":
        return "unchanged (build record)"
    if row.plan == "cache-hit":
        return f"cache hit ({row.tier})"
    if row.plan == "fail":
        return f"fails ({row.problem})"
    return f"cook ({row.reason})" if row.reason else "cook"


def settings_cell(row: Planned) -> str:
    """Where each setting came from (one absent is its preset's)."""
    return "; ".join(f"{name}: {where}" for name, where in row.settings.items())


def _size(row: Planned) -> str:
    return f"{row.width}x{row.height}" if row.width is not None else "?"


def summary(plan: Plan) -> dict[str, dict[str, int]]:
    """Inputs counted by kind and plan."""
    counts = Counter((row.kind, row.plan) for row in plan.inputs)
    return {kind: {what: counts[kind, what] for what, _ in plans} for kind, plans in _COUNTED.items()}


def summary_line(plan: Plan) -> str:
    parts = []
    for kind, counts in summary(plan).items():
        words = [f"{n} {dict(_COUNTED[kind])[what]}" for what, n in counts.items() if n]
        if words:
            parts.append(f"{_KINDS[kind]}: {', '.join(words)}")
    return "plan: " + ("; ".join(parts) if parts else "nothing to cook")


def table_lines(plan: Plan) -> list[str]:
    """The plan for a person: a row per texture (where its settings came from, and its warnings, below it), then
    scenes and missing inputs, then the counts."""
    textures = [r for r in plan.inputs if r.kind == "texture"]
    lines = [f"oxcook cook --dry-run: the plan for {plan.root} (nothing was written)"]
    if textures:
        cells = [[terminal(c) for c in (r.source, r.preset, r.format, r.quality or "-", "?" if r.mips is None else str(r.mips), _size(r), plan_cell(r))] for r in textures]
        widths = [max(len(c[i]) for c in [_COLUMNS, *cells]) for i in range(len(_COLUMNS))]
        lines.append(_aligned(_COLUMNS, widths))
        for row, values in zip(textures, cells, strict=True):
            lines.append(_aligned(values, widths))
            lines.append(f"    settings from: {terminal(settings_cell(row))}")
            lines += [f"    warning: {terminal(w)}" for w in row.warnings]
    for kind, title in (("scene", "scenes:"), ("missing", "missing since the last cook:")):
        rows = [r for r in plan.inputs if r.kind == kind]
        if rows:
            lines.append(title)
            lines += [f"  {terminal(r.source)}  {_other_cell(r)}" for r in rows]
    lines.append(summary_line(plan))
    return lines


def _aligned(values, widths: list[int]) -> str:
    return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()


def _other_cell(row: Planned) -> str:
    if row.kind == "scene":
        return plan_cell(row)
    return "pruned: its entry and the sidecars only it produced are dropped" if row.plan == "prune" else "kept (--prune drops it)"


def json_lines(plan: Plan) -> list[str]:
    """The plan for a program: one JSON object per input, then one with the counts (``kind``: ``summary``)."""
    lines = [json.dumps({"event": "plan", **dataclasses.asdict(row)}) for row in plan.inputs]
    lines.append(json.dumps({"event": "plan", "kind": "summary", "root": str(plan.root), **summary(plan)}))
    return lines
