"""oxcook: a distributed texture and asset cooker for the Oxygen Engine's loose cooked container.

One import package, three layers, dependencies pointing one way:

* ``oxcook.formats`` — the container's byte layouts (pack, unpack, validate); pure;
* ``oxcook.worker`` — pure compute that runs on any machine (decode, mips, BC7, meshes),
  the wire between coordinator and workers, the Celery app;
* ``oxcook.coordinator`` — everything that owns state or output: the import service,
  importers, pipelines, backends, the session and writer, the cache, the CLI.

In the repository the three live at the top level (``formats/``, ``worker/``,
``coordinator/``); ``pyproject.toml`` installs them under this package.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Run from a checkout's root, this folder shadows an installed oxcook (the current folder comes first on
# sys.path, for the pool's processes too): its subpackages are then the folders beside it, as the install maps them.
_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "coordinator" / "__init__.py").is_file():
    __path__.append(str(_checkout))

try:
    __version__ = version("oxcook")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
