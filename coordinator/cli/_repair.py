"""``oxcook repair ROOT``: bring a cooked root back to its last committed container."""

from __future__ import annotations

import argparse
from pathlib import Path

from oxcook.formats import OxcookError

from .._errors import EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ..emit import RootLock, recover_root
from ._params import PATH, SECONDS, Argument, Command, Option
from . import _log


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
    _log.configure()
    root: Path = args.root
    if not root.is_dir():
        return _log.fail(f"oxcook repair: {root}: no such folder", EXIT_USAGE)
    lock = RootLock(root)
    try:
        lock.acquire(args.lock_timeout)
        result = recover_root(root)
    except OxcookError as exc:
        return _log.fail(f"oxcook repair: {exc.message}", EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE))
    except OSError as exc:  # a read-only or vanished root
        return _log.fail(f"oxcook repair: {root}: {exc.strerror or exc}", EXIT_INFRASTRUCTURE)
    finally:
        lock.release()
    print(f"oxcook repair: {root}: {result.describe()}")
    return EXIT_OK
