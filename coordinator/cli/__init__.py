"""The ``oxcook`` command line: ``cook``, ``worker``, ``repair``, ``compact``, ``inspect`` and ``cache``, one module each (``_main.COMMANDS``)."""

from ._main import main as main

__all__ = ["main"]
