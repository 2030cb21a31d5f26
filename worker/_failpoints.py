"""The one testing seam: named crash points for the crash-safety and poison-input tests.

Production code marks the exact steps whose interruption must be survivable
(``failpoint("data-written")``, ``failpoint("before-index-rename")``, …) and
knows nothing else of testing. ``OXCOOK_FAILPOINT=<name>[:<n>]``, read once
when a process starts, arms one of them: that process then kills itself with
SIGKILL the ``n``-th time (default first) it reaches the point — a real,
unclean death at an exact step, so the tests can check that repair restores the
previous container. Unarmed, ``failpoint`` is a function that returns at once.
"""

from __future__ import annotations

import os
import signal


def _armed(spec: str):
    target, _, nth = spec.rpartition(":")
    if not nth.isdigit():
        target, nth = spec, "1"
    remaining = [int(nth or 1)]

    def failpoint(name: str) -> None:
        if name != target:
            return
        remaining[0] -= 1
        if remaining[0] <= 0:
            os.kill(os.getpid(), signal.SIGKILL)

    return failpoint


def _unarmed(name: str) -> None:
    return None


failpoint = _armed(os.environ["OXCOOK_FAILPOINT"]) if os.environ.get("OXCOOK_FAILPOINT") else _unarmed
