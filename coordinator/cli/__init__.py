"""The ``oxcook`` command line: ``cook``, ``worker``, ``repair`` and ``inspect``, one module each."""

from ._main import main as main

__all__ = ["main"]
