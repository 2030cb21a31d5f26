"""Checks on the paths a cook will write, made before any work starts (each failure is a ``ConfigError``, exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

from oxcook.formats import INDEX_FILE_NAME

from .._errors import ConfigError

_STATE_DIR = ".oxcook"


def _is_root(folder: Path) -> bool:
    return (folder / INDEX_FILE_NAME).is_file() or (folder / _STATE_DIR).is_dir()


def check_output(output: Path, *, force: bool) -> None:
    """``-o`` must be a cooked root, an empty or new folder — or ``force`` says otherwise.

    Raises:
        ConfigError: ``output`` is a file; a non-empty folder that is not a
            cooked root; or a folder inside another cooked root.
    """
    if output.exists() and not output.is_dir():
        raise ConfigError(f"-o {output}: is a file; give the folder of a cooked root (new or existing)")
    if not force and output.is_dir() and not _is_root(output) and any(output.iterdir()):
        raise ConfigError(f"-o {output}: a non-empty folder that is not a cooked root (no {INDEX_FILE_NAME}); cook into a new folder, or give --force")
    if not force:
        for parent in output.absolute().parents:
            if _is_root(parent):
                raise ConfigError(f"-o {output}: lies inside the cooked root {parent}; cook into a folder of its own, or give --force")


def check_report_path(report: Path) -> None:
    """``--report`` must name a file that can be written.

    Raises:
        ConfigError: its folder does not exist or is not writable, or it is a folder.
    """
    folder = report.absolute().parent
    if report.is_dir():
        raise ConfigError(f"--report {report}: is a folder; give a file name")
    if not folder.is_dir():
        raise ConfigError(f"--report {report}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (report.exists() and not os.access(report, os.W_OK)):
        raise ConfigError(f"--report {report}: not writable")
