"""Reading glTF 2.0 (``.gltf`` and ``.glb``) into plain data: JSON, buffers, images, accessors.

Nothing here trusts the file: every JSON value is read through a typed access
that names its JSON pointer when the type or range is wrong
(``/accessors/3/count``), and every element's ``name`` must be a string
(``/scenes/0/name``), used or not; GLB chunk lengths, buffer views and accessors are
checked against the bytes present; an accessor without a buffer view (zeros)
is bounded by ``MAX_SYNTHESIZED_BYTES`` for the whole file; external URIs are
resolved inside the scene's folder (``..`` and absolute paths are refused);
``data:`` URIs are bounded in size. Failures that break the whole scene raise
:class:`SceneError`; a bad image is the caller's business (it becomes a
diagnostic and index 0).
"""

from __future__ import annotations

import base64
import json
import struct
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import PathEscapesRoot, SceneError
from ..emit import confined

MAX_DATA_URI_BYTES = 256 * 1024 * 1024
MAX_SYNTHESIZED_BYTES = 16 * 1024 * 1024  # zeros made for accessors that have no buffer view, per file (real data has a view)
_ARRAYS = ("accessors", "bufferViews", "buffers", "images", "materials", "meshes", "nodes", "samplers", "scenes", "textures")
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_GLB_MAGIC = b"glTF"
_CHUNK_JSON, _CHUNK_BIN = 0x4E4F534A, 0x004E4942
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


def _type_name(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


@dataclass
class GltfDocument:
    path: Path
    json: dict
    buffers: list[bytes | None]  # None: a buffer that could not be loaded (the error is in buffer_errors)
    buffer_errors: dict[int, str]
    synthesized: int = 0  # bytes of zeros made for accessors without a buffer view
    files: list[Path] = field(default_factory=list)  # every file read besides the scene's own (buffers, images)

    @property
    def base(self) -> Path:
        return self.path.parent

    def invalid(self, pointer: str, problem: str) -> SceneError:
        return SceneError(f"{self.path.name}: {pointer}: {problem}")

    def list(self, key: str) -> list[dict]:
        """A top-level array (``[]`` when absent); checked once at load to hold only objects."""
        return self.json.get(key, [])

    def item(self, key: str, index: object, pointer: str) -> dict:
        """Element ``index`` of a top-level array, named by the ``pointer`` that referenced it."""
        items = self.list(key)
        if isinstance(index, bool) or not isinstance(index, int):
            raise self.invalid(pointer, f"expected an index into /{key}, found {_type_name(index)}")
        if not 0 <= index < len(items):
            raise self.invalid(pointer, f"/{key}/{index} does not exist ({len(items)} {key})")
        return items[index]

    def value(self, obj: dict, key: str, pointer: str, kind: type | tuple, default=None, *, minimum: float | None = None):
        """``obj[key]`` checked against ``kind`` (``default`` when absent), named by ``pointer/key`` when wrong."""
        if key not in obj:
            return default
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds:
            kinds = kinds + (int,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise self.invalid(f"{pointer}/{key}", f"expected {' or '.join(_JSON_TYPES.get(k, k.__name__) for k in kinds[:1])}, found {_type_name(value)}")
        if minimum is not None and value < minimum:
            raise self.invalid(f"{pointer}/{key}", f"{value} is below {minimum}")
        return value

    def numbers(self, obj: dict, key: str, pointer: str, count: int, default: tuple) -> tuple[float, ...]:
        """A fixed-length array of numbers (a transform, a factor)."""
        values = self.value(obj, key, pointer, list, None)
        if values is None:
            return default
        if len(values) != count or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
            raise self.invalid(f"{pointer}/{key}", f"expected {count} numbers, found {json.dumps(values)[:80]}")
        return tuple(float(v) for v in values)


def _check_shape(document: dict, name: str) -> None:
    """The top-level arrays glTF defines must be arrays of objects (a string where an array is due is named),
    and each object's ``name``, when present, a string: checked here for every element, read or not, as any
    other wrong-typed field fails the scene."""
    for key in _ARRAYS:
        if key not in document:
            continue
        items = document[key]
        if not isinstance(items, list):
            raise SceneError(f"{name}: /{key}: expected an array, found {_type_name(items)}")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise SceneError(f"{name}: /{key}/{i}: expected an object, found {_type_name(item)}")
            if "name" in item and not isinstance(item["name"], str):
                raise SceneError(f"{name}: /{key}/{i}/name: expected a string, found {_type_name(item['name'])}")


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
    except RecursionError:
        raise SceneError(f"{path.name}: the JSON is nested too deeply to be a glTF file") from None
    asset = document.get("asset") if isinstance(document, dict) else None
    if not isinstance(asset, dict) or str(asset.get("version", "")).split(".")[0] != "2":
        raise SceneError(f"{path.name}: not a glTF 2.0 asset")
    _check_shape(document, path.name)
    doc = GltfDocument(path, document, [], {})
    for i, buffer in enumerate(doc.list("buffers")):
        what = f"{path.name}: buffer {i}"
        uri = doc.value(buffer, "uri", f"/buffers/{i}", str)
        length = doc.value(buffer, "byteLength", f"/buffers/{i}", int, 0, minimum=0)
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
                doc.files.append(file)
                content = file.read_bytes()
            if len(content) < length:
                raise SceneError(f"{what}: {len(content)} bytes, byteLength says {length}")
            doc.buffers.append(content)
        except (SceneError, PathEscapesRoot) as exc:
            doc.buffers.append(None)
            doc.buffer_errors[i] = exc.message
    return doc


def buffer_view_bytes(doc: GltfDocument, index: int, pointer: str) -> tuple[bytes, int]:
    """The bytes of a buffer view and its byte stride (0 = tightly packed).

    Raises:
        SceneError: a missing buffer, a view outside it, or a value of the wrong type.
    """
    view = doc.item("bufferViews", index, pointer)
    at = f"/bufferViews/{index}"
    buffer_index = doc.value(view, "buffer", at, int, -1)
    if not 0 <= buffer_index < len(doc.buffers) or doc.buffers[buffer_index] is None:
        raise SceneError(doc.buffer_errors.get(buffer_index, f"{doc.path.name}: {at}/buffer: buffer {buffer_index} is missing"))
    data = doc.buffers[buffer_index]
    start = doc.value(view, "byteOffset", at, int, 0, minimum=0)
    length = doc.value(view, "byteLength", at, int, 0, minimum=0)
    stride = doc.value(view, "byteStride", at, int, 0, minimum=0)
    if start + length > len(data):
        raise doc.invalid(at, f"[{start}, {start + length}) lies outside its {len(data)}-byte buffer")
    if stride and not 4 <= stride <= 252:
        raise doc.invalid(f"{at}/byteStride", f"{stride} is outside glTF's 4..252")
    return data[start : start + length], stride


def read_accessor(doc: GltfDocument, index: int, pointer: str = "") -> np.ndarray:
    """An accessor's elements as ``(count, components)``, floats for normalized integers.

    Raises:
        SceneError: unknown types, sparse storage, data outside its view, a value
            of the wrong type, or zeros beyond ``MAX_SYNTHESIZED_BYTES`` (each named by its JSON pointer).
    """
    acc = doc.item("accessors", index, pointer or f"/accessors/{index}")
    at = f"/accessors/{index}"
    dtype = _DTYPES.get(doc.value(acc, "componentType", at, int))
    components = _COMPONENTS.get(doc.value(acc, "type", at, str))
    count = doc.value(acc, "count", at, int, 0, minimum=0)
    if dtype is None or components is None:
        raise doc.invalid(at, f"unsupported componentType/type {acc.get('componentType')}/{acc.get('type')}")
    if "sparse" in acc:
        raise doc.invalid(f"{at}/sparse", "sparse accessors are not supported yet")
    itemsize = np.dtype(dtype).itemsize
    element = itemsize * components
    if "bufferView" not in acc:
        size = count * element
        if doc.synthesized + size > MAX_SYNTHESIZED_BYTES:
            raise doc.invalid(f"{at}/count", f"{count} elements with no bufferView would be {size} bytes of zeros; the limit is {MAX_SYNTHESIZED_BYTES} per file")
        doc.synthesized += size
        values = np.zeros((count, components), dtype)
    else:
        data, stride = buffer_view_bytes(doc, doc.value(acc, "bufferView", at, int), f"{at}/bufferView")
        offset = doc.value(acc, "byteOffset", at, int, 0, minimum=0)
        stride = stride or element
        needed = offset + stride * (count - 1) + element if count else 0
        if needed > len(data):
            raise doc.invalid(f"{at}/count", f"{count} elements need {needed} bytes of its {len(data)}-byte bufferView")
        raw = np.frombuffer(data, np.uint8, count=max(needed - offset, 0), offset=offset) if count else np.zeros(0, np.uint8)
        rows = np.lib.stride_tricks.as_strided(raw, shape=(count, element), strides=(stride, 1)) if count else raw.reshape(0, element)
        values = np.ascontiguousarray(rows).view(dtype).reshape(count, components)
    if doc.value(acc, "normalized", at, bool, False) and dtype != np.float32:
        info = np.iinfo(dtype)
        values = np.maximum(values.astype(np.float32) / info.max, -1.0)
    return values


def image_source(doc: GltfDocument, index: int) -> tuple[bytes, str]:
    """An image's encoded bytes and a stable source id (``scene.gltf#image3`` or its file).

    Raises:
        SceneError, PathEscapesRoot: the image cannot be read (the caller falls back to index 0).
    """
    image = doc.item("images", index, f"/images/{index}")
    what = f"{doc.path.name}: image {index}"
    uri = doc.value(image, "uri", f"/images/{index}", str)
    if uri is not None and not uri.startswith("data:"):
        file = resolve_uri(doc.base, uri, what)
        if not file.is_file():
            raise SceneError(f"{what}: {uri!r} does not exist")
        doc.files.append(file)
        return file.read_bytes(), file.relative_to(doc.base.resolve()).as_posix()
    if uri is not None:
        return _decode_data_uri(uri, what), f"{doc.path.name}#image{index}"
    if "bufferView" in image:
        data, _ = buffer_view_bytes(doc, image["bufferView"], f"/images/{index}/bufferView")
        return data, f"{doc.path.name}#image{index}"
    raise SceneError(f"{what} has neither a URI nor a bufferView")
