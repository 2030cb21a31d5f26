"""Package boundaries: public names pinned, dependencies point one way."""

from __future__ import annotations

import subprocess
import sys

import pytest

import coordinator
import formats
import worker


@pytest.mark.parametrize("package", [formats, worker, coordinator])
def test_all_lists_exactly_the_public_names(package):
    public = {n for n in vars(package) if not n.startswith("_")}
    modules = {n for n, v in vars(package).items() if type(v) is type(sys)}
    assert set(package.__all__) == public - modules


@pytest.mark.parametrize(
    "package, forbidden",
    [("formats", ("worker", "coordinator", "celery", "numpy", "PIL")), ("worker", ("coordinator",))],
)
def test_dependencies_point_one_way(package, forbidden):
    code = f"import sys, {package}; print(' '.join(sorted(m for m in sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    for name in forbidden:
        assert name not in loaded, f"{package} imports {name}"
