"""``oxcook repair ROOT``: bring a cooked root back to its last committed container."""

from __future__ import annotations

import argparse
from pathlib import Path

from oxcook.formats import OxcookError

from .._errors import EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ..emit import RootLock, recover_root
from . import _log


def add_arguments(sub) -> None:
    p = sub.add_parser(
        "repair",
        help="undo an interrupted cook",
        description="Bring a cooked root back to its last committed container (oxcook also does this at the start of every cook).",
    )
    p.add_argument("root", type=Path, help="cooked root folder")
    p.add_argument("--lock-timeout", type=float, default=600.0, help="seconds to wait for a running cook")
    p.set_defaults(func=run)


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
