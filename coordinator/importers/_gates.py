"""Quality gates: a cooked texture's figures judged against the least its settings ask for (pure).

A texture below a gate gets an error diagnostic, ``texture-quality-below-threshold``,
naming the texture, the figure and the gate: the cook exits 1, and the texture is
still written (it is valid data; the report says it is not good enough). Gates
come from ``--min-psnr`` and manifest rules (``TextureSettings``) and are no
part of the cache key, so changing one re-cooks nothing.

* ``min_psnr``: against ``psnr_db`` (level 0, the colour channels the format stores);
* ``max_normal_error_deg``: against the 99th percentile of a normal map's angle
  error (textures that are not normal maps have no such figure: the gate does not apply).

An exact level (infinite PSNR, no angle error) passes every gate.
"""

from __future__ import annotations

from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import QualityFigures

from .._types import QualityGates

BELOW_THRESHOLD = "texture-quality-below-threshold"


def gate_failures(source_id: str, figures: QualityFigures, gates: QualityGates) -> tuple[ImportDiagnostic, ...]:
    """An error diagnostic for each gate ``figures`` fall short of (none when every gate passes)."""
    found = []
    if gates.min_psnr is not None and figures.psnr_db < gates.min_psnr:
        message = f"{source_id}: psnr_db {figures.psnr_db:.2f} dB is below the gate min_psnr {gates.min_psnr:g} dB"
        found.append(ImportDiagnostic(ImportSeverity.ERROR, BELOW_THRESHOLD, message, source_id))
    if gates.max_normal_error_deg is not None and figures.normal_error_deg is not None and figures.normal_error_deg[1] > gates.max_normal_error_deg:
        message = (
            f"{source_id}: normal_error_deg p99 {figures.normal_error_deg[1]:.2f}° is above the gate "
            f"max_normal_error_deg {gates.max_normal_error_deg:g}°"
        )
        found.append(ImportDiagnostic(ImportSeverity.ERROR, BELOW_THRESHOLD, message, source_id))
    return tuple(found)
