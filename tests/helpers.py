"""Test helpers shared by every package's tests: one PSNR, one independent decoder, image bytes."""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
import zlib

import numpy as np
import OpenEXR
import texture2ddecoder
from PIL import Image

from oxcook import formats as f

_DECODERS = {
    f.Format.BC7_UNORM: texture2ddecoder.decode_bc7,
    f.Format.BC7_UNORM_SRGB: texture2ddecoder.decode_bc7,
    f.Format.BC1_UNORM: texture2ddecoder.decode_bc1,
    f.Format.BC3_UNORM: texture2ddecoder.decode_bc3,
}


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB between two arrays of one shape."""
    mse = float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(peak * peak / mse)


def payload_subresources(payload: bytes) -> tuple[object, list[tuple[object, bytes]]]:
    """The parsed header and, per subresource, its layout and pitched bytes."""
    parsed = f.parse_payload(payload)
    base = parsed.header.data_offset_bytes
    return parsed.header, [(s, payload[base + s.offset_bytes : base + s.offset_bytes + s.size_bytes]) for s in parsed.layouts]


def decode_subresource(fmt: int, data: bytes, width: int, height: int, row_pitch: int) -> np.ndarray:
    """Pixels of one subresource as ``(height, width, channels)``, decoded independently
    of our encoder (texture2ddecoder for BCn; numpy for uncompressed)."""
    fmt = f.Format(fmt)
    info = f.FORMAT_INFO[fmt]
    if info.compressed:
        bw, bh = -(-width // 4), -(-height // 4)
        rb = bw * info.bytes_per_block
        tight = b"".join(data[r * row_pitch : r * row_pitch + rb] for r in range(bh))
        bgra = np.frombuffer(_DECODERS[fmt](tight, bw * 4, bh * 4), np.uint8).reshape(bh * 4, bw * 4, 4)
        return bgra[:height, :width][..., [2, 1, 0, 3]]
    rb = f.row_bytes(fmt, width)
    tight = b"".join(data[r * row_pitch : r * row_pitch + rb] for r in range(height))
    dtype = {f.Format.RGBA16_FLOAT: np.float16, f.Format.RGBA32_FLOAT: np.float32, f.Format.R16_UNORM: np.uint16}.get(fmt, np.uint8)
    channels = rb // width // np.dtype(dtype).itemsize
    return np.frombuffer(tight, dtype).reshape(height, width, channels)


def decode_payload(cooked_format: int, payload: bytes, width: int, height: int) -> list[np.ndarray]:
    """Every subresource of a payload, decoded (layer-major)."""
    _, subs = payload_subresources(payload)
    out = []
    mips = None
    for i, (layout, data) in enumerate(subs):
        mips = mips or len(subs)
        out.append(decode_subresource(cooked_format, data, max(1, width >> i), max(1, height >> i), layout.row_pitch_bytes))
    return out


def read_texture(root, index: int) -> tuple[object, bytes]:
    """Row ``index`` of a cooked root's textures table and its payload bytes."""
    layout = f.TEXTURE_RESOURCE_DESC[f.Epoch.B]
    table = (root / "Resources/textures.table").read_bytes()
    row = layout.unpack(table, index * layout.SIZE)
    with open(root / "Resources/textures.data", "rb") as fh:
        fh.seek(row.data_offset)
        return row, fh.read(row.size_bytes)


def snapshot(root) -> dict[str, bytes]:
    """Every file of a cooked root (oxcook's own lock and journal folder excluded)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".oxcook" not in p.relative_to(root).parts
    }


def read_descriptor(root, suffix: str) -> bytes:
    """The descriptor file of the first asset whose virtual path ends with ``suffix``."""
    index = f.parse_index((root / "container.index.bin").read_bytes())
    asset = next(a for a in index.assets if a.virtual_path.endswith(suffix))
    return (root / asset.descriptor_relpath).read_bytes()


def read_buffer(root, index: int) -> bytes:
    """Row ``index`` of a cooked root's buffers table, as its bytes in ``buffers.data``."""
    layout = f.BUFFER_RESOURCE_DESC[f.Epoch.B]
    row = layout.unpack((root / "Resources/buffers.table").read_bytes(), index * layout.SIZE)
    with open(root / "Resources/buffers.data", "rb") as fh:
        fh.seek(row.data_offset)
        return fh.read(row.size_bytes)


def read_jobs(path) -> list[dict]:
    """The jobs of an ``oxcook cook --report`` (the shared shape is checked on the way)."""
    import json
    from pathlib import Path

    report = json.loads(Path(path).read_text())
    assert report["schema_version"] == 2 and set(report["versions"]) == {"oxcook", "encoder"}
    assert report["totals"]["textures"] == sum(j["totals"]["textures"] for j in report["jobs"])
    return report["jobs"]


def read_report(path) -> dict:
    """The one job of a one-job ``oxcook cook --report``."""
    jobs = read_jobs(path)
    assert len(jobs) == 1, [j["input"] for j in jobs]
    return jobs[0]


@contextlib.contextmanager
def root_lock_held(root):
    """Another process holds ``root``'s lock (as a running cook would) until the block ends; yields its pid."""
    hold = "from pathlib import Path; import sys; from oxcook.coordinator.emit import RootLock; lock = RootLock(Path(sys.argv[1])); lock.acquire(0); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def png_bytes(pixels: np.ndarray) -> bytes:
    """``pixels`` as a PNG file's bytes (Pillow)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def png_with_chunk(pixels: np.ndarray, kind: bytes, data: bytes) -> bytes:
    """``pixels`` as a PNG with one more chunk right after IHDR (its CRC right): an ancillary chunk libpng
    warns about (``iCCP`` too short, say) makes a file it decodes with a warning on stderr."""
    png = png_bytes(pixels)
    after_ihdr = 8 + 8 + 13 + 4  # signature, IHDR's length and type, its data, its CRC
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return png[:after_ihdr] + chunk + png[after_ihdr:]


def exr_bytes(pixels: np.ndarray, folder) -> bytes:
    """``pixels`` (half or float RGBA) as a scanline OpenEXR file's bytes, written through ``folder``."""
    path = folder / "img.exr"
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGBA": pixels}).write(str(path))
    return path.read_bytes()


def blocks_of(pixels: np.ndarray) -> np.ndarray:
    """The 4x4 blocks of ``pixels`` (h and w multiples of 4) in raster order: ``(count, 4, 4, c)``."""
    h, w, c = pixels.shape
    return pixels.reshape(h // 4, 4, w // 4, 4, c).swapaxes(1, 2).reshape(-1, 4, 4, c)


def kernel_blocks(monkeypatch) -> list[int]:
    """Spy on the real kernels: the number of blocks of every surface handed to one."""
    import oxcook.worker.cook._bcn as bcn

    seen: list[int] = []
    real = bcn._kernel

    def counting(fmt, target):
        kernel = real(fmt, target)

        def call(surface, out, *settings):
            seen.append((surface._obj.width // 4) * (surface._obj.height // 4))
            return kernel(surface, out, *settings)

        return call

    monkeypatch.setattr(bcn, "_kernel", counting)
    return seen
