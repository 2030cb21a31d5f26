"""``oxcook compact ROOT``: rewrite a cooked root with only its live content (stale bytes of re-cooks trimmed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oxcook.formats import OxcookError

from .._errors import EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ..emit import compact_root
from . import _log


def add_arguments(sub) -> None:
    p = sub.add_parser(
        "compact",
        help="trim the stale bytes that re-cooks leave behind",
        description="Rewrite a cooked root with only its live content: rows reachable from its materials, geometry and "
        "texture sidecars, indices remapped inside every descriptor. Crash-safe like a cook; the result is deterministic.",
    )
    p.add_argument("root", type=Path, help="cooked root folder")
    p.add_argument("--dry-run", action="store_true", help="only say how many bytes it would free")
    p.add_argument("--lock-timeout", type=float, default=600.0, help="seconds to wait for a running cook")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    _log.configure()
    if not args.root.is_dir():
        return _log.fail(f"oxcook compact: {args.root}: no such folder", EXIT_USAGE)
    try:
        result = compact_root(args.root, dry_run=args.dry_run, lock_timeout=args.lock_timeout)
    except OxcookError as exc:
        return _log.fail(f"oxcook compact: {exc.message}", EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE))
    except OSError as exc:
        return _log.fail(f"oxcook compact: {args.root}: {exc.strerror or exc}", EXIT_INFRASTRUCTURE)
    print(f"oxcook compact: {args.root}: {result.describe()}")
    return EXIT_OK
