"""``oxcook compact ROOT``: rewrite a cooked root with only its live content (stale bytes of re-cooks trimmed)."""

from __future__ import annotations

import argparse

from oxcook.formats import OxcookError

from .._errors import EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ..emit import compact_root
from ._params import PATH, SECONDS, Argument, Command, Option
from . import _log


def command() -> Command:
    return Command(
        "compact",
        run,
        short_help="trim the stale bytes that re-cooks leave behind",
        help="Rewrite a cooked root with only its live content: rows reachable from its materials, geometry and "
        "texture sidecars, indices remapped inside every descriptor. Crash-safe like a cook; the result is deterministic.",
        params=[
            Argument("root", description="cooked root folder", type=PATH),
            Option("--dry-run", is_flag=True, help="only say how many bytes it would free"),
            Option("--lock-timeout", type=SECONDS, default=600.0, metavar="S", help="seconds to wait for a running cook"),
        ],
    )


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
