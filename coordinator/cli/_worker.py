"""``oxcook worker``: a farm worker — Celery, prefork, one process per core, events on.

Exit status: 0 after a requested (warm) stop; 2 for a bad option, an unusable broker URL or
``--broker-file``; 3 when the worker stopped on an unrecoverable error, so a
supervisor's on-failure policy restarts it; 130 when Ctrl-C (SIGINT) or a cold-shutdown signal ended it.
"""

from __future__ import annotations

import argparse
import os
import sys

import click

from .._config import Config
from .._errors import EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE, ConfigError
from ._broker import broker_options, broker_url
from ._params import PATH, POSITIVE_INT, Command, Option, Size

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "FATAL")  # the levels Celery's --loglevel accepts


def command() -> Command:
    """``oxcook worker``: every option checked as it is parsed, so a typo never reaches Celery."""
    return Command(
        "worker",
        run,
        short_help="run a farm worker (Celery, fed through Redis)",
        help="Run a Celery worker that cooks textures for 'oxcook cook --broker URL'.",
        params=[
            *broker_options("broker URL (default: $OXCOOK_BROKER_URL, else redis://127.0.0.1:6379/0)"),
            Option("--concurrency", type=POSITIVE_INT, metavar="N", help="worker processes (default: one per core)"),
            Option(
                "--autoscale",
                metavar="MAX,MIN",
                type=Autoscale(),
                help="grow to MAX processes while tasks wait and shrink to MIN when idle (Celery's autoscaler; replaces --concurrency). "
                "Each process takes one task at a time and acknowledges it when done (late acks, prefetch 1), so a long texture "
                "never holds a second one back and a process lost mid-task gives its task back to the queue",
            ),
            Option("--hostname", metavar="NAME", help="Celery node name (default: oxcook@host)"),
            Option("--memory-budget", type=Size(), metavar="SIZE", help="memory each worker process may use for one texture (default: its share of three quarters of this machine)"),
            Option(
                "--source-root",
                multiple=True,
                type=PATH,
                metavar="DIR",
                help="with --shared-storage cooks: a folder this worker may read sources from (repeatable; default $OXCOOK_SOURCE_ROOTS, else none)",
            ),
            Option("--max-dimension", type=POSITIVE_INT, metavar="N", help="the largest image edge this worker decodes (a work item may ask for less, never more)"),
            Option(
                "--publish-shared-cache",
                is_flag=True,
                help="write what this worker cooks to its shared cook-cache tier ($OXCOOK_SHARED_CACHE) itself "
                "(default: $OXCOOK_WORKER_PUBLISHES_CACHE=1, else only coordinators publish the results they accepted)",
            ),
            Option("--loglevel", type=click.Choice(LOG_LEVELS, case_sensitive=False), default="INFO", help="Celery's log level (default: INFO)"),
        ],
    )


class Autoscale(click.ParamType):
    """``MAX,MIN`` (MIN defaults to 0), checked here so a typo is a usage error, not a worker that never starts."""

    name = "autoscale"

    def convert(self, value, param, ctx):
        most, _, least = value.partition(",")
        try:
            high, low = int(most), int(least or 0)
        except ValueError:
            self.fail(f"{value!r} is not MAX,MIN", param, ctx)
        if high < 1 or not 0 <= low <= high:
            self.fail(f"{value!r}: expected 1 <= MAX and 0 <= MIN <= MAX", param, ctx)
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
