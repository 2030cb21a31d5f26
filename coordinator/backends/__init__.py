"""Compute backends: where work items run — the local process pool or the Celery farm — behind one protocol.

``BACKENDS`` is the one table of them (a URL scheme → the class that runs its work).
``ComputeBackend``, ``open_backend``, ``LocalBackend`` and ``start_fork_server`` are bound
on first use (PEP 562): checking a broker URL loads neither backend nor the worker.
"""

from oxcook import _lazy

from ._urls import BACKENDS as BACKENDS
from ._urls import KNOWN_SCHEMES as KNOWN_SCHEMES
from ._urls import check_broker_url as check_broker_url
from ._urls import mask_url as mask_url

_LAZY = {"ComputeBackend": "._backend", "open_backend": "._backend", "LocalBackend": "._local_backend", "start_fork_server": "._fork_server"}


__getattr__, __dir__ = _lazy.lazy_names(globals(), _LAZY)


__all__ = ["BACKENDS", "KNOWN_SCHEMES", "ComputeBackend", "LocalBackend", "check_broker_url", "mask_url", "open_backend", "start_fork_server"]
