"""How a farm worker's log reads: each problem on one line, and a stop that was asked for as warnings.

Celery logs a failure with its traceback, and stopping a worker makes several:
honcho, systemd (``KillMode=control-group``) and a terminal's Ctrl-C signal
the whole process group, so the pool's processes end with their tasks half
done while the main process is still stopping ("Task handler raised error:
WorkerLostError…", a traceback each), and a broker stopped at the same time
(honcho stops every process of the Procfile at once) fails the last
acknowledgements. Once a stop was asked for these are expected: a lost task's
message goes back to the queue (late acks, reject on a lost worker) and the
coordinator's lease on the item runs out, so it runs elsewhere.

:class:`OneLineProblems`, a filter on the worker's log handlers, renders each
record's exception as one line (``OXCOOK_DEBUG=1`` keeps the traceback) and,
after :func:`stopping`, makes a warning of a pool process ended by a signal, of
its lost task, and of a broker connection that failed.
"""

from __future__ import annotations

import logging
import os

_stopping = False
_LOST_TASK = "WorkerLostError"
_PROCESS_ENDED = "Process %r pid:%r exited with %r"  # billiard's message for a pool process that ended


def stopping() -> None:
    """The worker was asked to stop: what its stop breaks is expected from now on."""
    global _stopping
    _stopping = True


def _first_line(value: BaseException) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""


def _is_connection_error(value: BaseException | None) -> bool:
    """A failure to reach the broker (redis-py's and kombu's connection errors, a refused socket), or one caused by it."""
    seen = 0
    while value is not None and seen < 8:
        if isinstance(value, ConnectionError) or type(value).__name__ in ("ConnectionError", "OperationalError", "TimeoutError"):
            return True
        value, seen = value.__cause__ or value.__context__, seen + 1
    return False


class OneLineProblems(logging.Filter):
    """Rewrites a record in place: its exception as one line; after :func:`stopping`, what the stop breaks as a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        value = record.exc_info[1] if record.exc_info else None
        value = getattr(value, "exc", value) if type(value).__name__ == "ExceptionWithTraceback" else value  # billiard's wrapper: the traceback as its text
        if _stopping and record.levelno >= logging.ERROR and self._broken_by_the_stop(record, value):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            if value is not None and type(value).__name__ == _LOST_TASK:
                record.msg, record.args = f"oxcook: a task's pool process ended as the worker stops ({_first_line(value)}); the task goes back to the queue", None
        if value is not None and not os.environ.get("OXCOOK_DEBUG"):
            message, said, kind = record.getMessage(), _first_line(value), type(value).__name__
            if said not in message:
                message = f"{message}: {kind}: {said}" if said else f"{message}: {kind}"
            elif kind not in message:  # the exception's text is there: name its kind too (ContentDisallowed, WorkerLostError…)
                message = f"{message} ({kind})"
            record.msg, record.args = message, None
            record.exc_info = record.exc_text = None
        return True

    @staticmethod
    def _broken_by_the_stop(record: logging.LogRecord, value: BaseException | None) -> bool:
        if record.msg == _PROCESS_ENDED:
            return True
        return value is not None and (type(value).__name__ == _LOST_TASK or _is_connection_error(value))


def quiet_handlers(logger: logging.Logger) -> None:
    """Put :class:`OneLineProblems` on each of ``logger``'s handlers (once)."""
    for handler in logger.handlers:
        if not any(isinstance(f, OneLineProblems) for f in handler.filters):
            handler.addFilter(OneLineProblems())
