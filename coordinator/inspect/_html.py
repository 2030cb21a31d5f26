"""``oxcook inspect --html DIR``: the page and its pictures written into a folder of their own.

The order of work: catalog (descriptors, sidecars, report), one texture at a
time (decode, PNGs), then ``index.html`` last, written to a temporary name and
renamed, so a reader never opens half a page. Only ``DIR`` is written; the CLI
refuses a ``DIR`` inside the cooked root.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from oxcook.formats import FileKind, ValidationReport

from ._album import Card, render_texture, worst_first
from ._catalog import read_catalog
from ._files import HeldFiles
from ._cook_report import CookReport, mismatches, source_candidates
from ._page import PageFacts, render_page

PAGE = "index.html"


@dataclass(frozen=True)
class HtmlResult:
    page: Path
    textures: int
    unreadable: tuple[int, ...]  # rows drawn as placeholders


def write_html(
    root: Path,
    report: ValidationReport,
    out: Path,
    *,
    cook: CookReport | None = None,
    source_folders: tuple[Path, ...] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> HtmlResult:
    """Write ``out/index.html`` and its pictures for the root ``report`` describes.

    Args:
        root: the cooked root.
        report: its validation (what the validator read is reused, not read again).
        out: the page's folder (created).
        cook: a cook report: per-texture cache status, diagnostics and sources, worst first.
        source_folders: folders the report's source names are relative to.
        progress: called as ``(done, total, latest name)`` after each texture.

    Raises:
        OSError: ``out`` cannot be written.
    """
    out.mkdir(parents=True, exist_ok=True)
    by_index = cook.by_index() if cook else {}
    data = report.index.file(FileKind.TEXTURES_DATA) if report.index is not None else None
    cards: list[Card] = []
    with HeldFiles(root, frozenset({data.relpath}) if data is not None else frozenset()) as files:
        catalog = read_catalog(root, files, report, by_index)
        total = len(catalog.textures)
        for done, info in enumerate(catalog.textures, 1):
            if data is None:
                cards.append(Card(info, error="the index records no textures data file"))
            else:
                sources = [p for e in info.cook for p in source_candidates(cook, e.source, source_folders)] if cook else []
                cards.append(render_texture(files, data.relpath, info, out, sources))
            if progress is not None:
                progress(done, total, info.title)
    if cook is not None:
        cards = worst_first(cards)
        catalog = dataclasses.replace(catalog, problems=catalog.problems + tuple(mismatches(cook, report.texture_rows)))
    facts = PageFacts(
        root=str(root),
        recognized=report.recognized,
        valid=report.ok,
        violations=tuple((v.severity.value, str(v)) for v in report.violations),
        buffers=len(report.buffer_rows),
        report=str(cook.path) if cook else "",
        sorted_worst_first=cook is not None,
    )
    page = out / PAGE
    partial = out / f".{PAGE}.partial"
    partial.write_text(render_page(facts, catalog, cards), encoding="utf-8")
    os.replace(partial, page)
    return HtmlResult(page, len(cards), tuple(c.info.index for c in cards if c.error))
