"""``oxcook repair ROOT``: bring a cooked root back to its last committed container."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxcook.formats import OxcookError

from .._errors import EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ..emit import RootLock, recover_root
from ._params import PATH, SECONDS, Argument, Command, Option


def command() -> Command:
    return Command(
        "repair",
        run,
        short_help="undo an interrupted cook",
        help="Bring a cooked root back to its last committed container (oxcook also does this at the start of every cook).",
        params=[
            Argument("root", description="cooked root folder", type=PATH),
            Option("--lock-timeout", type=SECONDS, default=600.0, metavar="S", help="seconds to wait for a running cook"),
        ],
    )


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    if not root.is_dir():
        print(f"oxcook repair: {root}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    lock = RootLock(root)
    try:
        lock.acquire(args.lock_timeout)
        result = recover_root(root)
    except OxcookError as exc:
        print(f"oxcook repair: {exc.message}", file=sys.stderr)
        return EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE)
    except OSError as exc:  # a read-only or vanished root
        print(f"oxcook repair: {root}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    finally:
        lock.release()
    print(f"oxcook repair: {root}: {result.describe()}")
    return EXIT_OK
