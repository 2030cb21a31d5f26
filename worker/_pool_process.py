"""What a process of the coordinator's local pool runs: its start, and one encoded work item at a time.

These live on the worker side so that a pool process — forked from a fork
server that imported only :mod:`worker` — never imports the coordinator: the
fork server is ready in the time it takes to import the cooking stack (~0.2 s
here), not the whole coordinator (~0.4 s), and the first texture waits that
much less for its process. A pool process shares the coordinator's terminal:
what a decoder prints while it cooks becomes the texture's warning instead
(``_captured_output``), so nothing splits the progress bar.
"""

from __future__ import annotations

import os
import select
import threading
import time

from ._captured_output import run_work_noting_output
from .wire import RESULT_FOR, decode, encode


def run_in_pool_process(message: bytes, cancel_flag: str) -> bytes:
    """One encoded work item in, its encoded result out; the item is cancelled once ``cancel_flag`` exists."""
    work = decode(message, expect=tuple(RESULT_FOR))
    return encode(run_work_noting_output(work, cancel=lambda: os.path.exists(cancel_flag)))


def _exit_with(coordinator_pid: int) -> None:
    """Block until the coordinator process is gone, then end this worker at once."""
    try:
        fd = os.pidfd_open(coordinator_pid)
        select.select([fd], [], [])
    except (AttributeError, OSError):  # no pidfd here: poll instead
        while True:
            try:
                os.kill(coordinator_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
    os._exit(1)


def pool_process_init(coordinator_pid: int, memory_budget: int) -> None:
    """The pool's initializer: one encoder thread, a memory share, local files, and no life after the coordinator."""
    # one encoder thread per process: the pool already has one process per core
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # each process cooks within its share, so the pool as a whole cannot exhaust the machine
    os.environ["OXCOOK_MEMORY_BUDGET"] = str(memory_budget)
    # these workers read the files their own coordinator resolved (a farm worker names its roots)
    os.environ["OXCOOK_SOURCE_ROOTS"] = os.sep
    # a coordinator killed outright (SIGKILL, OOM) must not leave workers behind
    threading.Thread(target=_exit_with, args=(coordinator_pid,), daemon=True, name="oxcook-orphan-guard").start()
