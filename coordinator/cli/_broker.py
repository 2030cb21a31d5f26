"""Where ``oxcook cook`` and ``oxcook worker`` take the broker URL from.

``--broker URL``, else ``--broker-file PATH`` (a file holding the URL), else
``$OXCOOK_BROKER_URL``. A command line is readable by every user of the
machine (``ps``, ``/proc/<pid>/cmdline``) for as long as the process runs, and
nothing the process does afterwards hides it; a process's environment and a
file only its owner reads are not. So a password given with ``--broker`` earns
a warning, and no message ever repeats it.
"""

from __future__ import annotations

import argparse
import logging
import os
import urllib.parse
from pathlib import Path

from .._errors import ConfigError
from ..backends import check_broker_url
from ._params import PATH, Option
from . import _log

PASSWORD_WARNING = (
    "warning: the broker URL given with --broker holds a password, which other users of this machine can read in the "
    "process list while this command runs; pass it in $OXCOOK_BROKER_URL or in a file named by --broker-file instead"
)


def broker_options(url_help: str) -> list[Option]:
    """``--broker URL`` and ``--broker-file PATH``, one or the other."""
    return [
        Option("--broker", exclusive="broker", metavar="URL", help=url_help),
        Option(
            "--broker-file",
            exclusive="broker",
            type=PATH,
            metavar="PATH",
            help="a file holding the broker URL, one line: keeps a password out of the process list (as $OXCOOK_BROKER_URL does)",
        ),
    ]


def broker_url(args: argparse.Namespace, command: str) -> str | None:
    """The broker URL the command line or the environment names (``None``: none), checked.

    Logs a warning when ``--broker`` carries a password.

    Raises:
        ConfigError: the file cannot be read or holds no single URL, or the URL is not one the farm can use
            (messages name the file, never a password).
    """
    if args.broker:
        if _has_password(args.broker):
            _log.emit("warning", f"oxcook {command}: {PASSWORD_WARNING}", level=logging.WARNING, code="broker-password-on-command-line")
        check_broker_url(args.broker)
        return args.broker
    if args.broker_file is not None:
        url = _read_url_file(args.broker_file)
        try:
            check_broker_url(url)
        except ConfigError as exc:
            raise ConfigError(f"--broker-file {args.broker_file}: {exc.message}") from None
        return url
    url = os.environ.get("OXCOOK_BROKER_URL")
    if url:
        check_broker_url(url)
    return url or None


def _read_url_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--broker-file {path}: {getattr(exc, 'strerror', None) or 'not a UTF-8 text file'}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ConfigError(f"--broker-file {path}: holds no broker URL")
    if len(lines) > 1:
        raise ConfigError(f"--broker-file {path}: holds more than one line; expected one broker URL")
    return lines[0]


def _has_password(url: str) -> bool:
    try:
        return bool(urllib.parse.urlsplit(url).password)
    except ValueError:  # not a URL at all: check_broker_url says why
        return False
