"""The local pool's fork server: one per coordinator process, importing only the worker package.

Pool processes fork from it ready to cook. ``oxcook cook`` starts it as
soon as it knows there is work (the build record answered the rest), before
the coordinator imports the service and its pipelines, so the two imports run
side by side on two cores instead of one after the other: the first texture
does not wait for them in turn. A cook that names a farm broker, or that has
nothing to do, does not start it.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver

# what every pool process runs, and so imports (the worker package itself binds its names on first use); never the coordinator
PRELOAD = ["oxcook.worker._pool_process"]


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
