"""The local pool's processes start ready to cook and never import the coordinator; a farm cook never imports the cooker."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from oxcook.coordinator.backends._fork_server import PRELOAD, pool_context
from tests.farm_fixtures import REPO, CeleryWorker, RedisServer

_PROBE = "sorted(m for m in __import__('sys').modules if m.startswith(('oxcook.coordinator', 'oxcook.worker', 'celery')))"


def test_a_pool_process_has_the_worker_and_nothing_of_the_coordinator():
    with ProcessPoolExecutor(max_workers=1, mp_context=pool_context()) as pool:
        loaded = pool.submit(eval, _PROBE).result(timeout=60)
    assert PRELOAD == ["oxcook.worker._pool_process"]
    assert "oxcook.worker" in loaded and "oxcook.worker.cook._bcn" in loaded  # preloaded: the first texture imports nothing
    assert not [m for m in loaded if not m.startswith("oxcook.worker")]  # no coordinator, no celery


def test_a_cook_with_work_starts_the_fork_server_before_importing_the_service(tmp_path):
    """The fork server must already be importing the worker while this process imports the service."""
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "a_albedo.png")
    code = (
        "import sys, multiprocessing.forkserver as fs, oxcook.coordinator.__main__ as m\n"
        f"sys.argv = ['oxcook', 'cook', {str(tmp_path)!r}, '-o', {str(tmp_path / 'out')!r}, '--progress', 'none']\n"
        "real = fs.ensure_running\n"
        "fs.ensure_running = lambda: (print('service imported first:', 'oxcook.coordinator._service' in sys.modules, flush=True), real())\n"
        "m.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[0] == "service imported first: False", out.stderr


def test_a_farm_cook_does_not_start_the_fork_server(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "a_albedo.png")
    code = (
        "import sys, multiprocessing.forkserver as fs, oxcook.coordinator.__main__ as m\n"
        f"sys.argv = ['oxcook', 'cook', {str(tmp_path)!r}, '-o', {str(tmp_path / 'out')!r}, '--broker', 'redis://127.0.0.1:1/0', '--stall-timeout', '1']\n"
        "fs.ensure_running = lambda: print('fork server started', flush=True)\n"
        "m.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "fork server started" not in out.stdout, out.stderr


# what only cooking needs (decoders, the encoder, numpy's arrays): the coordinator of a farm cook leaves them to the workers
_COOKER = ("PIL", "oxcook.worker._tasks", "oxcook.worker._captured_output", "oxcook.worker.cook._stages", "oxcook.worker.cook._imaging")


def test_a_farm_cook_imports_nothing_of_the_cooker(tmp_path):
    from PIL import Image

    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        Image.new("RGB", (32, 32), (i * 80, 40, 200)).save(src / f"t{i}_albedo.png")
    server = RedisServer(tmp_path)
    worker = CeleryWorker(server.url, "imports", tmp_path / "worker.log")
    try:
        code = (
            "import atexit, sys, oxcook.coordinator.__main__ as m\n"
            f"atexit.register(lambda: print('cooker:', sorted(set({_COOKER!r}) & set(sys.modules)), flush=True))\n"
            f"sys.argv = ['oxcook', 'cook', {str(src)!r}, '-o', {str(tmp_path / 'out')!r}, '--progress', 'none', '--broker', {server.url!r}]\n"
            "m.main()\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    finally:
        worker.stop()
        server.stop()
    assert out.returncode == 0, out.stderr
    assert "3/3 textures cooked" in out.stderr + out.stdout
    assert "cooker: []" in out.stdout.splitlines(), out.stdout


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
