"""The Celery app of an oxcook worker (load it with ``celery -A oxcook.worker.farm.celery_app``).

Configured from the environment: ``OXCOOK_BROKER_URL`` (default
``redis://127.0.0.1:6379/0``) and ``OXCOOK_TASK_TIMEOUT`` (seconds one texture
may take; default 900). json and msgpack only — pickle is never accepted. Late acks with
requeue on a lost worker process, one message prefetched at a time, and task
events on for Flower.

Bytes never travel through Celery: a task names Redis keys — one work item, or
(``cook_chunk``) a chunk of small textures' items, each then run as its own. It
reads the work item (``oxcook:work:<job>:<key>``) and its source blobs, cooks, stores the
result under ``oxcook:result:<job>:<key>`` and pushes the key onto
``oxcook:done:<job>``, which the coordinator blocks on. Between stages it checks
``oxcook:cancel:<job>`` and its work key (at most every ``POLL_S``). While an item runs its lease is renewed every 10 s (30 s
expiry), so the coordinator notices a lost worker within seconds. The lease holds a token of this
attempt's own, which the result names: a result is published only while its worker still holds the
lease, and the coordinator takes it only then (one whose lease lapsed and went to another worker is
dropped, and so is any result for an item its sender never took). An item that
failed ends its task in FAILURE with its diagnostic code, as Flower counts it, and the worker logs it as one line without a traceback (``throws``). A poison input that keeps killing its worker is run at
most ``MAX_ATTEMPTS`` times, then reported as failed. A message on the queue that is not an oxcook task
envelope (``_envelope``) is logged and rejected, and the worker carries on; :func:`serve` returns how the
worker ended, so a fatal stop can exit non-zero.

With a shared cook-cache tier (``OXCOOK_SHARED_CACHE``) a worker serves items
from it, but writes to it only when let (``OXCOOK_WORKER_PUBLISHES_CACHE=1``):
by default the coordinator publishes the results it accepted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import threading
import time
import uuid

import redis
from celery import Celery, signals

from . import keys
from ..cache import CorruptEntry, lacks_quality, open_shared_tier, pack_entry, unpack_entry, UnusableEntry
from ._envelope import envelope_problem
from ..wire import RESULT_FOR, WIRE_VERSION, MeshWork, Result, TextureChunk, TextureWork, WireError, Work, WorkRef, answer, decode, encoded, error_result, peek_version
from ._worker_log import quiet_handlers, stopping
from .redis_clients import bulk_client

logger = logging.getLogger(__name__)
BROKER_URL = os.environ.get("OXCOOK_BROKER_URL", "redis://127.0.0.1:6379/0")
TASK_TIMEOUT = float(os.environ.get("OXCOOK_TASK_TIMEOUT", "900"))
MAX_ATTEMPTS = int(os.environ.get("OXCOOK_MAX_ATTEMPTS", "3"))
LEASE_S = 30  # a running item's lease; renewed every HEARTBEAT_S, so a lost worker is noticed within LEASE_S + 5 s
HEARTBEAT_S = 10
POLL_S = 0.2  # how often a running item asks whether it is still wanted (cancelled, or over)
PUBLISH_S = 0.05  # a chunk's finished items are published together, at most this long after the first of them

_SETTINGS = dict(
    # Never pickle. Celery's messages here are small — a task names three strings; the bytes travel
    # in Redis in our own msgpack wire — so they are json, the one content type every Celery peer
    # speaks: Flower, `celery inspect` and mingle send and expect json control and event messages,
    # and a worker answers them in its task serializer (a msgpack-only worker refused them, and its
    # msgpack replies were refused in turn). msgpack stays accepted; pickle is refused.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json", "msgpack"],
    event_serializer="json",
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    result_backend=None,
    worker_send_task_events=True,
    task_send_sent_event=True,
    task_time_limit=TASK_TIMEOUT,
    # Priorities are how jobs share a farm: the coordinator gives each task one from how many of its job's tasks
    # are queued already (coordinator/backends/_fairness.py), so a small job's tasks pass a big job's backlog.
    broker_transport_options={
        "visibility_timeout": int(TASK_TIMEOUT * 2),
        "queue_order_strategy": "priority",
        "priority_steps": list(keys.PRIORITY_STEPS),
        "sep": keys.PRIORITY_SEP,
    },
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
)


def _unreadable(why: str, raw: object) -> dict:
    """An envelope of a content type no worker accepts, standing in for a message that is not a task envelope:
    Celery logs and rejects it as it does any undecodable message, and the worker carries on."""
    logger.error("oxcook: discarded a message on the queue that is not a task envelope (%s): %.80r", why, raw)
    return {
        "body": "",
        "content-type": "application/x-oxcook-unreadable",
        "content-encoding": "binary",
        "headers": {},
        "properties": {"delivery_tag": str(uuid.uuid4()), "delivery_info": {"exchange": "", "routing_key": ""}, "body_encoding": "base64"},
    }


def _tolerate_garbage_on_the_queue() -> None:
    """A message on the queue that is not a task envelope must cost that message, not the worker.

    kombu's Redis transport parses each popped message with ``loads`` and reads
    it as an envelope without checking: a message that is not JSON, or JSON of
    another shape, raises inside the consumer ("Unrecoverable error") and ends
    the worker. Text that is not JSON is caught in ``loads``; the shape is
    checked where kombu makes a message from the envelope, because ``loads``'
    other callers parse kombu's own bookkeeping, JSON of another shape.
    """
    from kombu.transport import redis as transport

    parse = transport.loads

    def loads(text, *args, **kwargs):
        try:
            return parse(text, *args, **kwargs)
        except ValueError:
            return _unreadable("not JSON", text)

    class CheckedMessage(transport.Channel.Message):
        def __init__(self, payload, channel=None, **kwargs):
            problem = envelope_problem(payload)
            super().__init__(payload if problem is None else _unreadable(problem, payload), channel=channel, **kwargs)

    transport.loads = loads
    transport.Channel.Message = CheckedMessage


def make_app(broker_url: str) -> Celery:
    """A Celery app with oxcook's settings (workers and the coordinator's sender share them)."""
    celery_app = Celery("oxcook", broker=broker_url)
    celery_app.conf.update(_SETTINGS)
    return celery_app


class _NoBackendToMarkRevoked(logging.Filter):
    """Drops Celery's "Failed to mark task … as revoked in backend" when the reason is that there is no backend.

    These apps keep no results (``result_backend=None``): every worker that gets a
    ``revoke`` broadcast for a task it is not running asks the disabled backend for
    the task's state (``celery.worker.control._revoke``), which raises
    ``NotImplementedError``, and warns once per task — for every queued task of a
    cancelled job, on every worker. The revoke itself has worked (the id is in the
    worker's revoked set); any other failure to mark a task still warns.
    """

    MESSAGE = "Failed to mark task %s as revoked in backend: %s"

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (record.msg == self.MESSAGE and len(args) == 2 and isinstance(args[1], NotImplementedError) and app.conf.result_backend is None)


app = make_app(BROKER_URL)
_tolerate_garbage_on_the_queue()
logging.getLogger("celery.worker.control").addFilter(_NoBackendToMarkRevoked())


@signals.after_setup_logger.connect
def _one_line_problems(sender=None, logger=None, **_) -> None:
    """Every problem in the worker's log on one line, and a stop's expected breakage as warnings (``_worker_log``):
    on the root logger's handlers and on those Celery gives billiard's own logger (pool processes that end)."""
    from celery.utils.log import get_multiprocessing_logger

    quiet_handlers(logger)
    pool_logger = get_multiprocessing_logger()
    if pool_logger is not None:
        quiet_handlers(pool_logger)


@signals.worker_shutting_down.connect
def _stopping(sender=None, **_) -> None:
    stopping()


@dataclasses.dataclass(frozen=True)
class WorkerStopped:
    """How a worker run by :func:`serve` ended.

    Attributes:
        exit_code: Celery's status: 0 after a requested warm shutdown, non-zero after a fatal error or a cold shutdown.
        signal: the signal that asked it to stop (``SIGTERM``, ``SIGINT``…), or ``None`` when nothing asked.
    """

    exit_code: int
    signal: str | None


def serve(argv: list[str]) -> WorkerStopped:
    """Run this app's worker with Celery's worker command line ``argv`` until it stops.

    ``app.worker_main`` drops Celery's exit status, so a worker ended by an
    unrecoverable error would look like one asked to stop: the worker instance
    and any shutdown request are taken from Celery's signals instead.
    """
    workers, requests = [], []

    def started(sender=None, instance=None, **_) -> None:
        workers.append(instance)

    def asked(sender=None, sig=None, **_) -> None:
        requests.append(sig)

    signals.celeryd_init.connect(started, weak=False)
    signals.worker_shutting_down.connect(asked, weak=False)
    try:
        app.worker_main(argv=argv)
    finally:
        signals.celeryd_init.disconnect(started)
        signals.worker_shutting_down.disconnect(asked)
    code = workers[-1].exitcode if workers else 1
    return WorkerStopped(int(code or 0), requests[0] if requests else None)

def run_work_noting_output(work: Work, cancel=None) -> Result:
    """Cook ``work`` (``worker.run_work``, its output noted): the cooker is imported on first use, so a coordinator
    that loads this app to publish tasks never imports it; a worker imports it before its pool starts (:func:`_load_cooker`)."""
    from .._captured_output import run_work_noting_output as run

    return run(work, cancel=cancel)


@signals.worker_init.connect
def _load_cooker(sender=None, **_) -> None:
    """Import the cooker in the worker's main process, before its pool forks: no task imports it."""
    importlib.import_module("oxcook.worker._captured_output")


_redis: redis.Redis | None = None


def _store() -> redis.Redis:
    """This worker's client: it reads whole sources (often megabytes) and stores whole results."""
    global _redis
    if _redis is None:
        _redis = bulk_client(BROKER_URL)
    return _redis


# Publish a result only while the job still wants it and this worker holds the item's lease: a job that is over
# has deleted its work keys, and must not find new keys appearing afterwards; a worker whose lease lapsed (and
# went to another) has nothing to publish. A published result's lease is kept, with the result's expiry: it is
# what the coordinator checks the result's lease against. The result is staged under its own key first and
# renamed here: a script's arguments cost Redis ~4x a SET's (an 89 MB result: 264 ms as an argument, 60 ms staged).
_FINISH = """
local holds = redis.call('GET', KEYS[4]) == ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 0 then
  if holds then redis.call('DEL', KEYS[4]) end
  redis.call('DEL', KEYS[5])
  return 0
end
if not holds then
  redis.call('DEL', KEYS[5])
  return -1
end
redis.call('RENAME', KEYS[5], KEYS[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return 1
"""


# Start an item atomically: nothing is created for a job that is cancelled or over, nor for an item whose
# result is published and waits for the coordinator (a redelivered task would take its lease from under it).
_START = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
local attempts = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[2])
return attempts
"""


# Reserve the items of a chunk for this run: each item still wanted (its job not cancelled or over, its result not
# published) gets its lease, so the coordinator sees the whole chunk held and runs every item of it again should this
# worker vanish. Its attempts are not counted here: an item counts an attempt only when it starts (_START), so a
# poison input counts against itself, never against the items queued behind it in its chunk.
_RESERVE = """
local taken = {}
local cancelled = redis.call('EXISTS', KEYS[1]) == 1
for i = 2, #KEYS, 3 do
  if not cancelled and redis.call('EXISTS', KEYS[i]) == 1 and redis.call('EXISTS', KEYS[i + 2]) == 0 then
    redis.call('SET', KEYS[i + 1], ARGV[1], 'EX', ARGV[2])
    taken[#taken + 1] = 1
  else
    taken[#taken + 1] = 0
  end
end
return taken
"""


def _finish(store: redis.Redis, job: str, key: str, result: Result, holder: str) -> None:
    """Hand the result to the coordinator, as the holder of the item's lease (``holder``: the token :func:`_start` set);
    a failed item then ends its task in FAILURE, named by its code. An item its job no longer wants (over, or
    delivered by another worker), or whose lease this worker no longer holds, ends quietly: nobody failed."""
    failed = _finish_many(store, job, [(key, result)], holder)
    if failed:
        raise CookFailed(failed[0])


def _finish_many(store: redis.Redis, job: str, finished: list[tuple[str, Result]], holder: str) -> list[str]:
    """Publish the results of several items of ``job`` in one round trip, each as :func:`_finish` does; returns
    ``code: message`` of every published failure (its task then ends in FAILURE)."""
    ttl = int(TASK_TIMEOUT * 4)
    pipe = store.pipeline(transaction=False)
    for key, result in finished:
        staged = keys.staged(job, key, uuid.uuid4().hex)  # its own: two finishing one item never rename each other's
        pipe.set(staged, encoded(result if result.lease == holder else dataclasses.replace(result, lease=holder)), ex=ttl)
        pipe.eval(_FINISH, 5, keys.work(job, key), keys.result(job, key), keys.done(job), keys.lease(job, key), staged, key, ttl, holder)
    replies = pipe.execute()
    failed = []
    for (key, result), taken in zip(finished, replies[1::2], strict=True):
        if taken < 0:
            logger.warning("oxcook: %s: result dropped: this worker (%s) no longer holds the item's lease", key, holder)
        elif taken > 0 and not result.ok:  # the coordinator has its result; Flower and its metrics must count a failure as one
            failed.append(f"{result.error.code}: {result.error.message}")
    return failed


def _start(store: redis.Redis, job: str, key: str, holder: str) -> int:
    """Take item ``key``: its attempt number, with its lease held by ``holder`` (this attempt's own token); 0 when its
    job is cancelled or over, or its result is already published."""
    return store.eval(
        _START, 5, keys.cancel(job), keys.work(job, key), keys.attempts(job, key), keys.lease(job, key), keys.result(job, key), holder, LEASE_S, int(TASK_TIMEOUT * 4)
    )


def _holder(hostname: str) -> str:
    """A lease token no other attempt has: the worker's name (for people reading Redis) and a random part."""
    return f"{hostname}/{uuid.uuid4().hex}"


def _run_stored(task, ref: WorkRef, job: str) -> None:
    """Run one work item stored in Redis; its result goes back through Redis."""
    store = _store()
    key = ref.key
    hostname = task.request.hostname or "worker"
    holder = _holder(hostname)
    attempts = _start(store, job, key, holder)
    if not attempts:
        return  # cancelled, or the job is over
    stored = store.get(keys.work(job, key)) if attempts <= MAX_ATTEMPTS else b""
    if stored is None:  # the job ended meanwhile
        store.delete(keys.lease(job, key))
        return
    item = _decoded(ref, stored)
    with _heartbeat(store, {keys.lease(job, key)}):
        result = _attempt(store, job, ref, item, attempts, hostname, holder)
    _finish(store, job, key, result, holder)


def _run_chunk(task, job: str, chunk_key: str) -> None:
    """Run the items of one chunk (:class:`TextureChunk`) in order, each as :func:`_run_stored` runs one, with its own
    lease, attempts and result; finished results are published together (at most ``PUBLISH_S`` after the first).

    A process that dies mid-chunk loses nothing: Celery hands the chunk to another worker process, which skips the
    items already delivered; an item that keeps killing its process is failed by name after ``MAX_ATTEMPTS``, and
    the items after it run. Results held for a batch die with their process and are cooked again, so an item on
    its second attempt or later (its chunk died before) is published at once, and what was done before it first:
    only the item that kills its process keeps counting attempts. Ends in FAILURE, naming each, when any of its
    items failed."""
    store = _store()
    raw = store.get(keys.chunk(job, chunk_key))
    if raw is None:
        return  # the job is over
    try:
        chunk = decode(raw, expect=TextureChunk)
    except WireError as exc:
        raise CookFailed(f"{exc.code}: chunk {chunk_key}: {exc.message}") from None
    hostname = task.request.hostname or "worker"
    holder = _holder(hostname)
    refs = [WorkRef(TextureWork, key, source_id) for key, source_id in chunk.items]
    names = [keys.cancel(job)] + [name for r in refs for name in (keys.work(job, r.key), keys.lease(job, r.key), keys.result(job, r.key))]
    reserved = store.eval(_RESERVE, len(names), *names, holder, LEASE_S)
    live = [r for r, taken in zip(refs, reserved, strict=True) if taken]
    if not live:
        return  # cancelled, over, or every item delivered already
    items = [_decoded(r, b"" if stored is None else stored) for r, stored in zip(live, store.mget([keys.work(job, r.key) for r in live]), strict=True)]
    wanted = sorted({name for item in items if isinstance(item, TextureWork) for name in item.blobs})
    blobs = dict(zip(wanted, store.mget(wanted), strict=True)) if wanted else {}
    leases = {keys.lease(job, r.key) for r in live}  # renewed while the chunk runs, until each item is published
    finished: list[tuple[str, Result]] = []
    failed: list[str] = []
    first_finished = 0.0

    def publish() -> None:
        failed.extend(_finish_many(store, job, finished, holder))
        leases.difference_update(keys.lease(job, key) for key, _ in finished)
        finished.clear()

    with _heartbeat(store, leases):
        for ref, item in zip(live, items, strict=True):
            attempts = _start(store, job, ref.key, holder)
            if not attempts:
                leases.discard(keys.lease(job, ref.key))
                continue  # cancelled, over, or delivered by another worker meanwhile
            if attempts > 1 and finished:
                publish()  # a process died in this chunk before: what is done is handed over before a suspect runs
            if not finished:
                first_finished = time.monotonic()
            finished.append((ref.key, _attempt(store, job, ref, item, attempts, hostname, holder, blobs)))
            if attempts > 1 or time.monotonic() - first_finished >= PUBLISH_S:
                publish()
        if finished:
            publish()
    if failed:
        raise CookFailed(f"{len(failed)} of {len(refs)} textures failed: " + "; ".join(failed))


def _decoded(ref: WorkRef, stored: bytes) -> Work | Result:
    """The work item stored for ``ref``, or the failed result that says why it cannot be read (empty: not read)."""
    if not stored:
        return error_result(ref, "wire-invalid", f"{ref.source_id}: its work item is gone from Redis")
    try:
        return decode(stored, expect=ref.kind)
    except WireError as exc:
        version = peek_version(stored)
        detail = f"the coordinator speaks wire v{version}, this worker v{WIRE_VERSION}" if version not in (None, WIRE_VERSION) else exc.message
        return error_result(ref, exc.code, f"{ref.source_id}: {detail}")


def _attempt(store: redis.Redis, job: str, ref: WorkRef, item: Work | Result, attempts: int, hostname: str, holder: str, blobs: dict | None = None) -> Result:
    """The result of attempt ``attempts`` at ``item`` (decoded by :func:`_decoded`; ``blobs``: its sources fetched
    already, else read here): a failure once a worker died too often on it, or the cook. A cook's result names
    ``holder``, the lease its attempt holds: the bytes it is published in are the ones the shared tier keeps."""
    kind = ref.kind.KIND.split("-")[0]
    if attempts > MAX_ATTEMPTS:
        return error_result(ref, f"{kind}-worker-crashed", f"{ref.source_id}: a worker died {attempts - 1} times on it; giving up")
    if not isinstance(item, (TextureWork, MeshWork)):
        return item
    work = item
    if isinstance(work, TextureWork) and work.blobs:
        data = [blobs.get(name) for name in work.blobs] if blobs is not None else store.mget(list(work.blobs))
        if any(b is None for b in data):
            return error_result(work, f"{kind}-source-missing", f"{ref.source_id}: source bytes expired from Redis")
        work = dataclasses.replace(work, sources=tuple(data), blobs=())
    result = _from_shared_cache(work)
    if result is None:
        try:
            result = run_work_noting_output(work, cancel=_stop_check(store, job, ref.key))
        except Exception as exc:  # a bug in this worker: report it at once instead of letting the lease lapse
            result = error_result(work, "worker-internal-error", f"{ref.source_id}: {type(exc).__name__}: {exc}")
        result = dataclasses.replace(result, lease=holder)
        _to_shared_cache(work, result, hostname)
    return result


def _stop_check(store: redis.Redis, job: str, key: str):
    """Polled at every stage and batch of bands: the job was cancelled, or no longer wants this item — its work
    key is gone because the job is over or another worker's result for it was delivered (a duplicate, after a
    lease that lapsed): it stops instead of cooking on for nobody. Redis is asked at most every ``POLL_S``,
    the first time ``POLL_S`` after the start (which checked both): a 64² texture polls ~10 times in ~3 ms."""
    flag, work = keys.cancel(job), keys.work(job, key)
    due = time.monotonic() + POLL_S

    def stop() -> bool:
        nonlocal due
        now = time.monotonic()
        if now < due:
            return False
        due = now + POLL_S
        pipe = store.pipeline(transaction=False)
        pipe.exists(flag)
        pipe.exists(work)
        cancelled, wanted = pipe.execute()
        return bool(cancelled) or not wanted

    return stop


@functools.cache
def _shared_tier():
    """This worker's shared cook-cache tier (``OXCOOK_SHARED_CACHE``), or ``None``."""
    spec = os.environ.get("OXCOOK_SHARED_CACHE")
    return open_shared_tier(spec) if spec else None


def _from_shared_cache(work):
    """The result another coordinator or worker already cooked for this work's cache key, if the shared tier has it whole."""
    tier = _shared_tier()
    if tier is None or not work.cache_key:
        return None
    try:
        data = tier.get(work.cache_key)
    except UnusableEntry as exc:
        logger.warning("shared cook cache: %s; cooked again", exc)
        return None
    if data is None:
        return None
    try:
        found = unpack_entry(data, work.cache_key, RESULT_FOR[type(work)])
        if lacks_quality(found, work):
            return None
        return answer(work, found)
    except CorruptEntry:
        try:
            tier.discard(work.cache_key)
        except OSError as exc:
            logger.warning("shared cook cache %s cannot be written: %s", tier.name, exc)
        return None


def publishes_shared_cache() -> bool:
    """Whether this worker writes what it cooks to the shared tier itself (``OXCOOK_WORKER_PUBLISHES_CACHE=1``).

    Off by default: the coordinator publishes only results it checked and accepted, so one lying or broken
    worker cannot put entries in front of every later cook on every machine. A deployment whose coordinators
    keep no shared tier, and that trusts its workers, lets them."""
    return os.environ.get("OXCOOK_WORKER_PUBLISHES_CACHE", "") == "1"


def _to_shared_cache(work, result, hostname: str) -> None:
    tier = _shared_tier()
    if tier is None or not publishes_shared_cache() or not work.cache_key or not result.ok:
        return
    recipe = dataclasses.replace(work, key=work.cache_key, job="", part=None) if isinstance(work, TextureWork) and work.paths else None
    try:
        tier.put(work.cache_key, pack_entry(result, key=work.cache_key, cooked_by=hostname, recipe=recipe))  # the bytes it is published in
    except OSError as exc:  # the result is delivered all the same: the shared tier only saves cooking it again
        logger.warning("shared cook cache %s cannot be written: %s", tier.name, exc)


class CookFailed(Exception):
    """A work item failed (its diagnostic code first): the task ends in FAILURE, so Flower shows it as failed."""


@contextlib.contextmanager
def _heartbeat(store: redis.Redis, leases: set[str]):
    """Renew ``leases`` (a set the caller may shrink as items finish) while items run: a worker that dies stops
    renewing, and its items run elsewhere within LEASE_S."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                pipe = store.pipeline(transaction=False)
                for lease in list(leases):
                    pipe.expire(lease, LEASE_S, xx=True)
                pipe.execute()
            except redis.RedisError:
                pass  # the coordinator notices a missing lease; nothing to do here

    thread = threading.Thread(target=beat, daemon=True, name="oxcook-lease")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


_presence_stop = threading.Event()


@signals.worker_ready.connect
def _announce(sender=None, **_) -> None:
    """While this worker runs, ``oxcook-workers:<hostname>`` holds its process count (coordinators size splits by it)."""
    name, processes = keys.worker(sender.hostname), int(sender.controller.concurrency or 1)

    def renew() -> None:
        while True:
            try:
                _store().set(name, processes, ex=LEASE_S)
            except redis.RedisError:
                pass  # the broker is away: coordinators see no presence and do not split
            if _presence_stop.wait(HEARTBEAT_S):
                return

    threading.Thread(target=renew, daemon=True, name="oxcook-presence").start()


@signals.worker_shutdown.connect
def _withdraw(sender=None, **_) -> None:
    _presence_stop.set()
    with contextlib.suppress(redis.RedisError):
        _store().delete(keys.worker(sender.hostname))


@app.task(name=keys.TASK_COOK_TEXTURE, bind=True, throws=(CookFailed,))
def cook_texture(self, job: str, key: str, source_id: str) -> None:
    """Cook one texture work item stored in Redis."""
    _run_stored(self, WorkRef(TextureWork, key, source_id), job)


@app.task(name=keys.TASK_COOK_CHUNK, bind=True, throws=(CookFailed,))
def cook_chunk(self, job: str, key: str, source_id: str) -> None:
    """Cook the small textures of one chunk stored in Redis (``key``: the chunk's; ``source_id``: a label naming them)."""
    _run_chunk(self, job, key)


@app.task(name=keys.TASK_BUILD_MESH, bind=True, throws=(CookFailed,))
def build_mesh(self, job: str, key: str, source_id: str) -> None:
    """Pack one mesh primitive stored in Redis."""
    _run_stored(self, WorkRef(MeshWork, key, source_id), job)
