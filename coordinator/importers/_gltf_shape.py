"""What a glTF scene will make the coordinator hold, from its JSON alone (pure over the loaded document).

Read before any accessor is: each primitive's pack is named by the accessors
of its attributes and indices (as ``_gltf_importer`` keys it), so primitives
that share them count once. A count is taken only as far as the bytes behind
it reach (its buffer view, or the zeros a file may synthesize): a count the
data cannot back fails the read, named by its JSON pointer, and is not this
estimate's to refuse. Anything malformed is skipped here for the reader to
name.
"""

from __future__ import annotations

import sys

import numpy as np

from ._gltf_reader import _COMPONENTS, _DTYPES, MAX_SYNTHESIZED_BYTES, GltfDocument
from ._scene_budget import PackShape, SceneShape

_ATTRIBUTES = ("POSITION", "NORMAL", "TEXCOORD_0", "TANGENT", "COLOR_0")  # the ones the importer reads


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _get(items: object, index: object) -> dict:
    """``items[index]`` when both are what glTF says they are, else an empty object."""
    if isinstance(items, list) and _is_index(index) and index < len(items) and isinstance(items[index], dict):
        return items[index]
    return {}


def _int(obj: dict, key: str, default: int = 0) -> int:
    value = obj.get(key, default)
    return value if _is_index(value) else default


def accessor_extent(doc: GltfDocument, index: object) -> tuple[int, int]:
    """``(count, components)`` of an accessor, its count cut to what its data can hold."""
    acc = _get(doc.json.get("accessors"), index)
    dtype, components = _DTYPES.get(acc.get("componentType")), _COMPONENTS.get(acc.get("type"))
    if dtype is None or components is None:
        return 0, 0
    element = np.dtype(dtype).itemsize * components
    count = _int(acc, "count")
    if "bufferView" not in acc:
        return min(count, MAX_SYNTHESIZED_BYTES // element), components
    view = _get(doc.json.get("bufferViews"), acc["bufferView"])
    room = _int(view, "byteLength") - _int(acc, "byteOffset")
    stride = _int(view, "byteStride") or element
    return (min(count, (room - element) // stride + 1) if room >= element else 0), components


def json_bytes(value: object) -> int:
    """The bytes of a parsed JSON document's Python objects."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def gltf_shape(doc: GltfDocument, image_bytes: int) -> SceneShape:
    """The :class:`SceneShape` of a loaded glTF document whose images (``image_bytes`` in all) are read."""
    held: dict[tuple[str, int], int] = {}  # (attribute or indices, accessor) -> bytes of the array made from it
    packs: dict[tuple, PackShape] = {}
    meshes = []
    for mesh in doc.json.get("meshes") or []:
        primitives = mesh.get("primitives") if isinstance(mesh, dict) else None
        mesh_packs: dict[tuple, None] = {}
        for prim in primitives if isinstance(primitives, list) else []:
            attrs = prim.get("attributes") if isinstance(prim, dict) else None
            if not isinstance(attrs, dict) or "POSITION" not in attrs:
                continue
            sources = {name: attrs[name] for name in _ATTRIBUTES if name in attrs and _is_index(attrs[name])}
            size = 0
            for source in sources.values():
                count, components = accessor_extent(doc, source)
                held["attribute", source] = count * components * 4
                size += count * components * 4
            vertices = accessor_extent(doc, sources.get("POSITION"))[0]
            indices = prim.get("indices")
            index_count = accessor_extent(doc, indices)[0] if _is_index(indices) else vertices
            if _is_index(indices):
                held["indices", indices] = index_count * 4
            key = (tuple(sorted(sources.items())), indices)
            packs.setdefault(key, PackShape(vertices, index_count, size + index_count * 4))
            mesh_packs[key] = None
        meshes.append(tuple(mesh_packs))
    order = {key: n for n, key in enumerate(packs)}
    buffers = sum(len(b) for b in doc.buffers if b is not None)
    return SceneShape(
        input_bytes=doc.path.stat().st_size + buffers + json_bytes(doc.json) + image_bytes,
        array_bytes=sum(held.values()),
        largest_array=max(held.values(), default=0),
        packs=tuple(packs.values()),
        meshes=tuple(tuple(order[key] for key in mesh) for mesh in meshes),
    )


def gltf_scene_estimate(path, window: int) -> int:
    """The coordinator's estimated peak for cooking the glTF/GLB at ``path`` with an in-flight window of
    ``window`` (its images not counted), read from its JSON before any accessor is.

    Raises:
        SceneError: the file is not a glTF the reader accepts.
    """
    from ._gltf_reader import load_gltf
    from ._scene_budget import scene_estimate

    return scene_estimate(gltf_shape(load_gltf(path), 0), window)
