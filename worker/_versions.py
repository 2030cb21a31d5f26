"""``COOKER_VERSION`` and the pinned encoder target: what cooked bytes depend on, importable without the cooking stack.

``COOKER_VERSION`` changes whenever what a cook yields would change for the
same input and settings (a new filter, a fixed rounding, another layout, a new
figure a result carries). The cook cache's keys and the build record of every
cooked root name it, so a new one cooks everything again. Kept apart from
``cache._key`` (which loads the encoder's module) so the coordinator can tell
that nothing changed without loading it.
"""

import os

from .cook import DEFAULT_TARGET

COOKER_VERSION = "oxcook-cook-5"


def default_target() -> str:
    """``$OXCOOK_ENCODER_TARGET``, else ``avx2``: what a coordinator pins for its jobs."""
    return os.environ.get("OXCOOK_ENCODER_TARGET", DEFAULT_TARGET)
