"""Texture import errors: one class, a stable code per failure (spec §5.7).

::

    OxcookError (formats)
    └── TextureImportError         code: texture-<kind>, e.g. texture-decode-failed
        └── TextureCancelled       code: texture-cancelled (a stop was requested)

``TextureImportErrorCode`` keeps the engine's numbering (``TextureImportError``:
decode 1–19, validation 20–39, cook 40–59, I/O 60–79) and adds
``IMAGE_TOO_LARGE`` for the decompression-bomb guard the engine lacks. Every
message names the ``source_id``.
"""

from __future__ import annotations

import enum
from typing import Callable

from oxcook.formats import OxcookError


class TextureImportErrorCode(enum.IntEnum):
    UNSUPPORTED_FORMAT = 1
    CORRUPTED_DATA = 2
    OUT_OF_MEMORY = 4
    IMAGE_TOO_LARGE = 5  # oxcook: refused before decoding
    INVALID_DIMENSIONS = 20
    DIMENSION_MISMATCH = 21
    ARRAY_LAYER_COUNT_INVALID = 22
    DEPTH_INVALID_FOR_2D = 23
    INVALID_MIP_POLICY = 24
    INVALID_OUTPUT_FORMAT = 25
    INTENT_FORMAT_MISMATCH = 26
    INVALID_SETTING = 27  # oxcook: a setting outside its range, or a type oxcook does not emit
    MIP_GENERATION_FAILED = 40
    COMPRESSION_FAILED = 41
    OUTPUT_FORMAT_INVALID = 42
    HDR_REQUIRES_FLOAT_FORMAT = 43
    FILE_NOT_FOUND = 60
    FILE_READ_FAILED = 61
    WRITE_FAILED = 62
    PATH_REFUSED = 63  # oxcook: a work item named a file outside the worker's source roots
    CANCELLED = 80

    @property
    def slug(self) -> str:
        return "texture-" + self.name.lower().replace("_", "-")


class TextureImportError(OxcookError):
    """A texture that could not be cooked.

    Attributes:
        error: the :class:`TextureImportErrorCode`.
        source_id: the source the message names (a path, or ``scene.gltf#image3``).
    """

    code = "texture-error"

    def __init__(self, error: TextureImportErrorCode, source_id: str, detail: str) -> None:
        self.error = error
        self.source_id = source_id
        self.detail = detail
        self.code = error.slug
        super().__init__(f"{source_id}: {detail}")


class TextureCancelled(TextureImportError):
    """The job was cancelled; raised at the next stage boundary."""

    def __init__(self, source_id: str, reason: str = "cancelled") -> None:
        super().__init__(TextureImportErrorCode.CANCELLED, source_id, reason)


CancelCheck = Callable[[], bool]


def check_cancelled(cancel: CancelCheck | None, source_id: str, stage: str) -> None:
    """Raise :class:`TextureCancelled` when ``cancel`` says so (polled at every stage and band boundary)."""
    if cancel is not None and cancel():
        raise TextureCancelled(source_id, f"cancelled before {stage}")
