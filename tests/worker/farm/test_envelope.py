"""The task envelope check: what oxcook's own sender publishes passes; each shape kombu or Celery would choke on is named."""

from __future__ import annotations

import base64
import copy
import json

import pytest
import redis

from tests.farm_fixtures import RedisServer
from oxcook.worker.farm import keys
from oxcook.worker.farm._envelope import envelope_problem
from oxcook.worker.farm.celery_app import make_app


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """A cook_texture message exactly as the coordinator's Celery app puts it on the queue."""
    server = RedisServer(tmp_path_factory.mktemp("envelope"))
    try:
        make_app(server.url).send_task(keys.TASK_COOK_TEXTURE, args=["job", "key", "a_albedo.png"], task_id="t-1")
        (raw,) = redis.Redis.from_url(server.url).lrange("celery", 0, -1)
        return json.loads(raw)
    finally:
        server.stop()


def _with_body(envelope: dict, body: bytes) -> dict:
    return {**envelope, "body": base64.b64encode(body).decode()}


def test_what_the_sender_publishes_passes(published):
    assert published["headers"]["task"] == keys.TASK_COOK_TEXTURE
    assert envelope_problem(published) is None


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda e: [e], "a JSON array"),
        (lambda e: 42, "a JSON number"),
        (lambda e: {**e, "properties": {**e["properties"], "delivery_tag": 7}}, "no delivery tag"),
        (lambda e: {**e, "properties": {**e["properties"], "delivery_info": {}}}, "no delivery info naming an exchange and a routing key"),
        (lambda e: {**e, "properties": {**e["properties"], "body_encoding": "rot13"}}, "an unknown body encoding"),
        (lambda e: {**e, "body": "abcde"}, "a body that is not base64"),
        (lambda e: {**e, "headers": [1]}, "headers that are not an object"),
        (lambda e: {**e, "headers": {**e["headers"], "id": None}}, "a task without a name and an id"),
        (lambda e: {**e, "headers": {**e["headers"], "timelimit": 5}}, "a task whose timelimit is not two numbers"),
        (lambda e: _with_body(e, b"not json"), "a task body that is not json"),
        (lambda e: _with_body(e, b"[1, 2]"), "a task body that is not [args, kwargs, options]"),
        (lambda e: _with_body(e, b'[["job", "key"], {}, {}]'), "oxcook.cook_texture arguments other than three strings job, key, source_id"),
        (lambda e: _with_body(e, b'[["job", "key", 3], {}, {}]'), "oxcook.cook_texture arguments other than three strings job, key, source_id"),
    ],
    ids=["array", "number", "tag", "delivery-info", "encoding", "base64", "headers", "id", "timelimit", "body-json", "body-shape", "two-args", "number-arg"],
)
def test_each_broken_shape_is_named(published, edit, problem):
    assert envelope_problem(edit(copy.deepcopy(published))) == problem
