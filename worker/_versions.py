"""``COOKER_VERSION`` and the default encoder target: what cooked bytes depend on, importable without the cooking stack.

It changes whenever oxcook's cooked bytes would change for the same input and
settings (a new filter, a fixed rounding, another layout). The cook cache's
keys and the build record of every cooked root name it, so a new one cooks
everything again. Kept apart from ``_cache_key`` (which needs numpy and the
encoder) so the coordinator can tell that nothing changed without loading them.
"""

import os

# 2: BC7 profiles chosen per band of 256 rows (banded cooking)
# 3: an 8-bit source cooked to a float or 16-bit format without a chain (one level, or a split part) is
#    converted as with one, where 2 wrote its raw samples (wrong values, or a refused payload for 1x1 sources)
COOKER_VERSION = "oxcook-cook-3"

DEFAULT_TARGET = "avx2"  # every x86-64 server CPU since 2013/2017 (Haswell, Zen); a farm of older machines pins sse4


def default_target() -> str:
    """``$OXCOOK_ENCODER_TARGET``, else ``avx2``: what a coordinator pins for its jobs."""
    return os.environ.get("OXCOOK_ENCODER_TARGET", DEFAULT_TARGET)
