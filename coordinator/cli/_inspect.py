"""``oxcook inspect ROOT``: summary and validation of a cooked root; exit 0 valid, 1 invalid, 2 not a container."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from oxcook.formats import ValidationReport

from .._errors import EXIT_INVALID, EXIT_NOT_A_CONTAINER, EXIT_VALID
from .._inspect import inspect_root, render_summary, summary_dict
from ._sinks import terminal


def add_arguments(sub) -> None:
    p = sub.add_parser(
        "inspect",
        help="summarise and validate a cooked root",
        description="Summarise a cooked root and check it against every loader rule oxcook knows. "
        "Exit codes: 0 valid, 1 invalid, 2 not a container or unreadable.",
    )
    p.add_argument("root", help="cooked root folder (or its container.index.bin)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-hashes", action="store_true", help="skip hashing payloads, buffers and descriptors")
    p.set_defaults(func=run)


def exit_code(path: Path, report: ValidationReport) -> int:
    if not path.is_dir() or not report.recognized:
        return EXIT_NOT_A_CONTAINER
    return EXIT_VALID if report.ok else EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    path = Path(args.root)
    if not path.exists():
        print(f"oxcook inspect: {path}: no such file or folder", file=sys.stderr)
        return EXIT_NOT_A_CONTAINER
    if path.is_file() and path.name != "container.index.bin":
        print(f"oxcook inspect: {path}: not a cooked root (a folder holding container.index.bin)", file=sys.stderr)
        return EXIT_NOT_A_CONTAINER
    root, report = inspect_root(path, verify_hashes=not args.no_hashes)
    summary = summary_dict(root, report)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("\n".join(terminal(line) for line in render_summary(summary).splitlines()))
    return exit_code(root, report)
