"""The local pool's processes start ready to cook and never import the coordinator."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from oxcook.coordinator._fork_server import PRELOAD, pool_context

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
        "real = fs.ensure_running\n"
        "fs.ensure_running = lambda: (print('cli imported first:', 'coordinator.cli' in sys.modules, flush=True), real())\n"
        "m.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines()[0] == "cli imported first: False", out.stderr


def test_only_a_local_cook_starts_the_fork_server_early():
    from oxcook.coordinator.__main__ import _cooks_locally

    assert _cooks_locally(["cook", "src", "-o", "out"], {})
    assert _cooks_locally(["cook", "src", "--broker", "local"], {})
    assert not _cooks_locally(["cook", "src", "--broker", "redis://h:6379/0"], {})
    assert not _cooks_locally(["cook", "src", "--broker=redis://h:6379/0"], {})
    assert not _cooks_locally(["cook", "src"], {"OXCOOK_BROKER_URL": "redis://h:6379/0"})
    assert _cooks_locally(["cook", "src", "--broker", "local"], {"OXCOOK_BROKER_URL": "redis://h:6379/0"})
    assert not _cooks_locally(["worker"], {}) and not _cooks_locally(["inspect", "root"], {})


_LEAVE = (
    "import atexit, sys, threading, time\n"
    "from oxcook.coordinator.__main__ import _leave\n"
    "atexit.register(lambda: print('exit handler ran', flush=True))\n"
    "sys.stdout.write('buffered, no newline')\n"
    "if sys.argv[1] == 'thread':\n"
    "    threading.Thread(target=time.sleep, args=(0.5,)).start()\n"
    "_leave(3)\n"
    "print(' | still here')\n"
    "sys.exit(4)\n"
)


def test_a_finished_command_leaves_at_once_with_its_output_exit_handlers_and_code():
    out = subprocess.run([sys.executable, "-c", _LEAVE, "alone"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stderr
    assert out.stdout == "buffered, no newlineexit handler ran\n"


def test_a_command_with_a_thread_still_running_ends_the_ordinary_way():
    out = subprocess.run([sys.executable, "-c", _LEAVE, "thread"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 4, out.stderr
    assert out.stdout == "buffered, no newline | still here\nexit handler ran\n"
