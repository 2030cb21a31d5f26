"""A package's public names, bound on first use (PEP 562).

Importing a package that uses this costs nothing until one of its names is asked
for, so a process that needs only a few light names (the coordinator deciding that
nothing changed) never loads numpy, Pillow, the encoder or Celery.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping


def lazy_names(namespace: MutableMapping[str, object], exports: dict[str, str | tuple[str, str]]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package whose ``globals()`` is ``namespace``.

    ``exports`` maps each public name to the module that defines it (relative to the
    package), or to ``(module, name inside it)`` when the two names differ.
    """
    package = str(namespace["__name__"])

    def __getattr__(name: str) -> object:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = where if isinstance(where, tuple) else (where, name)
        value = getattr(importlib.import_module(module, package), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
