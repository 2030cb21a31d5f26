"""``python -m oxcook`` and the ``oxcook`` console script."""

from __future__ import annotations

import atexit
import os
import sys
import threading

__all__ = ["main"]


def _cooks_locally(argv: list[str], environ) -> bool:
    """Whether this command line is a cook on the local pool (a guess from the raw arguments, made before
    any import; a wrong guess costs one idle process or the fork server's import on the first texture)."""
    if argv[:1] != ["cook"]:
        return False
    broker = environ.get("OXCOOK_BROKER_URL")
    for i, arg in enumerate(argv):
        if arg == "--broker" and i + 1 < len(argv):
            broker = argv[i + 1]
        elif arg.startswith("--broker="):
            broker = arg.split("=", 1)[1]
    return not broker or broker.lower().startswith("local")


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
    """Run the command line; a local cook first starts the pool's fork server, so it imports the
    cooking stack while this process imports the coordinator (``coordinator._fork_server``)."""
    if _cooks_locally(sys.argv[1:], os.environ):
        from oxcook.coordinator._fork_server import start_fork_server

        start_fork_server()
    from oxcook.coordinator.cli import main as cli_main

    code = cli_main()
    _leave(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
