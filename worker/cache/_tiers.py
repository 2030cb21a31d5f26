"""Where cook-cache entries live: a folder (the local tier, or a shared file system) or a Redis (the farm's shared tier).

Both keep opaque entry bytes under a hex key. A folder publishes atomically
(write a temporary file in the same folder, fsync, rename), so a reader never
sees half an entry however many cooks share it; a hit refreshes the entry's
time, and pruning removes the least recently used entries first. Pruning lists
the folder only when it may be over its size: each put appends the entry's size
to ``entries/usage.log``, and each listing leaves the measure it took in
``entries/usage.json`` (the bytes then, and how far the log had grown), so the
bytes now are at most that measure plus the sizes logged since. A measure that
is missing or damaged, or a log that is not the one it names, lists the folder. A Redis tier
relies on the server's own eviction (``maxmemory`` with ``allkeys-lru``).

Anyone may put anything at an entry's path, so a folder tier reads only what
can be an entry it wrote: opened without following a link and without
blocking, a regular file, no larger than :data:`MAX_ENTRY_BYTES`. Anything
else raises :class:`UnusableEntry` (the caller warns and cooks again); a plain
absence is a miss. Writes raise ``OSError``: whether a cache that cannot be
written matters is the caller's decision.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

REDIS_PREFIX = "oxcook-cache:"  # not "oxcook:", which a farm job sweeps when it ends

# The largest entry a cook can make: its texture payload, or its mesh's vertex and its index buffer, are each
# sized by a u32 in the container (TextureResourceDesc/BufferResourceDesc ``size_bytes``), and the frame, the
# wire fields and the diagnostics around them stay far below a MiB. A bigger file was not written by a cook.
MAX_ENTRY_BYTES = 2 * (2**32 - 1) + 2**20

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO opens at once instead of waiting for a writer
_READ_CHUNK = 1 << 30  # Linux reads at most ~2 GiB in one call


class UnusableEntry(Exception):
    """A cache file's path holds something that cannot be one of the cache's own files."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def read_cache_file(path: Path, limit: int, *, touch: bool = False) -> bytes | None:
    """The bytes of the cache's own file at ``path``, or ``None`` when there is none.

    Args:
        path: the file; a link there is never followed.
        limit: the most bytes the file may hold; a larger one is refused before any is read.
        touch: mark it recently used (an entry's time orders pruning).

    Raises:
        UnusableEntry: a link, a directory, a FIFO, a device, a file over ``limit``, or unreadable.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        problem = "is a symbolic link, which oxcook never follows here" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        raise UnusableEntry(path, problem) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableEntry(path, f"is not a regular file ({_kind(st.st_mode)})")
        if st.st_size > limit:
            raise UnusableEntry(path, f"is {st.st_size} bytes, larger than the {limit}-byte limit")
        chunks, left = [], st.st_size
        while left > 0 and (chunk := os.read(fd, min(left, _READ_CHUNK))):
            chunks.append(chunk)
            left -= len(chunk)
        if touch:
            try:
                os.utime(fd)  # recently used: the last to be pruned
            except OSError:
                pass  # a read-only cache still serves hits
        return b"".join(chunks)  # short if it shrank meanwhile: the entry's checksum then fails
    except OSError as exc:
        raise UnusableEntry(path, f"cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)


USAGE_FILE, USAGE_LOG = "usage.json", "usage.log"  # in ``entries/``: the last measure, the sizes put since
_USAGE_LIMIT, _USAGE_LOG_LIMIT = 1 << 12, 1 << 24


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` as ``path``'s new content, all or nothing (a temporary file renamed over it; a link there is replaced,
    not followed; not made durable: the cache's own records are taken again when lost).

    Raises:
        OSError: the folder cannot be written (read-only, full, gone); no temporary file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class Tier(Protocol):
    name: str

    def get(self, key: str) -> bytes | None: ...

    def has(self, key: str) -> bool: ...

    def put(self, key: str, data: bytes) -> None: ...

    def discard(self, key: str) -> None: ...

    def keys(self) -> list[str]: ...


@dataclass(frozen=True)
class FolderStats:
    entries: int
    bytes: int
    oldest: float | None  # seconds since the epoch of the least recently used entry


class FolderTier:
    """Entries as files ``entries/ab/abcd….oxc`` under ``root``; ``max_entry_bytes`` caps what is read and written."""

    def __init__(self, root: Path, *, name: str = "local", max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.root = Path(root)
        self.name = name
        self.max_entry_bytes = max_entry_bytes
        self._entries = self.root / "entries"

    def _path(self, key: str) -> Path:
        return self._entries / key[:2] / f"{key}.oxc"

    def get(self, key: str) -> bytes | None:
        """The entry's bytes, ``None`` if there is none; raises :class:`UnusableEntry` (see :func:`read_cache_file`)."""
        return read_cache_file(self._path(key), self.max_entry_bytes, touch=True)

    def has(self, key: str) -> bool:
        """Whether an entry file is there, one :meth:`get` would read (a regular file, not a link, within the size
        limit); a ``stat``, so it neither reads the entry nor makes it recently used."""
        try:
            st = os.lstat(self._path(key))
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size <= self.max_entry_bytes

    def put(self, key: str, data: bytes) -> None:
        """Publish an entry atomically; raises ``OSError`` when the folder cannot be written."""
        if len(data) > self.max_entry_bytes:
            return  # readers would refuse it
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".oxc")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._log_put(len(data))

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _log_put(self, size: int) -> None:
        """Append an entry's size to the usage log (one short ``O_APPEND`` write: whole, whoever else appends)."""
        try:
            fd = os.open(self._entries / USAGE_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError:
            return  # no log: the next prune finds the measure stale and lists the folder
        try:
            os.write(fd, b"%d\n" % size)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _estimate(self) -> int | None:
        """At most how many bytes the entries hold, from the last measure and the log; ``None``: not known."""
        try:
            measure = json.loads(read_cache_file(self._entries / USAGE_FILE, _USAGE_LIMIT) or b"null")
            since = read_cache_file(self._entries / USAGE_LOG, _USAGE_LOG_LIMIT) or b""
        except (UnusableEntry, ValueError):
            return None
        if not isinstance(measure, dict) or set(measure) != {"bytes", "log_offset"} or not all(type(v) is int and v >= 0 for v in measure.values()):
            return None
        if len(since) < measure["log_offset"]:
            return None  # not the log the measure was taken against
        sizes = since[measure["log_offset"] :].split()
        if not all(size.isdigit() for size in sizes):
            return None
        return measure["bytes"] + sum(map(int, sizes))

    def _scan(self):
        """(name, path, stat) of every regular file in the shard folders; links are not followed, nor counted."""
        if not self._entries.is_dir():
            return
        with os.scandir(self._entries) as shards:
            for shard in shards:
                if not shard.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(shard.path) as entries:
                    for entry in entries:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue  # another cook pruned it meanwhile
                        if stat.S_ISREG(st.st_mode):
                            yield entry.name, Path(entry.path), st

    def keys(self) -> list[str]:
        """The key of every entry, in order."""
        return sorted(path.stem for _, _, path in self._files())

    def _files(self) -> list[tuple[float, int, Path]]:
        return [(st.st_mtime, st.st_size, path) for name, path, st in self._scan() if name.endswith(".oxc") and not name.startswith(".tmp-")]

    def stats(self) -> FolderStats:
        files = self._files()
        return FolderStats(len(files), sum(size for _, size, _ in files), min((t for t, _, _ in files), default=None))

    def prune(self, max_bytes: int, *, listing: bool = False) -> tuple[int, int]:
        """Remove least recently used entries until at most ``max_bytes`` remain; returns (entries, bytes) removed.

        Lists the folder only when the usage log says it may hold more than ``max_bytes`` (see the module), or
        when ``listing`` asks (``oxcook cache prune``: entries may have been put there by other means)."""
        estimate = None if listing else self._estimate()
        if estimate is not None and estimate <= max_bytes:
            return 0, 0
        log = self._entries / USAGE_LOG
        try:
            offset = os.lstat(log).st_size
            if offset > _USAGE_LOG_LIMIT // 2:  # a long log starts again (a put racing this loses its line: one entry uncounted until the next listing)
                log.unlink()
                offset = 0
        except OSError:
            offset = 0
        files = sorted(self._files())
        total = sum(size for _, size, _ in files)
        removed = freed = 0
        for _, size, path in files:
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
            freed += size
        self._sweep_temporaries()
        if self._entries.is_dir():
            with contextlib.suppress(OSError):  # a measure lost is taken again
                write_atomically(self._entries / USAGE_FILE, json.dumps({"bytes": total, "log_offset": offset}).encode())
        return removed, freed

    def _sweep_temporaries(self, older_than: float = 3600.0) -> None:
        """Temporary files a killed cook left behind (never a half entry: they were never renamed)."""
        now = time.time()
        for path in [path for name, path, st in self._scan() if name.startswith(".tmp-") and now - st.st_mtime > older_than]:
            path.unlink(missing_ok=True)

    def clear(self) -> int:
        files = self._files()
        for _, _, path in files:
            path.unlink(missing_ok=True)
        (self._entries / USAGE_FILE).unlink(missing_ok=True)
        return len(files)


class RedisTier:
    """Entries as Redis strings ``oxcook-cache:<key>``; eviction is the server's (``allkeys-lru``)."""

    def __init__(self, url: str) -> None:
        import redis

        from ..farm.redis_clients import bulk_client

        self.name = "shared"
        self._redis = bulk_client(url, socket_connect_timeout=3, socket_timeout=10)
        self._errors = (redis.RedisError, OSError)

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(REDIS_PREFIX + key)
        except self._errors:
            return None  # a shared tier that is down is a miss, never a failed cook

    def has(self, key: str) -> bool:
        """Whether the entry is there: ``EXISTS``, which leaves the key's LRU time as it was (``GET`` refreshes it)."""
        try:
            return bool(self._redis.exists(REDIS_PREFIX + key))
        except self._errors:
            return False

    def put(self, key: str, data: bytes) -> None:
        try:
            self._redis.set(REDIS_PREFIX + key, data)
        except self._errors:
            pass

    def discard(self, key: str) -> None:
        try:
            self._redis.delete(REDIS_PREFIX + key)
        except self._errors:
            pass

    def keys(self) -> list[str]:
        """The key of every entry, in order (a server that is down has none)."""
        try:
            return sorted(name.decode(errors="replace").removeprefix(REDIS_PREFIX) for name in self._redis.scan_iter(match=REDIS_PREFIX + "*", count=1000))
        except self._errors:
            return []


def open_shared(spec: str) -> Tier:
    """The shared tier a URL or folder names: ``redis://…``/``rediss://…``, else a folder."""
    if spec.split(":", 1)[0].lower() in ("redis", "rediss"):
        return RedisTier(spec)
    return FolderTier(Path(spec), name="shared")
