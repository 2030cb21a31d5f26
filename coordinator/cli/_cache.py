"""``oxcook cache stats|prune|clear``: look after the local cook cache."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from oxcook.worker import FolderTier

from .._errors import EXIT_OK
from ..cache import DEFAULT_MAX_BYTES, default_cache_dir
from ._cook import memory_size


def add_arguments(sub) -> None:
    p = sub.add_parser("cache", help="show, prune or clear the local cook cache", description="Look after the local cook cache.")
    p.add_argument("action", choices=("stats", "prune", "clear"), help="stats: size and entries; prune: to --max-size, least recently used first; clear: everything")
    p.add_argument("--cache", type=Path, metavar="DIR", help="the cache folder (default: $OXCOOK_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/oxcook)")
    p.add_argument("--max-size", type=memory_size, default=DEFAULT_MAX_BYTES, metavar="SIZE", help="with prune: the size to keep (default 10G)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = args.cache or default_cache_dir()
    tier = FolderTier(root)
    if args.action == "prune":
        removed, freed = tier.prune(args.max_size)
        print(f"oxcook cache: {root}: removed {removed} entries ({freed / 2**20:.1f} MiB)")
    elif args.action == "clear":
        print(f"oxcook cache: {root}: removed {tier.clear()} entries")
    stats = tier.stats()
    oldest = datetime.datetime.fromtimestamp(stats.oldest).isoformat(timespec="seconds") if stats.oldest else "-"
    print(f"oxcook cache: {root}: {stats.entries} entries, {stats.bytes / 2**20:.1f} MiB, least recently used {oldest}")
    return EXIT_OK
