"""Compute backends: where work items run — a local process pool, or Celery workers fed through Redis."""

from ._backend import ComputeBackend as ComputeBackend
from ._backend import open_backend as open_backend
from ._local_backend import LocalBackend as LocalBackend
from ._urls import KNOWN_SCHEMES as KNOWN_SCHEMES
from ._urls import check_broker_url as check_broker_url
from ._urls import mask_url as mask_url

__all__ = ["KNOWN_SCHEMES", "ComputeBackend", "LocalBackend", "check_broker_url", "mask_url", "open_backend"]
