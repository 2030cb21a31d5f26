"""The encoder's instruction-set targets, by the names work items and cache keys carry.

Kept apart from the encoder's door (``_bcn``) so the wire and the cache key can
name a target without loading the encoder and numpy.
"""

from __future__ import annotations

# target name -> the CPU flags (/proc/cpuinfo) its ispc_texcomp kernels need
TARGETS = {"sse2": ("sse2",), "sse4": ("sse4_1", "sse4_2"), "avx": ("avx",), "avx2": ("avx2", "fma", "f16c")}
DEFAULT_TARGET = "avx2"  # every x86-64 server CPU since 2013/2017 (Haswell, Zen); a farm of older machines pins sse4
