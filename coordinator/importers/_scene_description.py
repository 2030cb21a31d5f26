"""A scene as plain data: what every format reader produces and the shared scene flow consumes.

A format adapter (glTF, FBX) turns its file into a :class:`SceneDescription` —
images, materials, meshes and nodes — so the flow in ``_scene_importer`` is
written once. :func:`walk_nodes` is the one node-tree walk: depth first,
parents before children, each node once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterable

from oxcook.formats import OxcookError
from oxcook.worker import ImportDiagnostic


@dataclass
class SceneImage:
    """One source image: its bytes and stable id, or why it cannot be read."""

    source_id: str
    data: bytes | None = None
    error: OxcookError | None = None
    path: Path | None = None  # the file its bytes were read from (None: embedded)


@dataclass
class SceneMaterial:
    name: str
    slots: dict[str, tuple[int, str]] = field(default_factory=dict)  # material field -> (image, preset)
    alpha_mode: str = "OPAQUE"  # OPAQUE | MASK | BLEND
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    base_color: tuple = (1.0, 1.0, 1.0, 1.0)
    metalness: float = 0.0
    roughness: float = 1.0
    normal_scale: float = 1.0
    occlusion: float = 1.0
    emissive: tuple = (0.0, 0.0, 0.0)
    orm_packed: bool = False
    uv: dict = field(default_factory=dict)  # uv_scale / uv_offset / uv_rotation_radians / uv_set


@dataclass
class ScenePrimitive:
    """One primitive's vertex data and material.

    ``key`` names what its arrays were made from (for glTF, the accessors of
    each attribute and of the indices): primitives with equal keys hold the same
    arrays, so they pack to the same bytes and are packed and stored once.
    ``None``: no known identity, the primitive is packed on its own.
    """

    arrays: dict  # positions, indices, normals, uvs, tangents, colors (numpy)
    material: int | None
    key: Hashable | None = None


@dataclass
class SceneMeshDesc:
    name: str
    primitives: list[ScenePrimitive]


@dataclass
class SceneNodeDesc:
    name: str
    parent: int | None  # index into the node list; parents come before children
    translation: tuple = (0.0, 0.0, 0.0)
    rotation: tuple = (0.0, 0.0, 0.0, 1.0)
    scale: tuple = (1.0, 1.0, 1.0)
    mesh: int | None = None


@dataclass
class SceneDescription:
    name: str
    images: list[SceneImage]
    materials: list[SceneMaterial]
    meshes: list[SceneMeshDesc]
    nodes: list[SceneNodeDesc]
    warnings: list[ImportDiagnostic] = field(default_factory=list)  # what the reader dropped, reset or clamped
    files: list[Path] = field(default_factory=list)  # every file read, the scene's own first (what the build record stamps)
    estimate: int = 0  # the bytes the coordinator holds for it at most (``_scene_budget``); 0: not estimated

def walk_nodes(
    roots: Iterable[int],
    children: Callable[[int], Iterable],
    make: Callable[[int, int | None], SceneNodeDesc | None],
    revisited: Callable[[int], None] = lambda index: None,
) -> list[SceneNodeDesc]:
    """The node tree below ``roots``, depth first, parents before children, each node once.

    Args:
        roots: the top-level node indices, in order.
        children: a node's child indices (a reference that is not a valid index is skipped by ``make``).
        make: the description of node ``index`` under the output position ``parent``, or ``None`` to skip it.
        revisited: told of a node reached twice (a cycle, or a node shared by two
            parents; glTF forbids both): it is kept once.
    """
    out: list[SceneNodeDesc] = []
    stack: list[tuple[int, int | None]] = [(n, None) for n in reversed(list(roots))]
    visited: set = set()
    while stack:
        index, parent = stack.pop()
        if not isinstance(index, int) or isinstance(index, bool):
            continue
        if index in visited:
            revisited(index)
            continue
        node = make(index, parent)
        if node is None:
            continue
        visited.add(index)
        out.append(node)
        me = len(out) - 1
        stack.extend((child, me) for child in reversed(list(children(index))))
    return out
