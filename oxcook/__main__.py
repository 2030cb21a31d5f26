"""``python -m oxcook``: the ``oxcook`` command line."""

import sys

from oxcook.coordinator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
