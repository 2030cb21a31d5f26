"""``oxcook cache stats|prune|clear|verify``: look after the local cook cache, and audit a tier.

``verify`` cooks a share of a tier's entries again here (chosen by key, so the
same ones every run) and compares the bytes: it prints each entry that differs
with who cooked it and discards it, lists each entry it could not cook again
and why, and exits 1 if any differed (0 otherwise; 2 for a bad option).
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

import click

from oxcook.worker.cache import FolderTier, UnusableEntry, open_shared_tier

from .._errors import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError
from .._sampling import sampled
from ..backends import check_broker_url, mask_url
from ..cache import DEFAULT_MAX_BYTES, default_cache_dir
from ._params import FRACTION, PATH, Argument, Command, Option, Size
from . import _log


def command() -> Command:
    return Command(
        "cache",
        run,
        short_help="show, prune, clear or audit the cook cache",
        help="Look after the local cook cache; audit a tier.",
        params=[
            Argument(
                "action",
                description="stats: size and entries; prune: to --max-size, least recently used first; clear: everything; "
                "verify: cook a share of a tier's entries again and discard those that differ (exit 1 if any)",
                type=click.Choice(("stats", "prune", "clear", "verify")),
                metavar="ACTION",
            ),
            Option("--cache", type=PATH, metavar="DIR", help="the cache folder (default: $OXCOOK_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/oxcook)"),
            Option("--max-size", type=Size(), default=DEFAULT_MAX_BYTES, metavar="SIZE", help="with prune: the size to keep (default 10G)"),
            Option("--fraction", type=FRACTION, default=1.0, metavar="F", help="with verify: the share of entries cooked again, chosen by key (default 1: all)"),
            Option("--tier", type=click.Choice(("local", "shared")), default="local", help="with verify: the tier audited (default local)"),
            Option("--shared-cache", metavar="URL", help="with verify --tier shared: redis://host:port/db or a folder (default: $OXCOOK_SHARED_CACHE)"),
        ],
    )


def run(args: argparse.Namespace) -> int:
    _log.configure()
    root = args.cache or default_cache_dir()
    if args.action == "verify":
        return _verify(args, root)
    tier = FolderTier(root)
    if args.action == "prune":
        removed, freed = tier.prune(args.max_size, listing=True)
        print(f"oxcook cache: {root}: removed {removed} entries ({freed / 2**20:.1f} MiB)")
    elif args.action == "clear":
        print(f"oxcook cache: {root}: removed {tier.clear()} entries")
    stats = tier.stats()
    oldest = datetime.datetime.fromtimestamp(stats.oldest).isoformat(timespec="seconds") if stats.oldest else "-"
    print(f"oxcook cache: {root}: {stats.entries} entries, {stats.bytes / 2**20:.1f} MiB, least recently used {oldest}")
    return EXIT_OK


def _tier(args: argparse.Namespace, root: Path):
    """The tier ``--tier`` names, and how to show it. Raises ConfigError when a shared tier is asked for and none is named."""
    if args.tier == "local":
        return FolderTier(root), str(root)
    spec = args.shared_cache or os.environ.get("OXCOOK_SHARED_CACHE")
    if not spec:
        raise ConfigError("--tier shared needs --shared-cache URL or $OXCOOK_SHARED_CACHE")
    if spec.split(":", 1)[0].lower() in ("redis", "rediss"):
        check_broker_url(spec)
    return open_shared_tier(spec), mask_url(spec)


def _verify(args: argparse.Namespace, root: Path) -> int:
    from ..cache import CORRUPT, MATCH, MISMATCH, UNAUDITED, audit_entry  # the cooking stack: only for an audit

    try:
        tier, where = _tier(args, root)
    except ConfigError as exc:
        return _log.fail(f"oxcook cache verify: {exc.message}", EXIT_USAGE)
    keys = tier.keys()
    chosen = [k for k in keys if sampled(args.fraction, k)]
    counts = {MATCH: 0, MISMATCH: 0, UNAUDITED: 0, CORRUPT: 0}
    for key in chosen:
        try:
            data = tier.get(key)
        except UnusableEntry as exc:
            print(f"oxcook cache verify: {where}: not audited {key}: {exc.problem}")
            counts[UNAUDITED] += 1
            continue
        if data is None:
            continue  # pruned or evicted since it was listed
        found = audit_entry(key, data)
        counts[found.outcome] += 1
        if found.outcome == MISMATCH:
            tier.discard(key)
            print(f"oxcook cache verify: {where}: mismatch {key} cooked by {found.cooked_by}: {found.source_id} differs from a cook here; discarded")
        elif found.outcome == CORRUPT:
            tier.discard(key)
            print(f"oxcook cache verify: {where}: corrupt {key}: {found.reason}; discarded")
        elif found.outcome != MATCH:
            print(f"oxcook cache verify: {where}: not audited {key} ({found.source_id}, cooked by {found.cooked_by}): {found.reason}")
    audited = counts[MATCH] + counts[MISMATCH]
    print(
        f"oxcook cache verify: {where} ({args.tier}): {len(keys)} entries, {len(chosen)} chosen, {audited} audited, "
        f"{counts[MISMATCH]} mismatches (discarded), {counts[UNAUDITED]} not audited, {counts[CORRUPT]} corrupt (discarded)"
    )
    return EXIT_INPUT_FAILED if counts[MISMATCH] else EXIT_OK
