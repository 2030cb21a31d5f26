"""Run an oxcook command that kills itself with SIGKILL right after its k-th file-system step inside one folder.

A test harness, never imported by oxcook: ``python -m tests.step_killer K FOLDER ARGS...`` runs
``oxcook ARGS...`` with the steps that change what a later reader of FOLDER can see counted —
a file opened for writing or created, a write, a truncation, an fsync, a rename, an unlink, a
folder made or removed — and dies right after the K-th, as a power cut or ``kill -9`` would leave
it. ``K = 0`` kills nothing and prints ``steps: N`` on stderr at exit, so a test can sweep every
``k`` in ``1..N``. Counting is exact, not timed: the k-th step of a run is the k-th step of every
run with the same inputs and one coordinator thread doing the writes.
"""

from __future__ import annotations

import atexit
import builtins
import io
import os
import signal
import sys
import threading

_WRITE_MODES = set("wax+")
_CREATING = os.O_CREAT | os.O_TRUNC


class _Counter:
    def __init__(self, folder: str, kill_at: int) -> None:
        self.folder = os.path.realpath(folder)
        self.kill_at = kill_at
        self.count = 0
        self._lock = threading.Lock()

    def inside(self, path) -> bool:
        if isinstance(path, int):
            try:
                path = os.readlink(f"/proc/self/fd/{path}")
            except OSError:
                return False
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == self.folder or real.startswith(self.folder + os.sep)

    def step(self) -> None:
        with self._lock:
            self.count += 1
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


class _CountedFile:
    """A file object whose writes and truncations are steps."""

    def __init__(self, raw, counter: _Counter) -> None:
        self._raw, self._counter = raw, counter

    def write(self, data):
        n = self._raw.write(data)
        self._raw.flush()  # what was written is in the file when the step is counted
        self._counter.step()
        return n

    def truncate(self, *args):
        n = self._raw.truncate(*args)
        self._counter.step()
        return n

    def __enter__(self):
        self._raw.__enter__()
        return self

    def __exit__(self, *exc):
        return self._raw.__exit__(*exc)

    def __iter__(self):
        return iter(self._raw)

    def __getattr__(self, name):
        return getattr(self._raw, name)


def _install(counter: _Counter) -> None:
    def after(fn, *paths_at):
        def wrapped(*args, **kwargs):
            counted = any(i < len(args) and counter.inside(args[i]) for i in paths_at)
            result = fn(*args, **kwargs)
            if counted:
                counter.step()
            return result

        return wrapped

    for name in ("replace", "rename", "unlink", "remove", "rmdir", "mkdir", "truncate"):
        setattr(os, name, after(getattr(os, name), 0, 1) if name in ("replace", "rename") else after(getattr(os, name), 0))
    for name in ("fsync", "fdatasync", "write", "pwrite", "ftruncate"):
        setattr(os, name, after(getattr(os, name), 0))

    low_open = os.open

    def counted_open(path, flags, *args, **kwargs):
        fd = low_open(path, flags, *args, **kwargs)
        if flags & _CREATING and counter.inside(path):
            counter.step()
        return fd

    os.open = counted_open

    high_open = io.open

    def open_counted(file, mode="r", *args, **kwargs):
        fh = high_open(file, mode, *args, **kwargs)
        if _WRITE_MODES & set(mode) and counter.inside(file if not isinstance(file, int) else fh.fileno()):
            if "r" not in mode:
                counter.step()  # created or emptied
            return _CountedFile(fh, counter)
        return fh

    io.open = builtins.open = open_counted


def main() -> None:
    kill_at, folder = int(sys.argv[1]), sys.argv[2]
    sys.argv = ["oxcook", *sys.argv[3:]]
    counter = _Counter(folder, kill_at)
    if kill_at == 0:
        atexit.register(lambda: print(f"steps: {counter.count}", file=sys.stderr))
    _install(counter)
    from oxcook.coordinator.__main__ import main as oxcook

    sys.exit(oxcook())


if __name__ == "__main__":
    main()
