"""``python -m oxcook`` and the ``oxcook`` console script."""

from __future__ import annotations

import atexit
import os
import sys
import threading

__all__ = ["main"]


def _leave(code: int) -> None:
    """End the process with ``code`` now that the command is done, as a normal exit would — standard
    streams flushed, exit handlers run — but without the interpreter's teardown of every module and
    object (~150 ms after a cook, paid by every build step that waits for oxcook). Nothing is lost by
    it: oxcook makes what it writes durable before a command returns (a cooked root survives SIGKILL
    at any point: the crash tests). Returns, for the ordinary exit, while another thread still runs."""
    if threading.active_count() > 1:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: as the ordinary exit would, go on
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def main() -> int:
    """Run the command line (a local cook with work starts the pool's fork server itself, once the
    root's build record has shown there is work: ``cli._cook``)."""
    from oxcook.coordinator.cli import main as cli_main

    code = cli_main()
    _leave(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
