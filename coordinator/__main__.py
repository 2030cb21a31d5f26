"""``python -m coordinator`` and the ``oxcook`` console script."""

from __future__ import annotations

import sys

from coordinator.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
