"""What the commands write to stderr: records of Python's ``logging``, one line each, text or JSON.

A command states what happened as an *event* — a name, a message for people
and the fields a log pipeline reads (:func:`emit`) — on the ``oxcook`` logger.
One handler on the root logger writes every record, oxcook's and any
library's (and Python's warnings), to the current ``sys.stderr``:

* ``text``: the message, control characters shown escaped (``_sinks.terminal``);
  a record with an exception gets one line for it, the traceback only with
  ``OXCOOK_DEBUG=1``;
* ``json``: one object a line — ``time`` (ISO 8601, UTC), ``level``, ``event``,
  ``message``, then the event's fields.

:func:`configure` sets the threshold: ``-q`` shows errors and the records marked
``always`` (a job's summary), ``-v`` (and ``json``) also the DEBUG records (a
line per texture). A live progress bar registers itself (:func:`attach_live`):
each line clears it first and draws it again after, so nothing splits the bar.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone
from typing import Protocol

from .._sinks import terminal

LOGGER = logging.getLogger("oxcook")
_RESERVED = ("time", "level", "event", "message")


class LiveLine(Protocol):
    """A line drawn in place on the terminal (the progress bar)."""

    def clear(self) -> None: ...

    def redraw(self) -> None: ...


def _one_line(exc_info) -> str:
    kind, value, _ = exc_info
    return f"{kind.__name__}: {value}" if value is not None and str(value) else kind.__name__


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not hasattr(record, "event"):  # a library's record, or one of oxcook's plain loggers
            message = f"{record.levelname.lower()}: {message}"
        if record.exc_info:
            if os.environ.get("OXCOOK_DEBUG"):
                return terminal(message) + "\n" + self.formatException(record.exc_info)
            message = f"{message} ({_one_line(record.exc_info)})"
        return terminal(message)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entry = {"time": stamp, "level": record.levelname.lower(), "event": getattr(record, "event", "log"), "message": record.getMessage()}
        if not hasattr(record, "event"):
            entry["logger"] = record.name
        if record.exc_info:
            entry["exception"] = _one_line(record.exc_info)
        for key, value in getattr(record, "fields", {}).items():
            if key not in _RESERVED:
                entry[key] = value
        return json.dumps(entry, default=str)


class _Threshold(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level or getattr(record, "always", False)


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (a test's capture, a redirected stream)."""

    def __init__(self) -> None:
        super().__init__()
        self.live: LiveLine | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            live = self.live
            if live is not None:
                live.clear()
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
            if live is not None:
                live.redraw()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


_handler: _StderrHandler | None = None


def configure(*, verbose: bool = False, quiet: bool = False, log_format: str = "text") -> None:
    """Send every record to stderr as ``log_format`` (``text`` or ``json``), at the threshold ``-v``/``-q`` ask for."""
    global _handler
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    level = logging.ERROR if quiet else logging.DEBUG if verbose or log_format == "json" else logging.INFO
    handler = _StderrHandler()
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    handler.addFilter(_Threshold(level))
    root.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)
    logging.captureWarnings(True)
    _handler = handler


def shows(level: int) -> bool:
    """Whether a record at ``level`` (not ``always``) would reach stderr: a caller skips building thousands that would not."""
    return _handler is None or any(level >= f.level for f in _handler.filters if isinstance(f, _Threshold))


def emit(event: str, message: str, /, *, level: int = logging.INFO, always: bool = False, **fields) -> None:
    """Log ``event``: ``message`` for people, ``fields`` for JSON; ``always``: shown under ``-q`` too.

    Before :func:`configure` (``oxcook worker``, whose log is Celery's to set up) a warning or error still
    reaches stderr, as its bare message (``logging.lastResort``)."""
    LOGGER.log(level, "%s", message, extra={"event": event, "fields": fields, "always": always})


def fail(message: str, exit_code: int) -> int:
    """Log ``message`` as an ``error`` event and return ``exit_code``: a command's last line on its way out."""
    emit("error", message, level=logging.ERROR, exit_code=exit_code)
    return exit_code


def attach_live(line: LiveLine | None) -> None:
    """Let ``line`` (or, with ``None``, no line) be cleared before and drawn after each record."""
    if _handler is not None:
        _handler.live = line
