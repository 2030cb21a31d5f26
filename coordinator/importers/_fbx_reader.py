"""The FBX reader's child process: ``python _fbx_reader.py FILE`` → msgpack on stdout.

The PyPI ``ufbx`` 0.0.5 binding hands out borrowed references when an element
list is indexed twice, which frees live wrappers and crashes the process
(``shared/assets/MANIFEST.md``). So FBX files are read here, in a child: every
element taken from a list gets ``Py_IncRef``, the scene is never freed, all
that is needed is copied into plain data, and the process ends with
``os._exit`` so no destructor runs. A crash costs this child, never the cook.

Exit codes: 0 with a msgpack scene on stdout; 3 with an error line on stderr.
"""

from __future__ import annotations

import ctypes
import os
import sys

import msgpack
import numpy as np

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]


def _keep(obj):
    if obj is not None:
        _incref(obj)
    return obj


def _items(element_list) -> list:
    return [_keep(element_list[i]) for i in range(len(element_list))]


def _vec(values, width: int) -> np.ndarray:
    fields = "xyzw"[:width]
    return np.array([[getattr(v, f) for f in fields] for v in values], np.float32).reshape(-1, width)


def _attribute(attr, width: int, corners: np.ndarray) -> bytes | None:
    if not attr.exists:
        return None
    values = _vec(list(attr.values), width)
    indices = np.array(list(attr.indices), np.int64)
    return np.ascontiguousarray(values[indices[corners]]).tobytes()


_SLOTS = (  # our material field, ufbx pbr map, preset
    ("base_color_texture", "base_color", "albedo"),
    ("normal_texture", "normal_map", "normal"),
    ("roughness_texture", "roughness", "roughness"),
    ("metallic_texture", "metalness", "metallic"),
    ("ambient_occlusion_texture", "ambient_occlusion", "ao"),
    ("emissive_texture", "emission_color", "emissive"),
)


def extract(path: str) -> dict:
    import ufbx

    scene = _keep(ufbx.load_file(path))
    textures = _items(scene.textures)
    texture_index = {t.element_id: i for i, t in enumerate(textures)}
    materials = _items(scene.materials)
    material_index = {m.element_id: i for i, m in enumerate(materials)}
    out_materials = []
    for m in materials:
        pbr = _keep(m.pbr)
        slots, values = {}, {}
        for field, name, preset in _SLOTS:
            prop = _keep(getattr(pbr, name))
            texture = _keep(prop.texture)
            if texture is not None and texture.element_id in texture_index:
                slots[field] = [texture_index[texture.element_id], preset]
            if prop.has_value:
                v = prop.value_vec4
                values[name] = [v.x, v.y, v.z, v.w]
        emission_factor = pbr.emission_factor.value_vec4.x if pbr.emission_factor.has_value else 1.0
        out_materials.append({"name": m.name, "slots": slots, "values": values, "emission_factor": emission_factor})
    meshes = _items(scene.meshes)
    mesh_index = {m.element_id: i for i, m in enumerate(meshes)}
    out_meshes = []
    for mesh in meshes:
        triangles = []
        for face in list(mesh.faces):
            b, n = face.index_begin, face.num_indices
            triangles.extend((b, b + k, b + k + 1) for k in range(1, n - 1))
        corners = np.array(triangles, np.int64).reshape(-1)
        face_of_triangle = np.repeat(np.arange(len(mesh.faces)), [max(f.num_indices - 2, 0) for f in list(mesh.faces)])
        face_material = np.array(list(mesh.face_material), np.int64) if len(mesh.face_material) else np.zeros(len(mesh.faces), np.int64)
        mesh_materials = [material_index.get(_keep(m).element_id) for m in _items(mesh.materials)]
        uvs = _attribute(mesh.vertex_uv, 2, corners)
        if uvs is not None:  # FBX puts v = 0 at the bottom; the engine (like glTF) at the top
            flipped = np.frombuffer(uvs, np.float32).reshape(-1, 2).copy()
            flipped[:, 1] = 1.0 - flipped[:, 1]
            uvs = flipped.tobytes()
        parts = {}
        for t, face in enumerate(face_of_triangle):
            slot = int(face_material[face]) if len(face_material) else 0
            parts.setdefault(slot, []).append(t)
        out_meshes.append(
            {
                "name": mesh.name,
                "positions": _attribute(mesh.vertex_position, 3, corners),
                "normals": _attribute(mesh.vertex_normal, 3, corners),
                "uvs": uvs,
                "parts": [
                    {
                        "material": mesh_materials[slot] if 0 <= slot < len(mesh_materials) else None,
                        "indices": np.array([[3 * t, 3 * t + 1, 3 * t + 2] for t in tris], np.uint32).tobytes(),
                    }
                    for slot, tris in sorted(parts.items())
                ],
            }
        )
    nodes = _items(scene.nodes)
    node_index = {n.element_id: i for i, n in enumerate(nodes)}
    out_nodes = []
    for n in nodes:
        parent = _keep(n.parent)
        mesh = _keep(n.mesh)
        t, r, s = n.local_transform.translation, n.local_transform.rotation, n.local_transform.scale
        out_nodes.append(
            {
                "name": n.name,
                "root": bool(n.is_root),
                "parent": node_index.get(parent.element_id) if parent is not None else None,
                "translation": [t.x, t.y, t.z],
                "rotation": [r.x, r.y, r.z, r.w],
                "scale": [s.x, s.y, s.z],
                "mesh": mesh_index.get(mesh.element_id) if mesh is not None else None,
            }
        )
    out_textures = [
        {"name": t.name, "relative": t.relative_filename, "content": bytes(t.content) if t.content else None} for t in textures
    ]
    return {"textures": out_textures, "materials": out_materials, "meshes": out_meshes, "nodes": out_nodes}


def main() -> None:
    try:
        data = msgpack.packb(extract(sys.argv[1]), use_bin_type=True)
    except Exception as exc:  # ufbx's errors and anything the file provokes: reported, then exit
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        os._exit(3)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
