"""The envelope kombu's Redis transport wraps every Celery message in, and an oxcook task inside it, checked
before kombu or Celery read them.

A message popped from a queue is JSON: an object with ``properties`` (a
``delivery_tag`` string, ``delivery_info`` naming exchange and routing key, a
``body_encoding``), ``headers``, ``content-type``, ``content-encoding`` and a
``body`` string, base64 when ``body_encoding`` says so. A task message (one
with a ``task`` header) has an ``id`` header and a body ``[args, kwargs,
options]``; an oxcook task takes three strings, ``job``, ``key`` and
``source_id`` (a chunk task: its chunk's key and a label naming its textures). kombu and Celery's consumer index into all of this without
checking, so any other shape raises inside the worker's consumer, which Celery
treats as unrecoverable. This module only says what is wrong; the Celery app
decides what to do with such a message.
"""

from __future__ import annotations

import base64
import binascii
import json

import msgpack

from . import keys

_JSON_TYPES = {list: "a JSON array", str: "a JSON string", int: "a JSON number", float: "a JSON number", bool: "JSON true or false", type(None): "JSON null"}
_BODY_ENCODINGS = (None, "base64")  # what kombu's virtual channel can decode; any other name raises in kombu
_OPTIONAL_TEXT_HEADERS = ("eta", "expires", "shadow", "root_id", "parent_id")
_OXCOOK_TASKS = (keys.TASK_COOK_TEXTURE, keys.TASK_BUILD_MESH, keys.TASK_COOK_CHUNK)
_OXCOOK_TASK_PARAMETERS = ("job", "key", "source_id")
_NoneType = type(None)


def envelope_problem(payload: object) -> str | None:
    """Why ``payload`` (a message popped from a queue, parsed from JSON) is not an envelope kombu can read,
    or holds a task Celery's consumer cannot take; ``None`` when it is fine."""
    if not isinstance(payload, dict):
        return _JSON_TYPES.get(type(payload), type(payload).__name__)
    properties = payload.get("properties")
    if not isinstance(properties, dict):
        return "no properties object"
    if not isinstance(properties.get("delivery_tag"), str):
        return "no delivery tag"
    info = properties.get("delivery_info")
    if not isinstance(info, dict) or not all(isinstance(info.get(key), str) for key in ("exchange", "routing_key")):
        return "no delivery info naming an exchange and a routing key"
    headers = payload.get("headers")
    if not isinstance(headers, (dict, _NoneType)):
        return "headers that are not an object"
    content_type, content_encoding = payload.get("content-type"), payload.get("content-encoding")
    if not isinstance(content_type, (str, _NoneType)) or not isinstance(content_encoding, (str, _NoneType)):
        return "a content type or encoding that is not a string"
    body, encoding = payload.get("body"), properties.get("body_encoding")
    if not isinstance(body, (str, _NoneType)):
        return "a body that is not a string"
    if encoding not in _BODY_ENCODINGS:
        return "an unknown body encoding"
    raw = (body or "").encode()
    if raw and encoding == "base64":
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return "a body that is not base64"
    if headers and "task" in headers:
        return _task_problem(headers, raw, content_type)
    return None


def _task_problem(headers: dict, body: bytes, content_type: str | None) -> str | None:
    if not isinstance(headers["task"], str) or not isinstance(headers.get("id"), str):
        return "a task without a name and an id"
    for key in _OPTIONAL_TEXT_HEADERS:
        if not isinstance(headers.get(key), (str, _NoneType)):
            return f"a task whose {key} is not a string"
    limits = headers.get("timelimit")
    if limits is not None and not (isinstance(limits, list) and len(limits) == 2 and all(_is_number_or_none(v) for v in limits)):
        return "a task whose timelimit is not two numbers"
    try:
        if content_type == "application/json":
            decoded = json.loads(body)
        elif content_type == "application/x-msgpack":
            decoded = msgpack.unpackb(body, raw=False)
        else:
            return None  # Celery refuses a content type it does not accept, by itself
    except (ValueError, TypeError, RecursionError):  # msgpack's errors are ValueErrors; a map keyed by an array is a TypeError
        return f"a task body that is not {content_type.split('/')[-1].removeprefix('x-')}"
    if not (isinstance(decoded, list) and len(decoded) == 3 and isinstance(decoded[0], list) and isinstance(decoded[1], dict) and isinstance(decoded[2], (dict, _NoneType))):
        return "a task body that is not [args, kwargs, options]"
    if headers["task"] in _OXCOOK_TASKS:
        args, kwargs = decoded[0], decoded[1]
        named = dict(zip(_OXCOOK_TASK_PARAMETERS, args))
        if len(args) > len(_OXCOOK_TASK_PARAMETERS) or named.keys() & kwargs.keys():
            return f"{headers['task']} arguments other than {', '.join(_OXCOOK_TASK_PARAMETERS)}"
        named.update(kwargs)
        if sorted(named) != sorted(_OXCOOK_TASK_PARAMETERS) or not all(isinstance(v, str) for v in named.values()):
            return f"{headers['task']} arguments other than three strings {', '.join(_OXCOOK_TASK_PARAMETERS)}"
    return None


def _is_number_or_none(value: object) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
