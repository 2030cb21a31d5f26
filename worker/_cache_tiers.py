"""Where cook-cache entries live: a folder (the local tier, or a shared file system) or a Redis (the farm's shared tier).

Both keep opaque entry bytes under a hex key. A folder publishes atomically
(write a temporary file in the same folder, fsync, rename), so a reader never
sees half an entry however many cooks share it; a hit refreshes the entry's
time, and pruning removes the least recently used entries first. A Redis tier
relies on the server's own eviction (``maxmemory`` with ``allkeys-lru``).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

REDIS_PREFIX = "oxcook-cache:"  # not "oxcook:", which a farm job sweeps when it ends


class Tier(Protocol):
    name: str

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...

    def discard(self, key: str) -> None: ...


@dataclass(frozen=True)
class FolderStats:
    entries: int
    bytes: int
    oldest: float | None  # seconds since the epoch of the least recently used entry


class FolderTier:
    """Entries as files ``entries/ab/abcd….oxc`` under ``root``."""

    def __init__(self, root: Path, *, name: str = "local") -> None:
        self.root = Path(root)
        self.name = name
        self._entries = self.root / "entries"

    def _path(self, key: str) -> Path:
        return self._entries / key[:2] / f"{key}.oxc"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # recently used: the last to be pruned
        except OSError:
            pass
        return data

    def put(self, key: str, data: bytes) -> None:
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

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _files(self) -> list[tuple[float, int, Path]]:
        out = []
        if not self._entries.is_dir():
            return out
        for shard in os.scandir(self._entries):
            if not shard.is_dir():
                continue
            for entry in os.scandir(shard.path):
                if entry.name.endswith(".oxc") and not entry.name.startswith(".tmp-"):
                    st = entry.stat()
                    out.append((st.st_mtime, st.st_size, Path(entry.path)))
        return out

    def stats(self) -> FolderStats:
        files = self._files()
        return FolderStats(len(files), sum(size for _, size, _ in files), min((t for t, _, _ in files), default=None))

    def prune(self, max_bytes: int) -> tuple[int, int]:
        """Remove least recently used entries until at most ``max_bytes`` remain; returns (entries, bytes) removed."""
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
        return removed, freed

    def _sweep_temporaries(self, older_than: float = 3600.0) -> None:
        """Temporary files a killed cook left behind (never a half entry: they were never renamed)."""
        if not self._entries.is_dir():
            return
        now = time.time()
        for shard in os.scandir(self._entries):
            if shard.is_dir():
                for entry in os.scandir(shard.path):
                    if entry.name.startswith(".tmp-") and now - entry.stat().st_mtime > older_than:
                        Path(entry.path).unlink(missing_ok=True)

    def clear(self) -> int:
        files = self._files()
        for _, _, path in files:
            path.unlink(missing_ok=True)
        return len(files)


class RedisTier:
    """Entries as Redis strings ``oxcook-cache:<key>``; eviction is the server's (``allkeys-lru``)."""

    def __init__(self, url: str) -> None:
        import redis

        from .redis_clients import bulk_client

        self.name = "shared"
        self._redis = bulk_client(url, socket_connect_timeout=3, socket_timeout=10)
        self._errors = (redis.RedisError, OSError)

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(REDIS_PREFIX + key)
        except self._errors:
            return None  # a shared tier that is down is a miss, never a failed cook

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


def open_shared(spec: str) -> Tier:
    """The shared tier a URL or folder names: ``redis://…``/``rediss://…``, else a folder."""
    if spec.split(":", 1)[0].lower() in ("redis", "rediss"):
        return RedisTier(spec)
    return FolderTier(Path(spec), name="shared")
