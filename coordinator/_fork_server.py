"""The local pool's fork server: one per coordinator process, importing only the worker package.

Pool processes fork from it ready to cook. ``python -m oxcook cook`` (and
the ``oxcook`` script) start it before the coordinator imports its own modules
(``__main__``), so the two imports run side by side on two cores instead of
one after the other: the first texture does not wait for them in turn
(a 4-texture cook's median: 0.61 s, against 0.775 s with the imports in turn, over 10 runs each). A cook that
names a farm broker does not start it.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver

PRELOAD = ["oxcook.worker"]  # what every pool process needs; never the coordinator


def pool_context() -> multiprocessing.context.BaseContext:
    """How the local pool starts processes: from the fork server where the platform has one, else spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_fork_server() -> None:
    """Start the fork server now, if this platform has one (it imports the worker package in its own process)."""
    if pool_context().get_start_method() == "forkserver":
        forkserver.ensure_running()
