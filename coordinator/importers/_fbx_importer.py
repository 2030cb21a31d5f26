"""``FbxImporter``: binary and ASCII FBX 7.x described as a plain scene for the shared flow.

Parsed with ufbx (the C library, through PyPI's ``ufbx`` binding — the only
maintained FBX 7 parser on PyPI; Autodesk's SDK is not installable there) in a
child process (``_fbx_reader``), because the binding's reference-counting bug
can crash the process that uses it. Polygons are fan-triangulated, faces are
grouped into one primitive per material, UVs are flipped to a top-left origin,
and embedded textures are cooked from their bytes; external ones are read from
inside the FBX file's folder only.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import msgpack
import numpy as np

from oxcook.worker import ImportDiagnostic, ImportSeverity

from .._errors import PathEscapesRoot, SceneError
from ..emit import confined
from ._gltf_reader import MAX_DATA_URI_BYTES
from ._importer import ImportFormat
from ._scene_budget import PackShape, SceneBudget, SceneShape
from ._scene_description import SceneDescription, SceneImage, SceneMaterial, SceneMeshDesc, SceneNodeDesc, ScenePrimitive, walk_nodes
from ._scene_importer import SceneImporter

READER = Path(__file__).with_name("_fbx_reader.py")
PARSE_TIMEOUT_S = 300


def _image(base: Path, texture: dict, index: int, scene_file: str) -> SceneImage:
    relative = (texture.get("relative") or "").replace("\\", "/")
    source_id = relative or f"{scene_file}#texture{index}"
    if texture.get("content"):
        if len(texture["content"]) > MAX_DATA_URI_BYTES:
            return SceneImage(source_id, error=SceneError(f"{scene_file}: embedded texture {source_id!r} is larger than {MAX_DATA_URI_BYTES} bytes"))
        return SceneImage(f"{scene_file}#{source_id}", texture["content"])
    if not relative:
        return SceneImage(source_id, error=SceneError(f"{scene_file}: texture {texture.get('name')!r} names no file"))
    try:
        path = confined(base, relative)
    except PathEscapesRoot as exc:
        return SceneImage(source_id, error=PathEscapesRoot(f"{scene_file}: texture {relative!r} leads outside the scene's folder ({exc.message})"))
    if not path.is_file():
        return SceneImage(source_id, error=SceneError(f"{scene_file}: texture file {relative!r} does not exist"))
    return SceneImage(source_id, path.read_bytes(), path=path)


def _material(data: dict) -> SceneMaterial:
    values = data.get("values", {})
    factor = float(data.get("emission_factor", 1.0))
    emission = values.get("emission_color", [0.0, 0.0, 0.0, 1.0])
    return SceneMaterial(
        name=data.get("name") or "material",
        slots={field: (int(slot[0]), str(slot[1])) for field, slot in data.get("slots", {}).items()},
        base_color=tuple(values.get("base_color", [1.0, 1.0, 1.0, 1.0])),
        metalness=float(values.get("metalness", [0.0])[0]),
        roughness=float(values.get("roughness", [1.0])[0]),
        emissive=tuple(float(v) * factor for v in emission[:3]),
    )


def _mesh(data: dict, scene_file: str, warnings: list[ImportDiagnostic]) -> SceneMeshDesc:
    name = data.get("name") or "mesh"
    positions = np.frombuffer(data["positions"], np.float32).reshape(-1, 3) if data.get("positions") else None
    if positions is None or not np.isfinite(positions).all():
        why = "has no positions" if positions is None else "has NaN or Inf positions"
        warnings.append(ImportDiagnostic(ImportSeverity.WARNING, "scene-primitive-skipped", f"{scene_file}: mesh {name!r} {why}; it is skipped", scene_file))
        return SceneMeshDesc(name, [])
    attributes = {
        "positions": positions,
        "normals": np.frombuffer(data["normals"], np.float32).reshape(-1, 3) if data.get("normals") else None,
        "uvs": np.frombuffer(data["uvs"], np.float32).reshape(-1, 2) if data.get("uvs") else None,
    }
    for key in ("normals", "uvs"):
        if attributes[key] is not None and not np.isfinite(attributes[key]).all():
            attributes[key] = np.nan_to_num(attributes[key], nan=0.0, posinf=0.0, neginf=0.0)
            message = f"{scene_file}: mesh {name!r}: NaN or Inf in {key} replaced by 0"
            warnings.append(ImportDiagnostic(ImportSeverity.WARNING, "scene-vertex-data-clamped", message, scene_file))
    primitives = []
    for part in data.get("parts", []):
        corners = np.frombuffer(part["indices"], np.uint32)
        used, remapped = np.unique(corners, return_inverse=True)  # only this part's corners
        arrays = {key: array[used] for key, array in attributes.items() if array is not None}
        arrays["indices"] = remapped.astype(np.uint32)
        primitives.append(ScenePrimitive(arrays, part.get("material")))
    return SceneMeshDesc(name, primitives)


def _nodes(nodes: list[dict], scene_file: str, warnings: list[ImportDiagnostic]) -> list[SceneNodeDesc]:
    """The node tree below the FBX root, depth first, parents before children."""
    children: dict[int | None, list[int]] = {}
    for i, node in enumerate(nodes):
        children.setdefault(node.get("parent"), []).append(i)
    roots = [c for r, n in enumerate(nodes) if n.get("root") for c in children.get(r, [])]

    def make(index: int, parent: int | None) -> SceneNodeDesc:
        node = nodes[index]
        name = node.get("name") or f"node{index}"
        trs = (tuple(node["translation"]), tuple(node["rotation"]), tuple(node["scale"]))
        if not all(math.isfinite(v) for part in trs for v in part):
            message = f"{scene_file}: node {name!r} has a NaN or Inf transform; it is reset to identity"
            warnings.append(ImportDiagnostic(ImportSeverity.WARNING, "scene-transform-reset", message, scene_file))
            trs = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0))
        return SceneNodeDesc(name, parent, *trs, node.get("mesh"))

    def revisited(index: int) -> None:
        message = f"{scene_file}: node {index} is reached twice; it is kept once"
        warnings.append(ImportDiagnostic(ImportSeverity.WARNING, "scene-node-cycle", message, scene_file))

    return walk_nodes(roots, lambda i: children.get(i, []), make, revisited)


def fbx_shape(data: dict, message_bytes: int, image_bytes: int) -> SceneShape:
    """What the FBX reader's ``data`` (a ``message_bytes`` message) will make the coordinator hold, before its parts are
    expanded: each part a pack of its own, of at most as many vertices as it has corners."""
    packs, meshes, held = [], [], []
    for mesh in data.get("meshes", []):
        vertices = len(mesh.get("positions") or b"") // 12
        per_vertex = 12 + 12 * bool(mesh.get("normals")) + 8 * bool(mesh.get("uvs"))
        held.append((per_vertex - 12) * vertices)  # normals and UVs with NaN or Inf are replaced in a copy
        first = len(packs)
        for part in mesh.get("parts", []):
            corners = len(part.get("indices") or b"") // 4
            used = min(corners, vertices)
            packs.append(PackShape(used, corners, used * per_vertex + corners * 4))
            held.append(8 * corners)  # the part's corners as int64 while they are renumbered
        meshes.append(tuple(range(first, len(packs))))
    return SceneShape(
        input_bytes=2 * message_bytes + image_bytes,  # the reader's message and what it unpacks to
        array_bytes=sum(p.array_bytes for p in packs) + sum(held),
        largest_array=max(held, default=0),
        packs=tuple(packs),
        meshes=tuple(meshes),
    )


def fbx_description(path: Path, budget: SceneBudget | None = None) -> SceneDescription:
    """Parse an FBX file in a child process into a plain scene description.

    Raises:
        SceneTooLarge: its estimate (from the parsed file, before its parts are expanded) is over ``budget``.
        SceneError: ufbx refused the file, or the reader crashed.
    """
    try:
        proc = subprocess.run([sys.executable, str(READER), str(path)], capture_output=True, timeout=PARSE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise SceneError(f"{path.name}: the FBX reader took longer than {PARSE_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if proc.returncode == 3 and detail else f"the FBX reader crashed (exit status {proc.returncode})"
        raise SceneError(f"{path.name}: {reason}")
    try:
        data = msgpack.unpackb(proc.stdout, raw=False)
    except Exception as exc:  # a reader that printed garbage is a crashed reader
        raise SceneError(f"{path.name}: the FBX reader returned unreadable data") from exc
    images = [_image(path.parent, t, i, path.name) for i, t in enumerate(data.get("textures", []))]
    shape = fbx_shape(data, len(proc.stdout), sum(len(image.data or b"") for image in images))
    estimate = budget.check(path.name, shape) if budget is not None else 0
    warnings: list[ImportDiagnostic] = []
    images = [_image(path.parent, t, i, path.name) for i, t in enumerate(data.get("textures", []))]
    return SceneDescription(
        name=path.stem,
        images=images,
        materials=[_material(m) for m in data.get("materials", [])],
        meshes=[_mesh(m, path.name, warnings) for m in data.get("meshes", [])],
        nodes=_nodes(data.get("nodes", []), path.name, warnings),
        warnings=warnings,
        files=[path, *(image.path for image in images if image.path is not None)],
        estimate=estimate,
    )


class FbxImporter(SceneImporter):
    name = "fbx"
    formats = frozenset({ImportFormat.FBX})

    def describe(self, path: Path, budget: SceneBudget) -> SceneDescription:
        return fbx_description(path, budget)
