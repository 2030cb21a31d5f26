"""Compute backends: where work items run — the local process pool or the Celery farm — behind one protocol.

``ComputeBackend``, ``open_backend`` and ``LocalBackend`` are bound on first use
(PEP 562): checking a broker URL loads neither backend nor the worker.
"""

import importlib

from ._urls import KNOWN_SCHEMES as KNOWN_SCHEMES
from ._urls import check_broker_url as check_broker_url
from ._urls import mask_url as mask_url

_LAZY = {"ComputeBackend": "._backend", "open_backend": "._backend", "LocalBackend": "._local_backend"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["KNOWN_SCHEMES", "ComputeBackend", "LocalBackend", "check_broker_url", "mask_url", "open_backend"]
