"""Benchmarks time oxcook as ``pip install .`` leaves it: every module byte-compiled.

The test set-up installs oxcook editable, which compiles nothing, and where
``PYTHONDONTWRITEBYTECODE`` is set (as on the machine these numbers come from)
Python then compiles the coordinator, worker and formats from source at every
start: ~0.2 s that no installed copy pays, while the libraries a hand-rolled
script imports come compiled. Benchmarks that run the command line call
:func:`compile_sources` first (``compileall`` writes the ``__pycache__`` files
whatever that variable says).
"""

from __future__ import annotations

import compileall
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def compile_sources() -> None:
    """Byte-compile oxcook's packages in this checkout, as a non-editable install does."""
    for package in ("formats", "worker", "coordinator"):
        compileall.compile_dir(REPO / package, quiet=1)
