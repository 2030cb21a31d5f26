"""Redis clients for the farm's big values: sources going to workers, results coming back, cache entries.

With hiredis installed (a dependency) redis-py parses replies in C — a 146 MB
GET takes ~245 ms, against ~417 ms with its Python parser (~370–450 against
~680 with two workers reading one source at once) — but it then also packs every
command with hiredis, which copies each value into one new buffer (a 146 MB SET
~365 ms, against ~95 with redis-py's own packer). A bulk client packs with
redis-py's own serializer, which hands a big value to the socket as it is, and
reads the socket 1 MiB at a time rather than 64 KiB (a 146 MB GET ~240 ms
against ~320; small replies are as fast).
"""

from __future__ import annotations

import redis
from redis.connection import Encoder, PythonRespSerializer

_BUFFER_CUTOFF = 6000  # redis-py's own: values longer than this are sent as separate chunks, not copied
_PACKER = PythonRespSerializer(_BUFFER_CUTOFF, Encoder("utf-8", "strict", False).encode)  # stateless: one for every client
_READ_SIZE = 1 << 20


def bulk_client(url: str, **options) -> redis.Redis:
    """A client for ``url`` that sends big values without copying them (``options``: redis-py's connection options)."""
    return redis.Redis.from_url(url, **{"command_packer": _PACKER, "socket_read_size": _READ_SIZE, **options})
