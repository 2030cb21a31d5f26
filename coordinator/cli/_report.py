"""The ``--report`` JSON of ``oxcook cook``: one stable shape for one job or many (pure).

``schema_version`` changes when a field is renamed or removed (adding one does
not). Per texture, ``cook_ms`` is the time its worker spent cooking it and
``queue_ms`` the rest of the time from submission to result (waiting for a
worker, transport); ``cache`` is ``hit``, ``miss`` or ``off`` and
``miss_reason`` says why a miss missed; ``parts`` how many processes or farm
workers a huge texture was split across; ``path`` its source file; ``quality`` its quality figures
(``worker.QualityFigures.to_dict``: dB and degrees, an exact level's PSNR the
string ``"inf"`` since JSON has no infinity; ``null`` when not measured);
``status`` is ``cooked`` or ``unchanged`` (the root's build record vouched for
it: nothing was read or placed) and ``why`` says why a texture was cooked rather
than left unchanged. A job lists the inputs of earlier cooks whose files are
gone (``missing``). Totals add every job up: ``cache_hits``, ``encoded``
(textures actually cooked by a worker in this run) and ``unchanged``.
"""

from __future__ import annotations

import math

from .._types import ImportReport, ImportSeverity

SCHEMA_VERSION = 2


def versions() -> dict[str, str]:
    """oxcook's version and the block encoder's (what a cooked byte depends on)."""
    from importlib import metadata  # ~35 ms to import: only when a report is written

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"oxcook": version("oxcook"), "encoder": f"ispc_texcomp {version('ispc_texcomp')}"}


def _failed(texture) -> bool:
    return any(d.severity == ImportSeverity.ERROR for d in texture.diagnostics)


def job_dict(report: ImportReport, label: str, exit_code: int, *, per_texture: bool = True) -> dict:
    """The job's summary: totals always, and (``per_texture``) an entry per texture (what a report, JUnit, the metrics
    and ``-v`` show; a no-op of 100 000 textures that writes none of them builds none)."""
    textures = report.textures
    failed = sum(_failed(t) for t in textures)
    unchanged = sum(t.status == "unchanged" for t in textures)
    committed = not report.cancelled and not report.failure_code  # else the job was rolled back
    return {
        "input": label,
        "cooked_root": str(report.cooked_root),
        "exit_code": exit_code,
        "committed": committed,
        "success": report.success,
        "cancelled": report.cancelled,
        "recovered": report.recovered,
        "failure_code": report.failure_code,
        "materials_written": report.materials_written,
        "geometry_written": report.geometry_written,
        "scenes_written": report.scenes_written,
        "emitted": report.emitted,
        "meshes": {"built": report.meshes_built, "from_cache": report.mesh_cache_hits},
        "unchanged": report.unchanged,
        "missing": [{"input": name, "status": "missing since the last cook"} for name in report.missing],
        "textures": [
            {
                "source": t.source_id,
                "path": t.path,
                "index": t.index,
                "preset": t.preset,
                "format": t.format,
                "size": [t.width, t.height],
                "mips": t.mips,
                "bytes": t.bytes,
                "cook_ms": t.cook_ms,
                "queue_ms": t.queue_ms,
                "deduplicated": t.deduplicated,
                "cache": t.cache,
                "miss_reason": t.miss_reason,
                "parts": t.parts,
                "status": t.status,
                "why": t.why,
                "quality": t.quality.to_dict() if t.quality is not None else None,
                "diagnostics": [d.to_dict() for d in t.diagnostics],
            }
            for t in (textures if per_texture else ())
        ],
        "diagnostics": [d.to_dict() for d in report.diagnostics],
        "totals": {
            "textures": len(textures),
            "cooked": len(textures) - failed - unchanged if committed else 0,
            "unchanged": unchanged if committed else 0,
            "failed": failed,
            "deduplicated": sum(t.deduplicated for t in textures),
            "cache_hits": sum(t.cache == "hit" for t in textures),
            "encoded": sum(t.cache != "hit" and t.status != "unchanged" and not _failed(t) for t in textures),
            "bytes": sum(t.bytes for t in textures if not t.deduplicated and t.index and t.status != "unchanged") if committed else 0,
            "seconds": round(report.seconds, 3),
        },
    }


def describe_quality(figures) -> str:
    """The figures of a ``-v`` line (``, PSNR 41.2 dB (alpha …, mips ≥ …), normals … mean … p99``), or nothing."""
    if figures is None:
        return ""

    def db(value: float) -> str:
        return "inf" if math.isinf(value) else f"{value:.2f}"

    extra = [f"alpha {db(figures.psnr_alpha_db)} dB"] if figures.psnr_alpha_db is not None else []
    extra += [f"mips >= {db(figures.mip_psnr_db)} dB"] if figures.mip_psnr_db is not None else []
    text = f", PSNR {db(figures.psnr_db)} dB" + (f" ({', '.join(extra)})" if extra else "")
    if figures.normal_error_deg is not None:
        text += f", normal error {figures.normal_error_deg[0]:.2f}° mean, {figures.normal_error_deg[1]:.2f}° p99"
    if figures.alpha_coverage is not None:
        cutoff, source, levels = figures.alpha_coverage
        text += f", alpha coverage at {cutoff:g}: {source:.3f}, mips within {max(abs(c - source) for c in levels):.3f}"
    return text


def report_dict(jobs: list[dict], exit_code: int, seconds: float) -> dict:
    """The whole report: versions, exit code, every job, and totals over all jobs."""
    keys = ("textures", "cooked", "unchanged", "failed", "deduplicated", "cache_hits", "encoded", "bytes")
    totals = {k: sum(j["totals"][k] for j in jobs) for k in keys}
    totals["seconds"] = round(seconds, 3)
    totals["textures_per_second"] = round(totals["textures"] / seconds, 2) if seconds else 0.0
    return {"schema_version": SCHEMA_VERSION, "versions": versions(), "exit_code": exit_code, "jobs": jobs, "totals": totals}
