"""Shared test configuration.

* ``SHARED_ASSETS``: the real test assets beside the repository (``../shared/assets``),
  or ``OXCOOK_SHARED_ASSETS``.
* The cook cache is off (``OXCOOK_NO_CACHE``) unless a test passes ``--cache DIR``.
* Under ``CI=true`` a skipped test fails instead: CI must run everything, so a
  missing service or tool is an error there, not a quiet skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Tests measure real cooking: the cook cache stays off unless a test turns it on with --cache DIR.
os.environ["OXCOOK_NO_CACHE"] = "1"
SHARED_ASSETS = Path(os.environ.get("OXCOOK_SHARED_ASSETS", REPO.parent / "shared" / "assets"))


@pytest.fixture(scope="session")
def shared_assets() -> Path:
    if not SHARED_ASSETS.is_dir():
        pytest.skip(f"shared test assets not found at {SHARED_ASSETS}")
    return SHARED_ASSETS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {report.longrepr}"
