"""``python -m coordinator`` and the ``oxcook`` console script."""

from __future__ import annotations

import os
import sys

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


def main() -> int:
    """Run the command line; a local cook first starts the pool's fork server, so it imports the
    cooking stack while this process imports the coordinator (``coordinator._fork_server``)."""
    if _cooks_locally(sys.argv[1:], os.environ):
        from coordinator._fork_server import start_fork_server

        start_fork_server()
    from coordinator.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
