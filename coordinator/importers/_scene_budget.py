"""A scene's memory in the coordinator, estimated from its shape before its vertex data is read (pure).

A format reader describes what a scene will make the coordinator hold as a
:class:`SceneShape` — read from the glTF JSON's accessor counts, or from the
FBX reader's arrays before their parts are expanded — and
:meth:`SceneBudget.check` refuses a scene whose estimate is over the
coordinator's budget (:class:`SceneTooLarge`) before anything large is made.

What the estimate counts, each where it is largest:

* the input as read: the file, its buffers, its images and its parsed
  document (held while the scene is described; the images until the job ends);
* the arrays the description holds, each accessor once, and the copies one
  accessor makes while it is read (its source type, the float cast, the
  normalisation);
* every pack's result (72-byte vertices and u32 indices), held from its
  arrival until the geometry is written;
* the items in the mesh pipeline's window: a message of the arrays and its
  pickled copy on the way to a pool process, the result's bytes, its
  unpickled copy and the decoded buffers on the way back, and one cache entry
  encoded;
* each mesh's vertex and index buffers joined from its packs, queued for
  writing (a mesh of one pack writes that pack's bytes as they are);
* :data:`SCENE_SLACK`: the modules a scene cook imports, its threads, and heap
  the allocator keeps after a free.

``bench/memory.py`` and ``tests/coordinator/importers/test_scene_budget.py`` measure the
coordinator's peak for generated scenes against this estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from oxcook.formats import VERTEX_STRIDE

from .._errors import SceneTooLarge

READ_COPIES = 3  # one accessor while it is read: its source-type rows, the float32 cast, a normalisation's temporary
WIRE_COPIES = 2  # an item in the window: the message and its pickled copy out, the result and its unpickled copy back
DECODE_COPIES = 3  # the one result being decoded: its bytes, the decoded buffers, a cache entry encoded
SCENE_SLACK = 48 * 2**20


@dataclass(frozen=True)
class PackShape:
    """One primitive packed once: its vertex and index counts and the bytes of the arrays sent for it."""

    vertices: int
    indices: int
    array_bytes: int

    @property
    def packed_bytes(self) -> int:
        return self.vertices * VERTEX_STRIDE + self.indices * 4


@dataclass(frozen=True)
class SceneShape:
    """What a scene makes the coordinator hold, known before its vertex data is read.

    Attributes:
        input_bytes: the file, buffers, images and parsed document as read.
        array_bytes: the arrays of the description, each source array once.
        largest_array: the largest of those (its read makes copies of it).
        packs: each distinct pack once.
        meshes: for each mesh, the packs its buffers hold (indices into ``packs``, each once).
    """

    input_bytes: int
    array_bytes: int
    largest_array: int
    packs: tuple[PackShape, ...]
    meshes: tuple[tuple[int, ...], ...]


def scene_estimate(shape: SceneShape, window: int) -> int:
    """The most bytes the coordinator holds at once for the scene of ``shape`` (see the module docstring).

    Args:
        shape: what the scene holds.
        window: the mesh pipeline's in-flight window (items submitted, not yet collected).
    """
    packed = sum(p.packed_bytes for p in shape.packs)
    moving = sorted((p.array_bytes + p.packed_bytes for p in shape.packs), reverse=True)
    in_flight = WIRE_COPIES * sum(moving[: max(1, window)]) + DECODE_COPIES * (moving[0] if moving else 0)
    joined = sum(sum(shape.packs[p].packed_bytes for p in mesh) for mesh in set(shape.meshes) if len(mesh) > 1)
    return shape.input_bytes + shape.array_bytes + READ_COPIES * shape.largest_array + packed + in_flight + joined + SCENE_SLACK


@dataclass(frozen=True)
class SceneBudget:
    """The coordinator's budget for one scene, and the mesh pipeline window its estimate assumes."""

    budget: int
    window: int

    def check(self, file: str, shape: SceneShape) -> int:
        """The scene's estimate.

        Raises:
            SceneTooLarge: the estimate is over the budget.
        """
        estimate = scene_estimate(shape, self.window)
        if estimate > self.budget:
            raise SceneTooLarge(file, estimate, self.budget)
        return estimate
