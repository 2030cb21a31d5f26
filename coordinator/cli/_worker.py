"""``oxcook worker``: a farm worker — Celery, prefork, one process per core, events on.

Exit status: 0 after a requested (warm) stop; 2 for an unusable broker URL or
``--broker-file``; 3 when the worker stopped on an unrecoverable error, so a
supervisor's on-failure policy restarts it; 130 when Ctrl-C (SIGINT) or a cold-shutdown signal ended it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .._config import Config
from .._errors import EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE, ConfigError
from ._broker import add_broker_arguments, broker_url
from ._cook import memory_size


def add_arguments(sub) -> None:
    p = sub.add_parser(
        "worker",
        help="run a farm worker (Celery, fed through Redis)",
        description="Run a Celery worker that cooks textures for 'oxcook cook --broker URL'.",
    )
    add_broker_arguments(p, "broker URL (default: $OXCOOK_BROKER_URL, else redis://127.0.0.1:6379/0)")
    p.add_argument("--concurrency", type=int, help="worker processes (default: one per core)")
    p.add_argument(
        "--autoscale",
        metavar="MAX,MIN",
        type=_autoscale,
        help="grow to MAX processes while tasks wait and shrink to MIN when idle (Celery's autoscaler; replaces --concurrency). "
        "Each process takes one task at a time and acknowledges it when done (late acks, prefetch 1), so a long texture "
        "never holds a second one back and a process lost mid-task gives its task back to the queue",
    )
    p.add_argument("--hostname", help="Celery node name (default: oxcook@host)")
    p.add_argument("--memory-budget", type=memory_size, help="memory each worker process may use for one texture (default: its share of three quarters of this machine)")
    p.add_argument(
        "--source-root",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="with --shared-storage cooks: a folder this worker may read sources from (repeatable; default $OXCOOK_SOURCE_ROOTS, else none)",
    )
    p.add_argument("--max-dimension", type=int, help="the largest image edge this worker decodes (a work item may ask for less, never more)")
    p.add_argument(
        "--publish-shared-cache",
        action="store_true",
        help="write what this worker cooks to its shared cook-cache tier ($OXCOOK_SHARED_CACHE) itself "
        "(default: $OXCOOK_WORKER_PUBLISHES_CACHE=1, else only coordinators publish the results they accepted)",
    )
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=run)


def _autoscale(text: str) -> str:
    """``MAX,MIN`` (MIN defaults to 0), checked here so a typo is a usage error, not a worker that never starts."""
    most, _, least = text.partition(",")
    try:
        high, low = int(most), int(least or 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MAX,MIN") from None
    if high < 1 or not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1 <= MAX and 0 <= MIN <= MAX")
    return f"{high},{low}"


def run(args: argparse.Namespace) -> int:
    try:
        broker = broker_url(args, "worker") or "redis://127.0.0.1:6379/0"
    except ConfigError as exc:
        print(f"oxcook worker: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    # the worker's processes read it from their environment, which only this user can see
    os.environ["OXCOOK_BROKER_URL"] = broker
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the encoder is single-threaded: one process per core
    from oxcook.worker.cook import share_of_machine
    from oxcook.worker.farm.celery_app import serve  # reads OXCOOK_BROKER_URL when first imported

    concurrency = int(args.autoscale.split(",")[0]) if args.autoscale else args.concurrency or Config().thread_pool_size  # memory: shared by the most processes it may run
    # limits and readable folders come from the worker's own configuration, never from a work item
    os.environ["OXCOOK_MEMORY_BUDGET"] = str(args.memory_budget or share_of_machine(concurrency))
    if args.source_root:
        os.environ["OXCOOK_SOURCE_ROOTS"] = os.pathsep.join(str(r.resolve()) for r in args.source_root)
    if args.publish_shared_cache:
        os.environ["OXCOOK_WORKER_PUBLISHES_CACHE"] = "1"
    if args.max_dimension:
        os.environ["OXCOOK_MAX_DIMENSION"] = str(args.max_dimension)
    argv = ["worker", "--pool", "prefork", "--concurrency", str(concurrency), "--events", "--prefetch-multiplier", "1", "-O", "fair", "--loglevel", args.loglevel]
    if args.autoscale:
        argv += ["--autoscale", args.autoscale]
    argv += ["--hostname", args.hostname or "oxcook@%h"]  # Celery's own default, celery@%h, would not say whose worker it is
    stopped = serve(argv)
    if stopped.exit_code == 0:
        return EXIT_OK
    if stopped.signal:
        print(f"oxcook worker: stopped by {stopped.signal}", file=sys.stderr)
        return EXIT_CANCELLED
    # non-zero, so a supervisor's on-failure policy restarts it
    print("oxcook worker: the worker stopped on an unrecoverable error (the log above names it)", file=sys.stderr)
    return EXIT_INFRASTRUCTURE
