"""Small synthetic meshes written as real files (glTF, OBJ, PLY) for edge-case tests."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def grid(
    n: int = 8, size: float = 1.0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint32], npt.NDArray[np.float32]]:
    """An n×n quad grid in the XZ plane (+Y normal): positions, triangles, UVs in [0, 1]."""
    u, v = np.meshgrid(np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
    positions = np.stack([u.ravel() * size, np.zeros(u.size), v.ravel() * size], axis=1).astype(np.float32)
    uvs = np.stack([u.ravel(), v.ravel()], axis=1).astype(np.float32)
    quads = [
        (r * (n + 1) + c, (r + 1) * (n + 1) + c, r * (n + 1) + c + 1, (r + 1) * (n + 1) + c + 1)
        for r in range(n)
        for c in range(n)
    ]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (c, b, d))]
    return positions, np.asarray(tris, dtype=np.uint32), uvs


def gltf_document(
    positions: npt.NDArray[np.float32],
    indices: npt.NDArray[np.uint32],
    uvs: npt.NDArray[np.float32] | None = None,
    image_uri: str | None = None,
    buffer_uri: str | None = None,
) -> dict[str, Any]:
    """A glTF JSON document; the buffer is embedded as a data URI unless ``buffer_uri`` is given."""
    blobs = [positions.astype("<f4").tobytes(), indices.astype("<u4").tobytes()]
    if uvs is not None:
        blobs.append(uvs.astype("<f4").tobytes())
    offsets = np.cumsum([0] + [len(b) for b in blobs]).tolist()
    data = b"".join(blobs)
    attributes: dict[str, int] = {"POSITION": 0}
    accessors: list[dict[str, Any]] = [
        {
            "bufferView": 0,
            "componentType": 5126,
            "count": len(positions),
            "type": "VEC3",
            "min": positions.min(axis=0).tolist(),
            "max": positions.max(axis=0).tolist(),
        },
        {"bufferView": 1, "componentType": 5125, "count": indices.size, "type": "SCALAR"},
    ]
    if uvs is not None:
        accessors.append({"bufferView": 2, "componentType": 5126, "count": len(uvs), "type": "VEC2"})
        attributes["TEXCOORD_0"] = 2
    primitive: dict[str, Any] = {"attributes": attributes, "indices": 1}
    document: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [primitive]}],
        "accessors": accessors,
        "bufferViews": [
            {"buffer": 0, "byteOffset": offsets[i], "byteLength": len(b)} for i, b in enumerate(blobs)
        ],
        "buffers": [
            {
                "byteLength": len(data),
                "uri": buffer_uri
                or "data:application/octet-stream;base64," + base64.b64encode(data).decode(),
            }
        ],
    }
    if image_uri is not None:
        primitive["material"] = 0
        document.update(
            materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
            textures=[{"source": 0}],
            images=[{"uri": image_uri}],
        )
    return document


def write_gltf(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_obj(
    path: Path, positions: npt.NDArray[np.float32], indices: npt.NDArray[np.uint32], mtl: str | None = None
) -> Path:
    lines = [f"mtllib {mtl}", "usemtl skin"] if mtl else []
    lines += [f"v {x} {y} {z}" for x, y, z in positions]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in indices]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_ply(
    path: Path,
    positions: npt.NDArray[np.float32],
    indices: npt.NDArray[np.uint32],
    vertex_count: int | None = None,
) -> Path:
    """Binary PLY; ``vertex_count`` overrides the header's count (to fake absurd headers)."""
    header = (
        f"ply\nformat binary_little_endian 1.0\nelement vertex {vertex_count or len(positions)}\n"
        "property float x\nproperty float y\nproperty float z\n"
        f"element face {len(indices)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    body = positions.astype("<f4").tobytes() + b"".join(struct.pack("<B3i", 3, *map(int, t)) for t in indices)
    path.write_bytes(header.encode("ascii") + body)
    return path
