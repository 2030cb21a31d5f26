"""``python -m coordinator`` and the ``oxcook`` console script."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    """Run the command line; a ``cook`` first starts the local pool's fork server, so it imports the
    cooking stack while this process imports the coordinator (``coordinator._fork_server``)."""
    if sys.argv[1:2] == ["cook"]:
        from coordinator._fork_server import start_fork_server

        start_fork_server()
    from coordinator.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
