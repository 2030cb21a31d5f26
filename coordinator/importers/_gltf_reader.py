"""Reading glTF 2.0 (``.gltf`` and ``.glb``) into plain data: JSON, buffers, images, accessors.

Nothing here trusts the file: GLB chunk lengths, buffer views and accessors are
checked against the bytes present; external URIs are resolved inside the
scene's folder (``..`` and absolute paths are refused); ``data:`` URIs are
bounded in size. Failures that break the whole scene raise :class:`SceneError`;
a bad image is the caller's business (it becomes a diagnostic and index 0).
"""

from __future__ import annotations

import base64
import json
import struct
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import PathEscapesRoot, SceneError
from ..emit import confined

MAX_DATA_URI_BYTES = 256 * 1024 * 1024
_GLB_MAGIC = b"glTF"
_CHUNK_JSON, _CHUNK_BIN = 0x4E4F534A, 0x004E4942
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


@dataclass
class GltfDocument:
    path: Path
    json: dict
    buffers: list[bytes | None]  # None: a buffer that could not be loaded (the error is in buffer_errors)
    buffer_errors: dict[int, str]

    @property
    def base(self) -> Path:
        return self.path.parent

    def list(self, key: str) -> list:
        value = self.json.get(key, [])
        return value if isinstance(value, list) else []


def _decode_data_uri(uri: str, what: str) -> bytes:
    header, _, data = uri.partition(",")
    if ";base64" not in header:
        return urllib.parse.unquote_to_bytes(data)
    if len(data) * 3 // 4 > MAX_DATA_URI_BYTES:
        raise SceneError(f"{what}: data: URI larger than {MAX_DATA_URI_BYTES} bytes")
    try:
        return base64.b64decode(data, validate=True)
    except ValueError as exc:
        raise SceneError(f"{what}: data: URI is not valid base64") from exc


def resolve_uri(base: Path, uri: str, what: str) -> Path:
    """A relative URI as a path inside ``base``.

    Raises:
        PathEscapesRoot: the URI is absolute or leaves the folder.
    """
    path = urllib.parse.unquote(uri)
    if path.startswith("/") or "://" in uri:
        raise PathEscapesRoot(f"{what}: URI {uri!r} is absolute; only paths inside the scene's folder are read")
    try:
        return confined(base, path)
    except PathEscapesRoot as exc:
        raise PathEscapesRoot(f"{what}: URI {uri!r} leads outside the scene's folder") from exc


def load_gltf(path: Path) -> GltfDocument:
    """Parse a ``.gltf`` or ``.glb`` file and load its buffers.

    Raises:
        SceneError: not glTF 2.0, truncated, or invalid JSON.
    """
    data = path.read_bytes()
    bin_chunk: bytes | None = None
    if data[:4] == _GLB_MAGIC:
        if len(data) < 12:
            raise SceneError(f"{path.name}: GLB header truncated")
        _, version, length = struct.unpack_from("<4sII", data, 0)
        if version != 2:
            raise SceneError(f"{path.name}: GLB version {version}; oxcook reads glTF 2.0")
        if length != len(data):
            raise SceneError(f"{path.name}: GLB declares {length} bytes but the file has {len(data)} (truncated?)")
        offset, chunks = 12, {}
        while offset + 8 <= len(data):
            size, kind = struct.unpack_from("<II", data, offset)
            if offset + 8 + size > len(data):
                raise SceneError(f"{path.name}: GLB chunk at {offset} runs past the end of the file")
            chunks.setdefault(kind, data[offset + 8 : offset + 8 + size])
            offset += 8 + size
        if _CHUNK_JSON not in chunks:
            raise SceneError(f"{path.name}: GLB has no JSON chunk")
        text, bin_chunk = chunks[_CHUNK_JSON], chunks.get(_CHUNK_BIN)
    else:
        text = data
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SceneError(f"{path.name}: not valid glTF JSON: {exc}") from exc
    if not isinstance(document, dict) or str(document.get("asset", {}).get("version", "")).split(".")[0] != "2":
        raise SceneError(f"{path.name}: not a glTF 2.0 asset")
    buffers: list[bytes | None] = []
    errors: dict[int, str] = {}
    for i, buffer in enumerate(document.get("buffers", [])):
        what = f"{path.name}: buffer {i}"
        uri = buffer.get("uri")
        try:
            if uri is None:
                if bin_chunk is None:
                    raise SceneError(f"{what} has no URI and the file has no BIN chunk")
                content = bin_chunk
            elif uri.startswith("data:"):
                content = _decode_data_uri(uri, what)
            else:
                file = resolve_uri(path.parent, uri, what)
                if not file.is_file():
                    raise SceneError(f"{what}: {uri!r} does not exist")
                content = file.read_bytes()
            if len(content) < int(buffer.get("byteLength", 0)):
                raise SceneError(f"{what}: {len(content)} bytes, byteLength says {buffer.get('byteLength')}")
            buffers.append(content)
        except (SceneError, PathEscapesRoot) as exc:
            buffers.append(None)
            errors[i] = exc.message
    return GltfDocument(path, document, buffers, errors)


def buffer_view_bytes(doc: GltfDocument, index: int) -> tuple[bytes, int]:
    """The bytes of a buffer view and its byte stride (0 = tightly packed).

    Raises:
        SceneError: a missing buffer or a view outside it.
    """
    views = doc.list("bufferViews")
    if not 0 <= index < len(views):
        raise SceneError(f"{doc.path.name}: bufferView {index} does not exist")
    view = views[index]
    buffer_index = view.get("buffer", -1)
    if not 0 <= buffer_index < len(doc.buffers) or doc.buffers[buffer_index] is None:
        raise SceneError(doc.buffer_errors.get(buffer_index, f"{doc.path.name}: bufferView {index} names a missing buffer"))
    data = doc.buffers[buffer_index]
    start, length = int(view.get("byteOffset", 0)), int(view.get("byteLength", 0))
    if start < 0 or length < 0 or start + length > len(data):
        raise SceneError(f"{doc.path.name}: bufferView {index} [{start}, {start + length}) lies outside its {len(data)}-byte buffer")
    return data[start : start + length], int(view.get("byteStride", 0))


def read_accessor(doc: GltfDocument, index: int) -> np.ndarray:
    """An accessor's elements as ``(count, components)``, floats for normalized integers.

    Raises:
        SceneError: unknown types, sparse storage, or data outside its view.
    """
    accessors = doc.list("accessors")
    if not 0 <= index < len(accessors):
        raise SceneError(f"{doc.path.name}: accessor {index} does not exist")
    acc = accessors[index]
    what = f"{doc.path.name}: accessor {index}"
    dtype = _DTYPES.get(acc.get("componentType"))
    components = _COMPONENTS.get(acc.get("type"))
    count = int(acc.get("count", 0))
    if dtype is None or components is None or count < 0:
        raise SceneError(f"{what}: unsupported componentType/type {acc.get('componentType')}/{acc.get('type')}")
    if "sparse" in acc:
        raise SceneError(f"{what}: sparse accessors are not supported yet")
    itemsize = np.dtype(dtype).itemsize
    if "bufferView" not in acc:
        values = np.zeros((count, components), dtype)
    else:
        data, stride = buffer_view_bytes(doc, acc["bufferView"])
        offset = int(acc.get("byteOffset", 0))
        element = itemsize * components
        stride = stride or element
        needed = offset + stride * (count - 1) + element if count else 0
        if offset < 0 or needed > len(data):
            raise SceneError(f"{what}: needs {needed} bytes of its {len(data)}-byte bufferView")
        raw = np.frombuffer(data, np.uint8, count=max(needed - offset, 0), offset=offset) if count else np.zeros(0, np.uint8)
        rows = np.lib.stride_tricks.as_strided(raw, shape=(count, element), strides=(stride, 1)) if count else raw.reshape(0, element)
        values = np.ascontiguousarray(rows).view(dtype).reshape(count, components)
    if acc.get("normalized") and dtype != np.float32:
        info = np.iinfo(dtype)
        values = np.maximum(values.astype(np.float32) / info.max, -1.0)
    return values


def image_source(doc: GltfDocument, index: int) -> tuple[bytes, str]:
    """An image's encoded bytes and a stable source id (``scene.gltf#image3`` or its file).

    Raises:
        SceneError, PathEscapesRoot: the image cannot be read (the caller falls back to index 0).
    """
    images = doc.list("images")
    if not 0 <= index < len(images):
        raise SceneError(f"{doc.path.name}: image {index} does not exist")
    image = images[index]
    what = f"{doc.path.name}: image {index}"
    uri = image.get("uri")
    if uri is not None and not uri.startswith("data:"):
        file = resolve_uri(doc.base, uri, what)
        if not file.is_file():
            raise SceneError(f"{what}: {uri!r} does not exist")
        return file.read_bytes(), file.relative_to(doc.base.resolve()).as_posix()
    if uri is not None:
        return _decode_data_uri(uri, what), f"{doc.path.name}#image{index}"
    if "bufferView" in image:
        data, _ = buffer_view_bytes(doc, image["bufferView"])
        return data, f"{doc.path.name}#image{index}"
    raise SceneError(f"{what} has neither a URI nor a bufferView")
