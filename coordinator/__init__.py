"""Everything that owns state or output: the cooked-root writer, inspection, the CLI.

Depends on ``formats`` and ``worker``; nothing depends on it.
"""

from ._cooked_root import CookedRootFiles as CookedRootFiles
from ._cooked_root import PathEscapesRoot as PathEscapesRoot
from ._cooked_root import confined as confined
from ._inspect import inspect_root as inspect_root
from ._inspect import summary_dict as summary_dict

__all__ = [
    "CookedRootFiles",
    "PathEscapesRoot",
    "confined",
    "inspect_root",
    "summary_dict",
]
