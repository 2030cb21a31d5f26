"""Quality figures of a cooked texture: its blocks decoded and compared with what the encoder was given.

The reference is the encoder's own input — the working-format samples of each
level (the source's bytes at level 0 where they are level 0, the chain oxcook
filtered for levels 1..) — so a figure measures the output format's loss alone.
:class:`QualityMeter` sees every band as it is encoded (``worker.cook._bands``),
decodes it with a real block decoder (``worker.cook._bcn_decode``; a block the
encoder encoded once for all its repeats is decoded once, then laid out again
wherever it occurs) and keeps only sums: squared errors and sample counts per
level, the texels passing the alpha test, normal angles and their histogram.
Memory is a few rows of one band; the sums of the parts of a split texture add
up to those of the whole (:meth:`QualitySums.combine`): 8-bit squared errors
are whole numbers, and angles are counted in whole :data:`ANGLE_UNIT_DEG`
steps, so they add up exactly in any order. :func:`quality_figures` turns sums into the
figures a report shows (pure).

* ``psnr_db``: level 0 over the colour channels the format stores (RGB; R or
  RG for one- and two-channel formats); ``psnr_alpha_db`` when the format
  stores alpha and level 0 has any texel below opaque; ``mip_psnr_db``: the
  lowest of levels 1.. (none without a chain). The peak is the largest code of
  the samples (255, 65535); for float formats the largest colour sample of the
  level, at least 1.0. Uncompressed formats store the encoder's input as it
  is: their figures are exact (an infinite PSNR).
* ``normal_error_deg`` (normal maps): mean and 99th percentile of the angle
  between decoded and source normals of level 0 (a two-channel format's z
  rebuilt from x and y on both sides), each angle rounded to a whole
  :data:`ANGLE_UNIT_DEG` step; the percentile is the upper edge of its
  :data:`ANGLE_BIN_DEG` bin.
* ``alpha_coverage`` (alpha-test textures): the share of texels whose alpha
  passes the test value, in level 0's source and in every decoded level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Sequence

import numpy as np

from oxcook.formats import FORMAT_INFO, Format

from ._bcn import SharedBlocks
from ._bcn_decode import DECODABLE, decode_blocks

ANGLE_BIN_DEG = 0.01  # width of a normal-angle histogram bin: the precision of the 99th percentile
_UNIT_BITS = 16
ANGLE_UNIT_DEG = 2.0**-_UNIT_BITS  # the step angles are measured in: whole steps add up exactly, in any order
_BINS_PER_DEG = round(1 / ANGLE_BIN_DEG)  # a bin from whole steps in integers: (steps * 100) >> 16
_ANGLE_BINS = 18001  # 0..180 degrees
_CHUNK_ROWS = 64  # rows of a band decoded and compared at a time (a multiple of the block height)
_ANGLE_TEXELS = 16384  # texels whose normal angles are computed at a time: the ~20 float32 temporaries stay in cache

# format -> (colour channels stored, alpha stored); uncompressed formats are exact whatever they store
_STORED = {
    Format.BC1_UNORM: (3, False),
    Format.BC1_UNORM_SRGB: (3, False),
    Format.BC3_UNORM: (3, True),
    Format.BC3_UNORM_SRGB: (3, True),
    Format.BC4_UNORM: (1, False),
    Format.BC5_UNORM: (2, False),
    Format.BC6H_UF16: (3, False),
    Format.BC7_UNORM: (3, True),
    Format.BC7_UNORM_SRGB: (3, True),
    Format.RGBA8_UNORM: (3, True),
    Format.RGBA8_UNORM_SRGB: (3, True),
    Format.RG8_UNORM: (2, False),
    Format.R8_UNORM: (1, False),
    Format.R16_UNORM: (1, False),
    Format.RGBA32_FLOAT: (3, True),
    Format.RGBA16_FLOAT: (3, True),
    Format.RG32_FLOAT: (2, False),
    Format.RG16_FLOAT: (2, False),
    Format.R32_FLOAT: (1, False),
    Format.R16_FLOAT: (1, False),
}


@dataclass(frozen=True)
class LevelSums:
    """What one mip level's comparison adds up to (over every layer), plain numbers that parts add."""

    texels: int = 0
    colour_sse: float = 0.0  # sum of squared differences over the colour channels stored
    colour_samples: int = 0
    alpha_sse: float = 0.0
    alpha_samples: int = 0  # 0: the format stores no alpha
    passing: int = 0  # decoded texels whose alpha passes the alpha test
    peak: float = 0.0  # the PSNR's peak (see the module docstring)

    def __add__(self, other: "LevelSums") -> "LevelSums":
        return LevelSums(
            self.texels + other.texels,
            self.colour_sse + other.colour_sse,
            self.colour_samples + other.colour_samples,
            self.alpha_sse + other.alpha_sse,
            self.alpha_samples + other.alpha_samples,
            self.passing + other.passing,
            max(self.peak, other.peak),
        )


@dataclass(frozen=True)
class NormalSums:
    """Angles between decoded and source normals of level 0: their count, sum and histogram (:data:`ANGLE_BIN_DEG` bins)."""

    count: int = 0
    angle_sum: float = 0.0
    histogram: tuple[int, ...] = ()

    def __add__(self, other: "NormalSums") -> "NormalSums":
        size = max(len(self.histogram), len(other.histogram))
        a, b = self.histogram + (0,) * (size - len(self.histogram)), other.histogram + (0,) * (size - len(other.histogram))
        return NormalSums(self.count + other.count, self.angle_sum + other.angle_sum, tuple(x + y for x, y in zip(a, b)))


@dataclass(frozen=True)
class QualitySums:
    """Everything the figures of one cooked texture (or one part of it) are made from (plain data, on the wire and in the cache)."""

    format: int
    levels: tuple[LevelSums, ...]
    translucent: bool = False  # level 0's source has a texel below opaque
    alpha_cutoff: float | None = None  # the alpha test's value; None: not an alpha-test texture
    source_passing: int = 0  # level-0 source texels passing the alpha test
    normals: NormalSums | None = None  # normal maps only

    @staticmethod
    def combine(parts: Sequence["QualitySums"]) -> "QualitySums":
        """The sums of the whole texture from those of its parts (same format, level count and tests)."""
        first = parts[0]
        levels = list(first.levels)
        normals = first.normals
        for part in parts[1:]:
            if (part.format, len(part.levels), part.alpha_cutoff, part.normals is None) != (first.format, len(first.levels), first.alpha_cutoff, first.normals is None):
                raise ValueError("the parts' quality sums are of different textures")
            levels = [a + b for a, b in zip(levels, part.levels)]
            normals = normals + part.normals if normals is not None else None
        return replace(
            first,
            levels=tuple(levels),
            translucent=any(p.translucent for p in parts),
            source_passing=sum(p.source_passing for p in parts),
            normals=normals,
        )

    def to_plain(self) -> dict:
        """msgpack-ready plain data (the wire's form)."""
        plain = {
            "format": self.format,
            "levels": [[getattr(level, f.name) for f in fields(LevelSums)] for level in self.levels],
            "translucent": self.translucent,
            "source_passing": self.source_passing,
        }
        if self.alpha_cutoff is not None:
            plain["alpha_cutoff"] = self.alpha_cutoff
        if self.normals is not None:
            plain["normals"] = [self.normals.count, self.normals.angle_sum, list(self.normals.histogram)]
        return plain

    @classmethod
    def from_plain(cls, plain: object) -> "QualitySums":
        """The inverse of :meth:`to_plain`.

        Raises:
            ValueError: not the shape :meth:`to_plain` writes (unknown keys, wrong types, negative counts).
        """
        if not isinstance(plain, dict) or not {"format", "levels", "translucent", "source_passing"} <= set(plain) <= {
            "format", "levels", "translucent", "source_passing", "alpha_cutoff", "normals"
        }:
            raise ValueError("quality sums must be a map of format, levels, translucent, source_passing[, alpha_cutoff, normals]")
        levels = []
        for row in _of(plain["levels"], list):
            if not isinstance(row, list) or len(row) != len(_LEVEL_KINDS):
                raise ValueError("a level's quality sums must be a list of 7 numbers")
            levels.append(LevelSums(*map(_number, row, _LEVEL_KINDS)))
        normals = None
        if "normals" in plain:
            triple = _of(plain["normals"], list)
            if len(triple) != 3:
                raise ValueError("normal sums must be [count, angle_sum, histogram]")
            histogram = tuple(_number(n, int) for n in _of(triple[2], list))
            if len(histogram) > _ANGLE_BINS:
                raise ValueError(f"a normal-angle histogram has at most {_ANGLE_BINS} bins")
            normals = NormalSums(_number(triple[0], int), _number(triple[1], float), histogram)
        cutoff = _number(plain["alpha_cutoff"], float) if "alpha_cutoff" in plain else None
        return cls(
            format=_number(plain["format"], int),
            levels=tuple(levels),
            translucent=_of(plain["translucent"], bool),
            alpha_cutoff=cutoff,
            source_passing=_number(plain["source_passing"], int),
            normals=normals,
        )


def _of(value, kind: type):
    if not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


_LEVEL_KINDS = tuple(float if f.type == "float" else int for f in fields(LevelSums))


def _number(value, kind: type):
    # what msgpack gives (a plain int, or a float for a float) is taken at once: a result carries dozens
    if type(value) is int and value >= 0:
        return value if kind is int else float(value)
    if type(value) is float and kind is float and value >= 0:  # NaN fails the comparison
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise ValueError(f"expected a {'whole ' if kind is int else ''}number, found {value!r}")
    if kind is int and value < 0 or kind is float and (math.isnan(value) or value < 0):
        raise ValueError(f"expected a non-negative number, found {value!r}")
    return kind(value)


def _pass_code(cutoff: float) -> int:
    """The smallest 8-bit alpha that passes the test (as the encoder counts it: code / 255 in float32 >= cutoff)."""
    passes = np.nonzero(np.arange(256, dtype=np.float32) / np.float32(255.0) >= np.float32(cutoff))[0]
    return int(passes[0]) if len(passes) else 256


class QualityMeter:
    """Accumulates the quality sums of one cook (every layer, or one part's bands), band by band as they are encoded.

    Args:
        fmt: the output format.
        levels: mip levels of the texture.
        alpha_cutoff: the alpha test's value for an alpha-test texture, else ``None``.
        normals: whether level 0 is a normal map (angles are measured).
    """

    def __init__(self, fmt: Format, levels: int, *, alpha_cutoff: float | None = None, normals: bool = False) -> None:
        self._format = Format(fmt)
        self._colour, self._alpha = _STORED[self._format]
        self._decoded = self._format in DECODABLE
        self._wide = self._format in (Format.R16_UNORM,)
        self._float = FORMAT_INFO[self._format].is_float
        self._levels = [LevelSums() for _ in range(levels)]
        self._cutoff = alpha_cutoff
        self._pass = _pass_code(alpha_cutoff) if alpha_cutoff is not None else 0
        self._normals = normals and not self._float and self._colour >= 2
        self._angles = [0, 0]  # texels measured, their angles in ANGLE_UNIT_DEG steps
        self._histogram = np.zeros(_ANGLE_BINS, np.int64)
        self._translucent = False
        self._source_passing = 0

    def add(self, mip: int, samples: np.ndarray, data: bytes) -> None:
        """Rows of level ``mip``: ``samples`` as the encoder was given them, ``data`` their encoded bytes (tightly packed)."""
        if samples.ndim == 2:
            samples = samples[..., None]
        height, width, channels = samples.shape
        if not self._decoded:  # the bytes are the samples: exact
            flat = samples.reshape(-1, channels)
            self._measure(mip, flat, flat, exact=True)
            return
        row_bytes = -(-width // 4) * FORMAT_INFO[self._format].bytes_per_block
        for a in range(0, height, _CHUNK_ROWS):
            rows = samples[a : a + _CHUNK_ROWS]
            chunk = data[a // 4 * row_bytes : -(-(a + len(rows)) // 4) * row_bytes]
            self._compare(mip, rows, decode_blocks(self._format, chunk, width, len(rows)))

    def add_shared(self, mip: int, shared: SharedBlocks, samples: dict[int, np.ndarray]) -> None:
        """Rows of level ``mip`` that the encoder encoded through their distinct blocks (``shared``; ``samples``
        by the surface's position there): each distinct block is decoded once (and its normal angles
        measured once), and every surface compared with its blocks laid out again, so the sums are
        those :meth:`add` gives."""
        count = len(shared.encoded)
        decoded = decode_blocks(self._format, shared.encoded.tobytes(), 4 * count, 4)
        channels = decoded.shape[2]
        blocks = np.ascontiguousarray(decoded.reshape(4, count, 4, channels).swapaxes(0, 1))  # (block, row, column, channel)
        angles = None
        if mip == 0 and self._normals and not self._float:
            source = shared.source.reshape(count * 16, -1)
            angles = _angle_units(source, blocks.reshape(count * 16, channels), self._colour).reshape(count, 4, 4, 1)
        for i, rows_of in samples.items():
            index = shared.blocks[i]
            for a in range(0, len(rows_of), _CHUNK_ROWS):
                rows = rows_of[a : a + _CHUNK_ROWS]
                picked = index[a // 4 : -(-(a + len(rows)) // 4)]
                self._compare(mip, rows, _laid_out(blocks, picked), None if angles is None else _laid_out(angles, picked))

    def _compare(self, mip: int, rows: np.ndarray, decoded: np.ndarray, angles: np.ndarray | None = None) -> None:
        """``rows`` of samples against their ``decoded`` texels (and normal ``angles``, when known), both padded to whole blocks."""
        height, width, channels = rows.shape
        decoded = decoded[:height, :width]
        units = None if angles is None else angles[:height, :width].reshape(-1)
        self._measure(mip, rows.reshape(-1, channels), decoded.reshape(-1, decoded.shape[2]), units=units)

    def _measure(self, mip: int, source: np.ndarray, decoded: np.ndarray, exact: bool = False, units: np.ndarray | None = None) -> None:
        """Add texels of level ``mip``: ``source`` and ``decoded`` one row a texel (``units``: their normal angles, when known)."""
        texels = len(source)
        colour_sse, alpha_sse = (0.0, 0.0) if exact else self._squared_errors(source, decoded)
        if self._float:
            peak = max(1.0, float(np.max(source[:, : min(3, source.shape[1])], initial=0.0)))
        else:
            peak = 65535.0 if self._wide else 255.0
        has_alpha = source.shape[1] == 4
        passing = 0
        if self._cutoff is not None:
            passing = self._passing(decoded[:, 3]) if self._alpha and has_alpha else texels
        self._levels[mip] += LevelSums(
            texels, colour_sse, texels * self._colour, alpha_sse, texels if self._alpha else 0, passing, peak
        )
        if mip == 0:
            if has_alpha and not self._translucent:
                self._translucent = _below_opaque(source, self._float)
            if self._cutoff is not None:
                self._source_passing += self._passing(source[:, 3]) if has_alpha else texels
            if self._normals and (source.shape[1] >= 3 or self._colour == 2):
                if units is None:
                    units = _angle_units(source, decoded, self._colour)
                bins = np.minimum((units * _BINS_PER_DEG) >> _UNIT_BITS, _ANGLE_BINS - 1)  # 180 degrees * 100 << 16 fits int32
                self._angles[0] += len(units)
                self._angles[1] += int(units.sum(dtype=np.int64))
                self._histogram += np.bincount(bins, minlength=_ANGLE_BINS)

    def _squared_errors(self, source: np.ndarray, decoded: np.ndarray) -> tuple[float, float]:
        if self._float:  # BC6H: float16 samples, RGB decoded
            d = np.subtract(decoded[:, :3], source[:, :3], dtype=np.float64).reshape(-1)
            return float(np.dot(d, d)), 0.0
        k = 4 if self._alpha else self._colour
        # |d| <= 255, so d*d fits 16 bits unsigned: squared in place in int16 (wrapping) and read as uint16
        d = np.subtract(decoded[:, :k], source[:, :k], dtype=np.int16)
        np.multiply(d, d, out=d)
        squares = d.view(np.uint16)
        total = int(squares.sum(dtype=np.uint64))  # whole numbers: exact, and in any order
        alpha = int(squares[:, 3].sum(dtype=np.uint64)) if self._alpha else 0
        return float(total - alpha), float(alpha)

    def _passing(self, alpha: np.ndarray) -> int:
        return int(np.count_nonzero(alpha >= (self._cutoff if self._float else self._pass)))

    def sums(self) -> QualitySums:
        normals = None
        if self._normals:
            histogram = tuple(int(n) for n in np.trim_zeros(self._histogram, "b"))
            normals = NormalSums(self._angles[0], self._angles[1] * ANGLE_UNIT_DEG, histogram)
        return QualitySums(int(self._format), tuple(self._levels), self._translucent, self._cutoff, self._source_passing, normals)


def _below_opaque(source: np.ndarray, is_float: bool) -> bool:
    """Whether any texel's alpha (the 4th column) is below opaque."""
    if not is_float and source.dtype == np.uint8 and source.flags.c_contiguous:
        return bool((source.view("<u4") < 0xFF000000).any())  # alpha is the high byte of a little-endian RGBA word
    return bool((source[:, 3] < (1.0 if is_float else 255)).any())


def _normal_axes(samples: np.ndarray, channels: int) -> np.ndarray:
    """8-bit normal-map samples as (3, texels) float32 vectors scaled by 255 (``2 * code - 255``, whole
    numbers; z rebuilt from x and y when the format stores two channels): angles need no unit length."""
    v = np.empty((3, len(samples)), np.float32)
    taken = 2 if channels == 2 else 3
    np.multiply(samples[:, :taken].T, np.float32(2.0), out=v[:taken], dtype=np.float32)
    v[:taken] -= np.float32(255.0)
    if channels == 2:
        np.sqrt(np.maximum(np.float32(0.0), np.float32(255.0 * 255.0) - v[0] * v[0] - v[1] * v[1]), out=v[2])
    return v


def _laid_out(blocks: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``blocks`` (block, row, column, channel) placed as ``index`` (block rows, block columns) says: texel rows."""
    laid = blocks[index].swapaxes(1, 2)  # (block row, row, block column, column, channel)
    return laid.reshape(laid.shape[0] * 4, -1, blocks.shape[3])


def _angle_units(source: np.ndarray, decoded: np.ndarray, channels: int) -> np.ndarray:
    """The angle between source and decoded normals of every texel in :data:`ANGLE_UNIT_DEG` steps (int32, rounded),
    :data:`_ANGLE_TEXELS` at a time.

    ``atan2(|a x b|, a . b)``, accurate at every angle (an arccos of the dot product
    loses all precision near 0 in float32). Below ~5.7 degrees (``t = |a x b| / a . b
    < 0.1``, nearly every texel) arctan's series is summed to t**7 (the rest is below
    1.2e-10 rad); larger angles take ``np.arctan2``.
    """
    out = np.empty(len(source), np.int32)
    for k in range(0, len(source), _ANGLE_TEXELS):
        a, b = _normal_axes(source[k : k + _ANGLE_TEXELS], channels), _normal_axes(decoded[k : k + _ANGLE_TEXELS], channels)
        cross = a[1] * b[2] - a[2] * b[1]
        np.square(cross, out=cross)
        for i, j in ((2, 0), (0, 1)):
            part = a[i] * b[j] - a[j] * b[i]
            cross += part * part
        norm = np.sqrt(cross, out=cross)
        dot = np.einsum("ij,ij->j", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = norm / dot
        t2 = t * t
        angle = t2 * np.float32(-1.0 / 7.0)
        for coefficient in (1 / 5, -1 / 3):
            angle += np.float32(coefficient)
            angle *= t2
        angle += np.float32(1.0)
        angle *= t
        far = ~((dot > 0) & (norm < np.float32(0.1) * dot))
        if far.any():
            angle[far] = np.arctan2(norm[far], dot[far])
        angle *= np.float32(180.0 / math.pi / ANGLE_UNIT_DEG)
        angle += np.float32(0.5)
        out[k : k + _ANGLE_TEXELS] = angle
    return out


@dataclass(frozen=True)
class QualityFigures:
    """The figures of one cooked texture (dB and degrees; ``math.inf`` for an exact level)."""

    psnr_db: float
    psnr_alpha_db: float | None = None
    mip_psnr_db: float | None = None
    normal_error_deg: tuple[float, float] | None = None  # (mean, 99th percentile)
    alpha_coverage: tuple[float, float, tuple[float, ...]] | None = None  # (test value, level 0's source, every decoded level)
    mip_psnrs_db: tuple[float, ...] = field(default=(), compare=False)  # every level's colour PSNR

    def to_dict(self) -> dict:
        """JSON-ready: a PSNR of an exact level (no error at all) is the string ``"inf"``; figures that do not apply are left out."""
        out: dict = {"psnr_db": _db(self.psnr_db)}
        if self.psnr_alpha_db is not None:
            out["psnr_alpha_db"] = _db(self.psnr_alpha_db)
        if self.mip_psnr_db is not None:
            out["mip_psnr_db"] = _db(self.mip_psnr_db)
        if self.normal_error_deg is not None:
            out["normal_error_deg"] = {"mean": round(self.normal_error_deg[0], 3), "p99": round(self.normal_error_deg[1], 3)}
        if self.alpha_coverage is not None:
            cutoff, source, levels = self.alpha_coverage
            out["alpha_coverage"] = {"cutoff": cutoff, "source": round(source, 5), "mips": [round(c, 5) for c in levels]}
        return out


def _db(value: float) -> float | str:
    return "inf" if math.isinf(value) else round(value, 3)


def _psnr(sse: float, samples: int, peak: float) -> float:
    if sse == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak * samples / sse)


def quality_figures(sums: QualitySums) -> QualityFigures:
    """The figures the sums of a whole texture give (pure)."""
    levels = sums.levels
    psnrs = tuple(_psnr(level.colour_sse, level.colour_samples, level.peak) for level in levels)
    base = levels[0]
    alpha = _psnr(base.alpha_sse, base.alpha_samples, base.peak) if base.alpha_samples and sums.translucent else None
    normals = None
    if sums.normals is not None and sums.normals.count:
        cumulative = np.cumsum(sums.normals.histogram)
        p99_bin = int(np.searchsorted(cumulative, 0.99 * sums.normals.count))
        normals = (sums.normals.angle_sum / sums.normals.count, (p99_bin + 1) * ANGLE_BIN_DEG)
    coverage = None
    if sums.alpha_cutoff is not None and base.texels:
        coverage = (sums.alpha_cutoff, sums.source_passing / base.texels, tuple(level.passing / level.texels if level.texels else 0.0 for level in levels))
    return QualityFigures(psnrs[0], alpha, min(psnrs[1:]) if len(psnrs) > 1 else None, normals, coverage, psnrs)
