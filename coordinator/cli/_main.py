"""The ``oxcook`` command line: one click group, a module per command, exit codes from ``_errors``.

Each command module declares its click command (``command()``, built from ``_params``) and runs it
(``run(args) -> exit code``). Click only parses: a misspelt option or command is named with what it
may have meant (click's own suggestion, click-didyoumean's for commands), and every usage error is
exit 2 with the command's usage. ``main`` then runs the command; its errors become one line on
stderr naming the file and the problem, and a documented exit code — never a traceback.
Shell completion is click's: ``_OXCOOK_COMPLETE=bash_source oxcook`` prints the bash script.
"""

from __future__ import annotations

import argparse
import os
import sys

import click
from click_didyoumean import DYMGroup

from .._errors import EXIT_BROKEN_PIPE, EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_USAGE
from . import _cache, _compact, _cook, _inspect, _log, _repair, _worker
from ._report import versions

COMMANDS = (_cook, _worker, _repair, _compact, _inspect, _cache)


class _Group(DYMGroup):
    """Lists its commands in the order they were added (the order of ``COMMANDS``), not sorted."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        v = versions()
        click.echo(f"oxcook {v['oxcook']} (encoder {v['encoder']})")
        ctx.exit()


def build_cli() -> click.Group:
    group = _Group(
        "oxcook",
        help="Cook textures and scenes into the Oxygen Engine's loose cooked container.",
        context_settings={"help_option_names": ["-h", "--help"]},
        no_args_is_help=False,  # no command is a usage error (exit 2), as every click version treats it
        params=[click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True, callback=_print_version, help="print oxcook's and the encoder's versions and exit")],
    )
    for command in COMMANDS:
        group.add_command(command.command())
    return group


def _parse(argv: list[str] | None) -> argparse.Namespace | int:
    """The chosen command's Namespace, or the exit code of what ended here (help, version, a usage error)."""
    try:
        return build_cli().main(args=argv, prog_name="oxcook", standalone_mode=False)
    except click.ClickException as exc:  # a usage error: the command's usage and one line naming the problem
        exc.show()
        return EXIT_USAGE
    except click.Abort:
        print("oxcook: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except SystemExit as exc:  # click ends shell completion (and help into a closed pipe) itself
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run one oxcook command; returns its exit code."""
    args = _parse(argv)
    if not isinstance(args, argparse.Namespace):
        return args
    try:
        code = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader of our output went away: say nothing more (not even at interpreter exit)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return _log.fail(f"oxcook {args.command}: interrupted", EXIT_CANCELLED)
    except OSError as exc:  # an unreadable input folder, a full disk outside a cook's own handling
        where = f"{exc.filename}: " if exc.filename else ""
        return _log.fail(f"oxcook {args.command}: {where}{exc.strerror or exc}", EXIT_INFRASTRUCTURE)
    except Exception as exc:  # a bug: one line, never a traceback (OXCOOK_DEBUG=1 shows it)
        if os.environ.get("OXCOOK_DEBUG"):
            raise
        return _log.fail(f"oxcook {args.command}: internal error ({type(exc).__name__}: {exc}); set OXCOOK_DEBUG=1 for the traceback", EXIT_INFRASTRUCTURE)
    return code
