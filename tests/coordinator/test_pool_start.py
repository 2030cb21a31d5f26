"""The local pool's processes start ready to cook and never import the coordinator."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from coordinator._fork_server import PRELOAD, pool_context

_PROBE = "sorted(m for m in __import__('sys').modules if m.split('.')[0] in ('coordinator', 'worker', 'celery'))"


def test_a_pool_process_has_the_worker_and_nothing_of_the_coordinator():
    with ProcessPoolExecutor(max_workers=1, mp_context=pool_context()) as pool:
        loaded = pool.submit(eval, _PROBE).result(timeout=60)
    assert PRELOAD == ["worker"]
    assert "worker" in loaded and "worker._bcn" in loaded  # preloaded: the first texture imports nothing
    assert not [m for m in loaded if not m.startswith("worker")]  # no coordinator, no celery


def test_python_m_coordinator_cook_starts_the_fork_server_before_importing_the_coordinator():
    """The fork server must already be importing the worker while this process imports the CLI."""
    code = (
        "import sys, multiprocessing.forkserver as fs, coordinator.__main__ as m\n"
        "sys.argv = ['oxcook', 'cook', '--help']\n"
        "seen = []\n"
        "real = fs.ensure_running\n"
        "fs.ensure_running = lambda: (seen.append('coordinator.cli' in sys.modules), real())\n"
        "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
        "print(seen)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[False]", out.stderr


def test_only_a_local_cook_starts_the_fork_server_early():
    from coordinator.__main__ import _cooks_locally

    assert _cooks_locally(["cook", "src", "-o", "out"], {})
    assert _cooks_locally(["cook", "src", "--broker", "local"], {})
    assert not _cooks_locally(["cook", "src", "--broker", "redis://h:6379/0"], {})
    assert not _cooks_locally(["cook", "src", "--broker=redis://h:6379/0"], {})
    assert not _cooks_locally(["cook", "src"], {"OXCOOK_BROKER_URL": "redis://h:6379/0"})
    assert _cooks_locally(["cook", "src", "--broker", "local"], {"OXCOOK_BROKER_URL": "redis://h:6379/0"})
    assert not _cooks_locally(["worker"], {}) and not _cooks_locally(["inspect", "root"], {})
