"""Benchmarks time oxcook as ``pip install .`` leaves it: every module byte-compiled; and in
alternating rounds, so the machine's slow spells hit every side alike.

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


def compile_sources(root: Path = REPO) -> None:
    """Byte-compile oxcook's packages in the checkout at ``root``, as a non-editable install does."""
    for package in ("oxcook", "formats", "worker", "coordinator"):
        compileall.compile_dir(root / package, quiet=1)


def alternating(repeat: int, *sides) -> list[list]:
    """Run each of ``sides`` (a callable taking the round number) once a round for ``repeat`` rounds,
    in reverse order every other round; each side's results in round order."""
    results: list[list] = [[] for _ in sides]
    for r in range(repeat):
        for k in range(len(sides)) if r % 2 == 0 else reversed(range(len(sides))):
            results[k].append(sides[k](r))
    return results
