"""The ``oxcook`` command line: argument parsing and exit codes, nothing else.

Each sub-command parses its arguments and hands plain values to the package's
API; errors become one line on stderr naming the file and the problem, and a
documented exit code — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._cook_cli import EPILOG, add_cook_arguments, cmd_cook, cmd_repair, cmd_worker
from ._errors import EXIT_USAGE
from ._inspect import EXIT_NOT_A_CONTAINER, exit_code, inspect_root, render_summary, summary_dict


def _cmd_inspect(args: argparse.Namespace) -> int:
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
        print(render_summary(summary))
    return exit_code(root, report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxcook",
        description="Cook textures and scenes into the Oxygen Engine's loose cooked container.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "cook",
        help="cook textures into a cooked root",
        description="Cook texture files, folders and TOML manifests into a loose cooked container. "
        "Presets come from file names (_n/_normal, _orm, _rough, _metal, _ao, _emissive, .hdr/.exr, ...) unless --preset is given.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_cook_arguments(p)
    p.set_defaults(func=cmd_cook)
    p = sub.add_parser(
        "worker",
        help="run a farm worker (Celery, fed through Redis)",
        description="Run a Celery worker that cooks textures for 'oxcook cook --broker URL'.",
    )
    p.add_argument("--broker", help="broker URL (default: $OXCOOK_BROKER_URL, else redis://127.0.0.1:6379/0)")
    p.add_argument("--concurrency", type=int, help="worker processes (default: one per core)")
    p.add_argument("--hostname", help="Celery node name (default: oxcook@host)")
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser(
        "repair",
        help="undo an interrupted cook",
        description="Bring a cooked root back to its last committed container (oxcook also does this at the start of every cook).",
    )
    p.add_argument("root", type=Path, help="cooked root folder")
    p.add_argument("--lock-timeout", type=float, default=600.0, help="seconds to wait for a running cook")
    p.set_defaults(func=cmd_repair)
    p = sub.add_parser(
        "inspect",
        help="summarise and validate a cooked root",
        description="Summarise a cooked root and check it against every loader rule oxcook knows. "
        "Exit codes: 0 valid, 1 invalid, 2 not a container or unreadable.",
    )
    p.add_argument("root", help="cooked root folder (or its container.index.bin)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-hashes", action="store_true", help="skip hashing payloads, buffers and descriptors")
    p.set_defaults(func=_cmd_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one oxcook command; returns its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    return args.func(args)
