"""``oxcook inspect ROOT``: summary and validation of a cooked root; exit 0 valid, 1 invalid, 2 not a container.

``--html DIR`` writes a browsable page of every texture as pictures (with
``--report``: the cook's cache status, diagnostics and source comparison);
``--export`` writes one decoded texture as a PNG. Neither ever writes into the root.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import click

from oxcook.formats import FormatError, ValidationReport

from .._errors import EXIT_INVALID, EXIT_NOT_A_CONTAINER, EXIT_USAGE, EXIT_VALID, ConfigError
from ..inspect import inspect_root, render_summary, summary_dict
from .._sinks import terminal
from .._types import ImportPhase, ImportProgress
from ._params import Argument, Command, Number, Option
from . import _log
from ._progress import ProgressDisplay

EPILOG = """pictures:
  --html DIR writes DIR/index.html and one PNG per view (t<row>.png, ...): every texture's
  level 0, its mip chain, alpha, normal maps lit, HDR tone-mapped, with the materials
  that use it; a filter box; the validation errors at the top. With --report (the JSON
  of 'oxcook cook --report') each texture also shows its cache status and diagnostics,
  worst first, and its source beside the cooked result with an error heatmap when the
  source file is found (--sources names the folder the cook's inputs were in).
  A row that does not read is drawn as a named placeholder and the exit code is 1.

  --export NAME_OR_INDEX -o out.png [--mip N] writes one texture (by row index, the
  source name the cook was given, or its .otex sidecar name) as a PNG; float formats
  are tone-mapped. Unknown name or mip: exit 2."""


def command() -> Command:
    return Command(
        "inspect",
        run,
        short_help="summarise and validate a cooked root, or draw it as pictures",
        help="Summarise a cooked root and check it against every loader rule oxcook knows. "
        "Exit codes: 0 valid, 1 invalid (or a texture that does not read), 2 not a container, unreadable, or a usage error.",
        epilog=EPILOG,
        params=[
            Argument("root", description="cooked root folder (or its container.index.bin)", type=click.Path()),
            Option("--json", exclusive="mode", is_flag=True, help="print the summary as JSON"),
            Option("--html", exclusive="mode", type=click.Path(), metavar="DIR", help="write a page of every texture's pictures into DIR (outside the root)"),
            Option("--export", exclusive="mode", metavar="NAME_OR_INDEX", help="write one texture as a PNG (needs -o)"),
            Option(
                "--verify",
                exclusive="hashes",
                is_flag=True,
                help="hash every payload, buffer and descriptor against its row (the default; finds a root edited behind oxcook's back)",
            ),
            Option("--no-hashes", exclusive="hashes", is_flag=True, help="skip hashing payloads, buffers and descriptors"),
            Option("--report", type=click.Path(), metavar="COOK.json", help="with --html: the cook's --report, shown per texture"),
            Option("--sources", type=click.Path(), metavar="DIR", multiple=True, help="with --report: a folder the report's source names are relative to (repeatable)"),
            Option("-o", "--output", type=click.Path(), metavar="PNG", help="with --export: the PNG to write"),
            Option("--mip", type=Number(int, -(2**31), 2**31, "a whole number"), default=0, metavar="N", help="with --export: the mip level (default 0)"),
            Option("--progress", type=click.Choice(("auto", "bar", "lines", "none")), default="auto", help="with --html: progress on stderr"),
        ],
    )


def exit_code(path: Path, report: ValidationReport) -> int:
    if not path.is_dir() or not report.recognized:
        return EXIT_NOT_A_CONTAINER
    return EXIT_VALID if report.ok else EXIT_INVALID


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    return _log.fail(f"oxcook inspect: {message}", code)


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (existing or not) is ``root`` or lies inside it, symlinks resolved."""
    target, base = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return target == base or base in target.parents


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.export is None and (args.output or args.mip):
        return "-o and --mip go with --export"
    if args.export is not None and not args.output:
        return "--export needs -o FILE.png"
    if args.html is None and (args.report or args.sources):
        return "--report and --sources go with --html"
    if args.sources and not args.report:
        return "--sources goes with --report"
    return None


def run(args: argparse.Namespace) -> int:
    _log.configure()
    path = Path(args.root)
    if (problem := _usage_problem(args)) is not None:
        return _fail(problem)
    if not path.exists():
        return _fail(f"{path}: no such file or folder", EXIT_NOT_A_CONTAINER)
    if path.is_file() and path.name != "container.index.bin":
        return _fail(f"{path}: not a cooked root (a folder holding container.index.bin)", EXIT_NOT_A_CONTAINER)
    root = path.parent if path.is_file() else path
    if args.html is not None:
        return _run_html(args, root)
    if args.export is not None:
        return _run_export(args, root)
    root, report = inspect_root(path, verify_hashes=not args.no_hashes)
    summary = summary_dict(root, report)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("\n".join(terminal(line) for line in render_summary(summary).splitlines()))
    return exit_code(root, report)


class _Progress:
    """``write_html``'s progress calls as the cook's progress display (a bar on a terminal, throttled lines otherwise)."""

    def __init__(self, mode: str) -> None:
        live = mode == "bar" or (mode == "auto" and sys.stderr.isatty())
        self._display = ProgressDisplay(sys.stderr, live=live) if mode != "none" else None
        self._started = time.monotonic()

    def __call__(self, done: int, total: int, name: str) -> None:
        if self._display is None:
            return
        elapsed = time.monotonic() - self._started
        self._display.update(
            ImportProgress(
                job_id=0,
                phase=ImportPhase.TEXTURES,
                phase_progress=done / total,
                overall_progress=done / total,
                message=f"pictures of {name}",
                items_completed=done,
                items_total=total,
                throughput=done / elapsed if elapsed > 0 else 0.0,
            )
        )

    def finish(self) -> None:
        if self._display is not None:
            self._display.finish()


def _run_html(args: argparse.Namespace, root: Path) -> int:
    from ..inspect import read_cook_report, write_html  # Pillow and the block decoder: only for pictures

    out = Path(args.html)
    if _inside(out, root):
        return _fail(f"{out}: inside the cooked root {root}; inspect never writes there, pick a folder outside it")
    if out.exists() and not out.is_dir():
        return _fail(f"{out}: exists and is not a folder")
    try:
        cook = read_cook_report(Path(args.report)) if args.report else None
    except ConfigError as exc:
        return _fail(exc.message)
    root, report = inspect_root(root, verify_hashes=not args.no_hashes)
    progress = _Progress(args.progress)
    try:
        result = write_html(root, report, out, cook=cook, source_folders=tuple(Path(s) for s in args.sources), progress=progress)
    finally:
        progress.finish()
    for v in report.violations:
        print(terminal(str(v)))
    for index in result.unreadable:
        print(f"error: texture row {index} does not read; drawn as a placeholder (see the page)")
    code = exit_code(root, report)
    status = "NOT A CONTAINER" if not report.recognized else "VALID" if report.ok else "INVALID"
    print(f"result: {status}; page: {result.page} ({result.textures} textures, {len(result.unreadable)} unreadable)")
    return code if code != EXIT_VALID or not result.unreadable else EXIT_INVALID


def _run_export(args: argparse.Namespace, root: Path) -> int:
    from ..inspect import export_texture

    out = Path(args.output)
    if _inside(out, root):
        return _fail(f"{out}: inside the cooked root {root}; inspect never writes there, pick a file outside it")
    if out.is_dir():
        return _fail(f"{out}: is a folder; give the PNG file to write")
    root, report = inspect_root(root, verify_hashes=False)
    if not report.recognized or report.index is None:
        return _fail(f"{root}: not a cooked root ({'; '.join(v.message for v in report.violations)})", EXIT_NOT_A_CONTAINER)
    try:
        info = export_texture(root, report, args.export, args.mip, out)
    except ConfigError as exc:
        return _fail(exc.message)
    except FormatError as exc:
        return _fail(f"{root}: {exc.message}", EXIT_INVALID)
    print(terminal(f"wrote {out}: texture {info.index} ({info.title}), mip {args.mip}"))
    return EXIT_VALID
