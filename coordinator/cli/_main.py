"""The ``oxcook`` command line: one parser, a module per command, exit codes from ``_errors``.

Each command module adds its sub-parser (``add_arguments``) and runs it
(``run(args) -> exit code``); errors become one line on stderr naming the file
and the problem, and a documented exit code — never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from .._errors import EXIT_BROKEN_PIPE, EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_USAGE
from . import _cache, _compact, _cook, _inspect, _repair, _worker
from ._report import versions
from .._sinks import terminal

COMMANDS = (_cook, _worker, _repair, _compact, _inspect, _cache)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oxcook", description="Cook textures and scenes into the Oxygen Engine's loose cooked container.")
    v = versions()
    parser.add_argument("--version", action="version", version=f"oxcook {v['oxcook']} (encoder {v['encoder']})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one oxcook command; returns its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    try:
        code = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader of our output went away: say nothing more (not even at interpreter exit)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"\noxcook {args.command}: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except OSError as exc:  # an unreadable input folder, a full disk outside a cook's own handling
        print(terminal(f"oxcook {args.command}: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}"), file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    except Exception as exc:  # a bug: one line, never a traceback (OXCOOK_DEBUG=1 shows it)
        if os.environ.get("OXCOOK_DEBUG"):
            raise
        print(terminal(f"oxcook {args.command}: internal error ({type(exc).__name__}: {exc}); set OXCOOK_DEBUG=1 for the traceback"), file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    return code
