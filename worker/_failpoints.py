"""Named crash points, for the crash-safety and poison-input tests.

``OXCOOK_FAILPOINT=<name>[:<n>]`` makes the process kill itself with SIGKILL
the ``n``-th time (default first) it reaches ``failpoint(<name>)`` — a real,
unclean death at an exact step of a cook, so the tests can check that repair
restores the previous container. Unset, a failpoint costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

_seen: dict[str, int] = {}


def failpoint(name: str) -> None:
    spec = os.environ.get("OXCOOK_FAILPOINT")
    if not spec:
        return
    target, _, nth = spec.rpartition(":")
    if not nth.isdigit():
        target, nth = spec, "1"
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
