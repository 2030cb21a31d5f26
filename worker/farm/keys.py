"""Wire names of the farm: Celery task names and Redis keys, spelled once.

Every Redis key a job creates starts with ``oxcook:``, so an operator (and
the tests) can check that a finished job left nothing behind. Keys that outlive
jobs have their own prefixes: ``oxcook-cache:`` (the shared cook cache) and
``oxcook-workers:`` (each running worker's presence, renewed while it lives).
"""

from __future__ import annotations

PREFIX = "oxcook:"
TASK_COOK_TEXTURE = "oxcook.cook_texture"
TASK_BUILD_MESH = "oxcook.build_mesh"
TASK_COOK_CHUNK = "oxcook.cook_chunk"  # several small textures in one task (worker.wire._messages.TextureChunk)

# Task priorities on the Redis transport: a queue's tasks of priority ``n`` wait under ``<queue><PRIORITY_SEP><n>``
# (``<queue>`` for 0), and workers pop the lowest number first (0 is the best on kombu's Redis transport, unlike
# AMQP). The separator stays kombu's default: kombu joins its exchange bindings with it too, so any other kombu
# client of the broker (Flower, a plain ``kombu.Connection``) must agree on it, and one with default settings does.
PRIORITY_STEPS = tuple(range(10))
PRIORITY_SEP = "\x06\x16"


def work(job: str, key: str) -> str:
    return f"{PREFIX}work:{job}:{key}"


def chunk(job: str, chunk_key: str) -> str:
    """The items of one chunk task (a ``TextureChunk`` message): each is still a work item of its own, with its own lease."""
    return f"{PREFIX}chunk:{job}:{chunk_key}"


def result(job: str, key: str) -> str:
    return f"{PREFIX}result:{job}:{key}"


def staged(job: str, key: str, token: str) -> str:
    """A worker's result (``token``: this finish's own) before its finish script publishes it (renamed to :func:`result`) or drops it."""
    return f"{PREFIX}staged:{job}:{key}:{token}"


def done(job: str) -> str:
    return f"{PREFIX}done:{job}"


def cancel(job: str) -> str:
    return f"{PREFIX}cancel:{job}"


def attempts(job: str, key: str) -> str:
    return f"{PREFIX}attempts:{job}:{key}"


def lease(job: str, key: str) -> str:
    """Set by the worker running an item, with the task timeout as expiry."""
    return f"{PREFIX}lease:{job}:{key}"


def blob(job: str, sha256_hex: str) -> str:
    """A source's bytes, content-addressed within one job: a job deletes its blobs without touching another's."""
    return f"{PREFIX}blob:{job}:{sha256_hex}"


def job_pattern(job: str) -> str:
    """Every per-item key of one job (for the final sweep); ``done``/``cancel`` are named directly."""
    return f"{PREFIX}*:{job}:*"


WORKERS_PREFIX = "oxcook-workers:"


def worker(hostname: str) -> str:
    """A running worker's presence: its process count, expiring unless renewed."""
    return f"{WORKERS_PREFIX}{hostname}"
