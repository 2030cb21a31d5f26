"""``SceneAssetDesc`` (``.oscene``): nodes, strings, component tables, environment (spec §4.6).

File order (offsets are relative to the descriptor start)::

    SceneAssetDesc (139 B in Epoch B)
    NodeRecord[node_count]           68 B each; node 0 is the root (its own parent)
    scene string table               starts with NUL
    SceneComponentTableDesc[count]   the component directory
    component records                e.g. RenderableRecord[] ('MESH')
    SceneEnvironmentBlockHeader      trailing; oxcook writes an empty block

oxcook writes renderables only; the other component tables are read as raw
records so a container written by other tools still validates.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ._asset_header import ASSET_HEADER, AssetType, make_header
from ._errors import FormatCorrupt
from ._identity import NIL_KEY
from ._index import Epoch
from ._layout import Layout

SCENE_ASSET_VERSION = {Epoch.A: 2, Epoch.B: 3}


class NodeFlags(enum.IntFlag):
    NONE = 0
    VISIBLE = 0x01
    STATIC = 0x02
    CASTS_SHADOWS = 0x04
    RECEIVES_SHADOWS = 0x08
    RAY_CASTING_SELECTABLE = 0x10
    IGNORE_PARENT_TRANSFORM = 0x20


DEFAULT_NODE_FLAGS = NodeFlags.VISIBLE | NodeFlags.CASTS_SHADOWS | NodeFlags.RECEIVES_SHADOWS


def _fourcc(text: str) -> int:
    return int.from_bytes(text.encode("ascii"), "little")


class ComponentType(enum.IntEnum):
    """Component table FourCCs, stored as little-endian u32."""

    RENDERABLE = _fourcc("MESH")
    PERSPECTIVE_CAMERA = _fourcc("PCAM")
    ORTHOGRAPHIC_CAMERA = _fourcc("OCAM")
    DIRECTIONAL_LIGHT = _fourcc("DLIT")
    POINT_LIGHT = _fourcc("PLIT")
    SPOT_LIGHT = _fourcc("SLIT")
    LOCAL_FOG_VOLUME = _fourcc("LFOG")
    SCRIPTING = _fourcc("SCRP")


SCENE_DATA_TABLE = Layout("SceneDataTable", [("offset", "u64"), ("count", "u32"), ("entry_size", "u32")], size=16)

SCENE_ASSET_DESC = {
    Epoch.A: Layout(
        "SceneAssetDesc",
        [
            ("header", ASSET_HEADER[Epoch.A]),
            ("nodes", SCENE_DATA_TABLE),
            ("scene_strings_offset", "u32"),
            ("scene_strings_size", "u32"),
            ("component_table_directory_offset", "u64"),
            ("component_table_count", "u32"),
            ("_reserved", "bytes[125]"),
        ],
        size=256,
    ),
    Epoch.B: Layout(
        "SceneAssetDesc",
        [
            ("header", ASSET_HEADER[Epoch.B]),
            ("nodes", SCENE_DATA_TABLE),
            ("scene_strings_offset", "u32"),
            ("scene_strings_size", "u32"),
            ("component_table_directory_offset", "u64"),
            ("component_table_count", "u32"),
        ],
        size=139,
    ),
}
NODE_RECORD = Layout(
    "NodeRecord",
    [
        ("node_id", "bytes[16]"),
        ("scene_name_offset", "u32"),
        ("parent_index", "u32"),
        ("node_flags", "u32", int(DEFAULT_NODE_FLAGS)),
        ("translation", "f32[3]", (0.0, 0.0, 0.0)),
        ("rotation", "f32[4]", (0.0, 0.0, 0.0, 1.0)),
        ("scale", "f32[3]", (1.0, 1.0, 1.0)),
    ],
    size=68,
)
SCENE_COMPONENT_TABLE_DESC = Layout(
    "SceneComponentTableDesc", [("component_type", "u32"), ("table", SCENE_DATA_TABLE)], size=20
)
RENDERABLE_RECORD = {
    Epoch.A: Layout(
        "RenderableRecord",
        [("node_index", "u32"), ("geometry_key", "bytes[16]"), ("visible", "u32", 1), ("_reserved", "bytes[12]")],
        size=36,
    ),
    Epoch.B: Layout(
        "RenderableRecord",
        [("node_index", "u32"), ("geometry_key", "bytes[16]"), ("material_key", "bytes[16]"), ("visible", "u32", 1)],
        size=40,
    ),
}
ENVIRONMENT_BLOCK_HEADER = {
    Epoch.A: Layout(
        "SceneEnvironmentBlockHeader", [("byte_size", "u32"), ("systems_count", "u32"), ("_reserved", "bytes[8]")], size=16
    ),
    Epoch.B: Layout("SceneEnvironmentBlockHeader", [("byte_size", "u32"), ("systems_count", "u32")], size=8),
}

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class SceneNode:
    node_id: bytes
    name: str
    parent_index: int
    translation: Vec3 = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)  # XYZW
    scale: Vec3 = (1.0, 1.0, 1.0)
    flags: int = int(DEFAULT_NODE_FLAGS)


@dataclass(frozen=True)
class Renderable:
    node_index: int
    geometry_key: bytes
    material_key: bytes = NIL_KEY  # nil = no override
    visible: bool = True


@dataclass(frozen=True)
class ComponentTable:
    """A component table kept as raw records (for types oxcook does not interpret)."""

    component_type: int
    entry_size: int
    records: tuple[bytes, ...]


@dataclass(frozen=True)
class Scene:
    name: str
    nodes: tuple[SceneNode, ...]
    renderables: tuple[Renderable, ...] = ()
    other_components: tuple[ComponentTable, ...] = field(default=())


class _Strings:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self.offsets: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        if text not in self.offsets:
            self.offsets[text] = len(self.data)
            self.data += text.encode("utf-8") + b"\0"
        return self.offsets[text]


def pack_scene(scene: Scene, *, epoch: Epoch = Epoch.B) -> bytes:
    """The unsealed ``.oscene`` bytes (see ``seal_descriptor``).

    Raises:
        FormatCorrupt: no nodes, node 0 not its own parent, a parent after its
            child, or a renderable naming a node that does not exist.
    """
    problem = scene_problem(scene)
    if problem:
        raise FormatCorrupt(f"scene {scene.name!r}", problem)
    desc_layout, rend = SCENE_ASSET_DESC[epoch], RENDERABLE_RECORD[epoch]
    strings = _Strings()
    name_offsets = [strings.add(n.name) for n in scene.nodes]
    nodes_at = desc_layout.SIZE
    strings_at = nodes_at + NODE_RECORD.SIZE * len(scene.nodes)
    tables: list[tuple[int, int, bytes, int]] = []  # (type, entry size, records, count)
    if scene.renderables:
        records = b"".join(
            rend.pack(rend.make(node_index=r.node_index, geometry_key=r.geometry_key, visible=int(r.visible), **({"material_key": r.material_key} if epoch == Epoch.B else {})))
            for r in scene.renderables
        )
        tables.append((int(ComponentType.RENDERABLE), rend.SIZE, records, len(scene.renderables)))
    for t in scene.other_components:
        tables.append((t.component_type, t.entry_size, b"".join(t.records), len(t.records)))
    dir_at = strings_at + len(strings.data)
    records_at = dir_at + SCENE_COMPONENT_TABLE_DESC.SIZE * len(tables)
    directory = bytearray()
    payload = bytearray()
    for ctype, size, records, count in tables:
        directory += SCENE_COMPONENT_TABLE_DESC.pack(
            SCENE_COMPONENT_TABLE_DESC.make(
                component_type=ctype, table=SCENE_DATA_TABLE.make(offset=records_at + len(payload), count=count, entry_size=size)
            )
        )
        payload += records
    header = make_header(AssetType.SCENE, scene.name, SCENE_ASSET_VERSION[epoch], epoch=epoch)
    out = bytearray(
        desc_layout.pack(
            desc_layout.make(
                header=header,
                nodes=SCENE_DATA_TABLE.make(offset=nodes_at, count=len(scene.nodes), entry_size=NODE_RECORD.SIZE),
                scene_strings_offset=strings_at,
                scene_strings_size=len(strings.data),
                component_table_directory_offset=dir_at if tables else 0,
                component_table_count=len(tables),
            )
        )
    )
    for node, name_off in zip(scene.nodes, name_offsets):
        out += NODE_RECORD.pack(
            NODE_RECORD.make(
                node_id=node.node_id,
                scene_name_offset=name_off,
                parent_index=node.parent_index,
                node_flags=node.flags,
                translation=node.translation,
                rotation=node.rotation,
                scale=node.scale,
            )
        )
    out += strings.data + directory + payload
    env = ENVIRONMENT_BLOCK_HEADER[epoch]
    out += env.pack(env.make(byte_size=env.SIZE, systems_count=0))
    return bytes(out)


def scene_problem(scene: Scene, *, parents_first: bool = True) -> str | None:
    """The first structural rule a scene breaks, or ``None``.

    oxcook writes parents before their children (``parents_first``); a reader
    only requires every parent index to name a node.
    """
    if not scene.nodes:
        return "a scene needs at least one node"
    if scene.nodes[0].parent_index != 0:
        return "node 0 is the root and must be its own parent"
    for i, node in enumerate(scene.nodes[1:], start=1):
        limit = i if parents_first else len(scene.nodes)
        if not 0 <= node.parent_index < limit:
            return f"node {i} has parent {node.parent_index}, which is not {'an earlier' if parents_first else 'a'} node"
    for r in scene.renderables:
        if not 0 <= r.node_index < len(scene.nodes):
            return f"renderable names node {r.node_index}, outside the {len(scene.nodes)} nodes"
    return None


def unpack_scene(data: bytes, *, epoch: Epoch = Epoch.B, where: str = "oscene") -> Scene:
    """Read a whole ``.oscene`` with every table bounded by the bytes present.

    Raises:
        FormatError: truncated, wrong asset type or entry size, a string offset
            outside the table, or a broken hierarchy.
    """
    desc = SCENE_ASSET_DESC[epoch].unpack(data, 0, where=f"{where}:SceneAssetDesc")
    if desc.header.asset_type != AssetType.SCENE:
        raise FormatCorrupt(where, f"asset_type {desc.header.asset_type} is not a scene", offset=0)
    if desc.nodes.count and desc.nodes.entry_size != NODE_RECORD.SIZE:
        raise FormatCorrupt(where, f"node entry_size {desc.nodes.entry_size}, expected {NODE_RECORD.SIZE}")
    s_at, s_size = desc.scene_strings_offset, desc.scene_strings_size
    if s_size == 0 or s_at + s_size > len(data) or data[s_at] != 0:
        raise FormatCorrupt(where, "scene string table is empty, outside the file, or does not start with NUL", offset=s_at)
    table = data[s_at : s_at + s_size]

    def name(offset: int) -> str:
        end = table.find(b"\0", offset) if offset < s_size else -1
        if end < 0:
            raise FormatCorrupt(where, f"scene string offset {offset} is not a string inside the table")
        return table[offset:end].decode("utf-8", "replace")

    nodes = tuple(
        SceneNode(n.node_id, name(n.scene_name_offset), n.parent_index, n.translation, n.rotation, n.scale, n.node_flags)
        for n in NODE_RECORD.unpack_array(data, desc.nodes.count, desc.nodes.offset, where=f"{where}:NodeRecord")
    )
    dirs = SCENE_COMPONENT_TABLE_DESC.unpack_array(
        data, desc.component_table_count, desc.component_table_directory_offset, where=f"{where}:SceneComponentTableDesc"
    )
    renderables: list[Renderable] = []
    others: list[ComponentTable] = []
    rend = RENDERABLE_RECORD[epoch]
    end_of_payload = max(s_at + s_size, desc.nodes.offset + desc.nodes.count * NODE_RECORD.SIZE)
    end_of_payload = max(end_of_payload, desc.component_table_directory_offset + len(dirs) * SCENE_COMPONENT_TABLE_DESC.SIZE)
    for d in dirs:
        t = d.table
        span = t.count * t.entry_size
        if t.offset + span > len(data):
            raise FormatCorrupt(where, f"component table {d.component_type:#x} runs past the file", offset=t.offset)
        end_of_payload = max(end_of_payload, t.offset + span)
        if d.component_type == ComponentType.RENDERABLE:
            if t.entry_size != rend.SIZE:
                raise FormatCorrupt(where, f"RenderableRecord entry_size {t.entry_size}, expected {rend.SIZE}")
            for r in rend.unpack_array(data, t.count, t.offset, where=f"{where}:RenderableRecord"):
                renderables.append(Renderable(r.node_index, r.geometry_key, getattr(r, "material_key", NIL_KEY), bool(r.visible)))
        else:
            others.append(
                ComponentTable(d.component_type, t.entry_size, tuple(data[t.offset + i * t.entry_size : t.offset + (i + 1) * t.entry_size] for i in range(t.count)))
            )
    env = ENVIRONMENT_BLOCK_HEADER[epoch].unpack(data, end_of_payload, where=f"{where}:SceneEnvironmentBlockHeader")
    if env.byte_size < ENVIRONMENT_BLOCK_HEADER[epoch].SIZE or end_of_payload + env.byte_size != len(data):
        raise FormatCorrupt(where, f"environment block of {env.byte_size} bytes does not end the file", offset=end_of_payload)
    scene = Scene(desc.header.name.split(b"\0", 1)[0].decode("utf-8", "replace"), nodes, tuple(renderables), tuple(others))
    problem = scene_problem(scene, parents_first=False)
    if problem:
        raise FormatCorrupt(where, problem)
    return scene
