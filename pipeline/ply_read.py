"""Binary PLY triangle meshes read straight into numpy: the layout scanners write (one vertex
element of scalar properties, one face element of triangles). Anything else goes to trimesh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline.ingest import check_geometry
from pipeline.model import Material, Model, Primitive
from pipeline.normals import unit_normals

PLY_TYPES = {
    "char": "i1",
    "uchar": "u1",
    "int8": "i1",
    "uint8": "u1",
    "short": "i2",
    "ushort": "u2",
    "int16": "i2",
    "uint16": "u2",
    "int": "i4",
    "uint": "u4",
    "int32": "i4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}
PLY_SIZES = {
    "char": 1,
    "uchar": 1,
    "int8": 1,
    "uint8": 1,
    "short": 2,
    "ushort": 2,
    "int16": 2,
    "uint16": 2,
    "int": 4,
    "uint": 4,
    "int32": 4,
    "uint32": 4,
    "float": 4,
    "float32": 4,
    "double": 8,
    "float64": 8,
}
FORMATS = {"binary_little_endian": "<", "binary_big_endian": ">"}
# Writers store element counts in 32 bits, and a file within the bundle's limits holds fewer rows.
MAX_ELEMENT_ROWS = 2**32 - 1


def check_ply_header(data: bytes, name: str) -> None:
    """Refuse PLY headers whose element counts cannot fit in the file (absurd counts, truncation)."""
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise InvalidInput(f"ingest: {name}: not a PLY file (missing 'ply' magic or end_header)")
    lines = data[:end].decode("ascii", errors="replace").splitlines()
    binary = any(line.startswith("format binary") for line in lines)
    elements: list[list[int]] = []  # [count, minimum bytes per row]
    for line in lines:
        words = line.split()
        if words[:1] == ["element"] and len(words) == 3:
            if not words[2].isdigit():
                raise InvalidInput(f"ingest: {name}: element {words[1]} has a non-numeric count")
            # Digits first: int() of thousands of digits is slow, then refused by Python itself.
            if len(words[2]) > len(str(MAX_ELEMENT_ROWS)) or int(words[2]) > MAX_ELEMENT_ROWS:
                shown = words[2] if len(words[2]) <= 20 else f"a {len(words[2])}-digit number of"
                raise InvalidInput(
                    f"ingest: {name}: element {words[1]} declares {shown} rows "
                    f"(expected ≤ {MAX_ELEMENT_ROWS})"
                )
            elements.append([int(words[2]), 0])
        elif words[:1] == ["property"] and len(words) >= 3 and elements:
            # A list property stores at least its count field.
            elements[-1][1] += PLY_SIZES.get(words[2] if words[1] == "list" else words[1], 1)
    # ASCII rows need at least a digit and a separator per row.
    minimum = sum(count * (row if binary else 2) for count, row in elements)
    body = len(data) - end
    if minimum > body:
        raise InvalidInput(
            f"ingest: {name}: header declares elements needing ≥ {minimum} bytes but only {body} follow "
            "(truncated file or absurd counts)"
        )


def read_triangle_ply(data: bytes, name: str) -> Model | None:
    """The mesh of a binary PLY whose faces are all triangles, or None for any other layout.
    Call after the header passed :func:`check_ply_header`."""
    end = data.find(b"end_header")
    body = data.find(b"\n", end) + 1
    elements: list[tuple[str, int, list[list[str]]]] = []
    order = ""
    for line in data[:end].decode("ascii", errors="replace").splitlines():
        words = line.split()
        if words[:1] == ["format"] and len(words) >= 2:
            order = FORMATS.get(words[1], "")
        elif words[:1] == ["element"] and len(words) == 3:
            elements.append((words[1], int(words[2]), []))
        elif words[:1] == ["property"] and elements:
            elements[-1][2].append(words[1:])
    if not order or body == 0 or [e[0] for e in elements] != ["vertex", "face"]:
        return None
    (_, vertex_count, vertex_props), (_, face_count, face_props) = elements
    if any(len(p) != 2 or p[0] not in PLY_TYPES for p in vertex_props):
        return None
    if len(face_props) != 1 or len(face_props[0]) != 4 or face_props[0][0] != "list":
        return None
    _, count_type, index_type, _ = face_props[0]
    if count_type not in PLY_TYPES or index_type not in PLY_TYPES:
        return None
    try:
        vertex_type = np.dtype([(p[1], order + PLY_TYPES[p[0]]) for p in vertex_props])
    except ValueError:  # repeated property names
        return None
    face_type = np.dtype([("n", order + PLY_TYPES[count_type]), ("i", order + PLY_TYPES[index_type], (3,))])
    face_start = body + vertex_count * vertex_type.itemsize
    # Exactly the bytes of all-triangle faces: quads, polygons or trailing data take the slow path.
    if face_start + face_count * face_type.itemsize != len(data) or not {"x", "y", "z"} <= set(
        vertex_type.names or ()
    ):
        return None
    vertices = np.frombuffer(data, vertex_type, vertex_count, body)
    faces = np.frombuffer(data, face_type, face_count, face_start)
    if (faces["n"] != 3).any():
        return None
    positions = np.stack([vertices[k] for k in "xyz"], axis=1).astype(np.float64)
    triangles = faces["i"].astype(np.int64)
    check_geometry(positions, triangles, name, 0)
    normals = (
        np.stack([vertices[k] for k in ("nx", "ny", "nz")], axis=1).astype(np.float64)
        if {"nx", "ny", "nz"} <= set(vertex_type.names or ())
        else None
    )
    rgba = None
    if {"red", "green", "blue"} <= set(vertex_type.names or ()):
        if any(vertex_type[k] != np.uint8 for k in ("red", "green", "blue")):
            return None
        alpha = vertices["alpha"] if "alpha" in (vertex_type.names or ()) else np.full(vertex_count, 255)
        rgba = np.stack([vertices["red"], vertices["green"], vertices["blue"], alpha], axis=1)
    return ply_model(positions, triangles, normals, rgba, name)


def ply_model(
    positions: npt.NDArray[np.float64],
    faces: npt.NDArray[np.int64],
    normals: npt.NDArray[np.float64] | None,
    rgba: npt.NDArray[np.integer] | None,
    name: str,
) -> Model:
    """A PLY mesh as a Model; ``rgba`` are the file's sRGB bytes (glTF's COLOR_0 is linear)."""
    colors = None
    if rgba is not None:
        srgb = np.asarray(rgba, dtype=np.float32) / 255.0
        # PLY colours are sRGB-encoded bytes; glTF COLOR_0 is linear (glTF 2.0 §3.7.2.1).
        rgb = srgb[:, :3]
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        colors = np.concatenate([linear, srgb[:, 3:]], axis=1).astype(np.float32)
    return Model(
        primitives=[
            Primitive(
                positions=positions.astype(np.float32),
                indices=faces.astype(np.uint32).reshape(-1, 3),
                material=0,
                normals=unit_normals(normals, positions, faces),
                colors=colors,
            )
        ],
        materials=[Material(name="vertex_colors")],
        name=Path(name).stem,
    )
