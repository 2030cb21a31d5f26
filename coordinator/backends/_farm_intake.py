"""Results coming back from the farm: one reader per job, leases checked, lost items sent again.

Workers put results under their own keys and push the keys onto
``oxcook:done:<job>``. The job's reader takes up to ``_TAKE_BATCH`` of them (and
at most about ``_TAKE_BYTES`` of results), with their results and their items'
leases, in one script call (one round trip), so results arrive in completion
order. The delivered items' other keys are deleted
by the reader's next command — the next take, or, sent with it in one round
trip, the blocking pop (BLPOP) that waits for more once the list is empty — so
a batch costs two round trips; the blobs of delivered items are deleted at
once (an upload of the same bytes waits for that). Payloads never pass through
Celery's result backend.

Workers are not trusted: a result is taken only from the worker holding its
item's lease (the result names the lease token it held, :func:`lease_problem`);
any other, and any result for an item the job is not waiting for (never
submitted, or taken already), is ignored and logged, and the item waits on.
A lease (``oxcook:lease:…``) set by the running worker lets the reader send
again items whose worker machine vanished — never one already delivered.
A job none of whose items started or finished for ``stall_timeout``, with no
worker answering a ping, fails naming the queue. Redis errors fail the job's
items with :class:`BackendError` at once — never a hang.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis

from oxcook.worker.farm import keys
from oxcook.worker.wire import RESULT_FOR, WIRE_VERSION, Result, WireError, WorkRef, decode, error_result, peek_version

from .._errors import BackendError
from ._farm_blobs import BlobBook
from ._farm_job import FarmJob, FarmLink

_LEASE_CHECK_S = 5.0
_TAKE_BATCH = 128  # results taken in one round trip (their keys popped together from the job's done list) ...
_TAKE_BYTES = 32 * 2**20  # ... once they hold this much, the rest wait for the next
logger = logging.getLogger(__name__)

# Delete the keys of delivered items (KEYS[2..]), then take results from a job's done list (KEYS[1]): the names
# given (ARGV[5..], popped already) and up to ARGV[1] in all from the list; for each, its result (taken: GETDEL) and
# its item's lease. ARGV[2] and ARGV[3] are the job's result and lease key prefixes (worker.farm.keys). Once the
# results taken hold ARGV[4] bytes, the names left go back to the head of the list, in order: one reply stays a
# few tens of megabytes whatever the textures. Returns how many went back, then name, result, lease for each
# taken (nil where there is none).
_TAKE = """
if #KEYS > 1 then redis.call('DEL', unpack(KEYS, 2)) end
local names = {}
for i = 5, #ARGV do names[#names + 1] = ARGV[i] end
local room = tonumber(ARGV[1]) - #names
if room > 0 then
  local more = redis.call('LPOP', KEYS[1], room)
  if more then for _, name in ipairs(more) do names[#names + 1] = name end end
end
local budget = tonumber(ARGV[4])
local out = {0}
local bytes = 0
for i, name in ipairs(names) do
  if bytes >= budget then
    for j = #names, i, -1 do redis.call('LPUSH', KEYS[1], names[j]) end
    out[1] = #names - i + 1
    break
  end
  local result = redis.call('GETDEL', ARGV[2] .. name)
  if result then bytes = bytes + #result end
  out[#out + 1] = name
  out[#out + 1] = result
  out[#out + 1] = redis.call('GET', ARGV[3] .. name)
end
return out
"""


def lease_problem(claimed: str, holder: bytes | None) -> str | None:
    """Why a result naming lease ``claimed`` is not its item's lease holder's (``holder``: the lease as Redis has it), or ``None``."""
    if holder is None:
        return f"no worker holds the item's lease, and the result names {claimed or 'none'}"
    if not claimed or claimed.encode() != holder:
        return f"the item's lease is held by {holder.decode(errors='replace')}, the result names {claimed or 'none'}"
    return None


class Intake:
    """The readers of a backend's jobs (``publish``: sends an item again; ``on_delivered``: called after each batch)."""

    def __init__(self, link: FarmLink, blobs: BlobBook, *, stall_timeout: float, publish, on_delivered) -> None:
        self._link = link
        self._blobs = blobs
        self.stall_timeout = stall_timeout
        self._publish = publish
        self._on_delivered = on_delivered
        self._take_script = link.redis.register_script(_TAKE)

    def ensure_reader(self, job: FarmJob) -> None:
        if job.reader is None:
            job.reader = asyncio.get_running_loop().create_task(self._read(job))

    async def _read(self, job: FarmJob) -> None:
        """Deliver results of ``job`` in completion order; send again items whose lease lapsed."""
        next_lease_check = time.monotonic() + _LEASE_CHECK_S
        job.alive = time.monotonic()
        done = keys.done(job.name)
        popped: list[bytes] = []
        spent: list[str] = []  # keys of delivered items, deleted by the next command
        more = True  # results may be waiting on the list
        try:
            while not job.forgotten:
                if popped or more:
                    more, spent = await self.take(job, popped, spent)
                    popped = []
                else:
                    popped = await self._wait(done, spent)
                    spent = []
                if time.monotonic() >= next_lease_check:
                    next_lease_check = time.monotonic() + _LEASE_CHECK_S
                    await self._check_leases(job)
                    await self._check_stall(job)
        except redis.RedisError as exc:
            job.fail(BackendError(f"lost the broker at {self._link.shown}: {exc}"))

    async def _wait(self, done: str, spent: list[str]) -> list[bytes]:
        """Delete ``spent`` and wait (a second at most) for a name on the ``done`` list: one round trip."""
        if not spent:
            reply = await self._link.redis.blpop([done], timeout=1)
        else:
            pipe = self._link.redis.pipeline(transaction=False)
            pipe.delete(*spent)
            pipe.blpop([done], timeout=1)
            reply = (await pipe.execute())[1]
        return [reply[1]] if reply is not None else []

    async def take(self, job: FarmJob, popped: list[bytes], spent: list[str]) -> tuple[bool, list[str]]:
        """Delete ``spent``, take the results waiting on ``job``'s done list (``popped``: names taken from it already)
        and deliver those the job waits for, each from the worker holding its lease; returns whether more may be
        waiting, and the keys of the items delivered (to delete)."""
        args = [_TAKE_BATCH, keys.result(job.name, ""), keys.lease(job.name, ""), _TAKE_BYTES, *popped]
        put_back, *replies = await self._take_script(keys=[keys.done(job.name), *spent], args=args)
        if not replies:
            return False, []
        job.alive = time.monotonic()
        spent = []
        unread: list[str] = []
        for name, data, holder in zip(replies[0::3], replies[1::3], replies[2::3], strict=True):
            key = name.decode(errors="replace")
            pending = job.pending.get(key)
            if data is not None and self._deliver(job, key, data, holder):
                spent += (keys.work(job.name, key), keys.attempts(job.name, key), keys.lease(job.name, key))
                if job.chunk_done(key, pending.chunk):
                    spent.append(keys.chunk(job.name, pending.chunk))
                unread += self._blobs.unread(job.name, pending.blobs)
        if unread:  # named before this returns to the loop: an upload of the same blob waits for the deletion
            await self._blobs.delete(spent, unread)
            spent = []
        self._on_delivered(job)
        return put_back > 0 or len(replies) // 3 == _TAKE_BATCH, spent

    def _deliver(self, job: FarmJob, key: str, data: bytes, holder: bytes | None) -> bool:
        """Deliver ``data``, the result stored for item ``key``, if it is one this job waits for, from the worker holding its lease."""
        pending = job.pending.get(key)
        if pending is None or pending.future.done():
            logger.warning("oxcook: ignored a result for %s, an item job %s never submitted or has taken already", key, job.name)
            return False
        try:
            result = decode(data, expect=RESULT_FOR[pending.work.kind])
        except WireError as exc:  # it names no lease to check: it fails its item by name (a worker of another version, usually)
            result = _unreadable(pending.work, data, exc)
        else:
            problem = lease_problem(result.lease, holder)
            if problem is not None:
                logger.warning("oxcook: ignored a result for %s (%s): %s", pending.work.source_id, key, problem)
                return False
        pending.future.set_result(result)
        return True

    async def _check_leases(self, job: FarmJob) -> None:
        # an item delivered in this turn is still pending until its future's callbacks run: not lost, done
        items = [(key, pending) for key, pending in job.pending.items() if not pending.future.done()]
        if not items:
            return
        leases = await self._link.redis.mget([keys.lease(job.name, key) for key, _ in items])
        for (key, pending), lease in zip(items, leases, strict=True):
            if lease is not None:
                pending.started = True
                job.alive = time.monotonic()
            elif pending.started and not await self._link.redis.exists(keys.result(job.name, key)):
                # its worker vanished mid-task (machine lost): run it again elsewhere
                pending.started = False
                await self._publish(job, key, pending)

    async def _check_stall(self, job: FarmJob) -> None:
        """No item of ``job`` started or finished for ``stall_timeout``: if no worker answers a ping, fail the job, naming the queue."""
        waiting = job.waiting()
        if not waiting or time.monotonic() - job.alive < self.stall_timeout:
            return
        app = self._link.app
        replies = await asyncio.get_running_loop().run_in_executor(self._link.publisher, lambda: app.control.ping(timeout=1.0))
        if replies:  # workers are there, only busy (with other jobs): keep waiting
            job.alive = time.monotonic()
            return
        job.fail(
            BackendError(
                f"no worker is consuming queue '{app.conf.task_default_queue}' on broker {self._link.shown} "
                f"({len(waiting)} items waited {self.stall_timeout:.0f} s); start one with: oxcook worker --broker {self._link.shown}"
            )
        )


def _unreadable(work: WorkRef, data: bytes, exc: WireError) -> Result:
    """The failed result of ``work`` whose worker stored bytes that are not a result of ours: it fails its item, not the job."""
    version = peek_version(data)
    if version is not None and version != WIRE_VERSION:
        detail = f"the worker speaks wire v{version}, this coordinator v{WIRE_VERSION} (upgrade one of them)"
    else:
        detail = f"a worker returned an unreadable result: {exc.message}"
    return error_result(work, exc.code, f"{work.source_id}: {detail}")
