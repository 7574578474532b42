"""Face and vertex normals of indexed triangle meshes.

Vertex normals weight each face by its corner angle (Thürmer & Wüthrich 1998, as trimesh does):
unlike area weights, a vertex's normal does not change when a neighbouring face is split.
Computed here because importing trimesh for it costs half a second per process.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def face_normals(points: F64, faces: I64) -> F64:
    """Un-normalised face normals: their length is twice the face's area."""
    return _corner_cross(points[faces])


def _corner_cross(corners: F64) -> F64:
    normals: F64 = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return normals


def vertex_normals(points: F64, faces: I64) -> F64:
    """Unit angle-weighted vertex normals; a vertex no face with an area uses gets (0, 0, 0)."""
    corners = points[faces]
    face = _corner_cross(corners)
    face /= np.maximum(np.linalg.norm(face, axis=1), 1e-300)[:, None]
    normals = np.zeros_like(points, dtype=np.float64)
    for k in range(3):
        first = corners[:, (k + 1) % 3] - corners[:, k]
        second = corners[:, (k + 2) % 3] - corners[:, k]
        cosine = (first * second).sum(axis=1) / np.maximum(
            np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1), 1e-300
        )
        angle = np.arccos(np.clip(cosine, -1.0, 1.0))
        for axis in range(3):  # bincount sums per vertex several times faster than np.add.at
            normals[:, axis] += np.bincount(faces[:, k], face[:, axis] * angle, minlength=len(points))
    normals /= np.maximum(np.linalg.norm(normals, axis=1), 1e-300)[:, None]
    return normals


def unit_normals(normals: npt.ArrayLike | None, points: F64, faces: I64) -> F32:
    """A file's vertex normals scaled to unit length (glTF 2.0 §3.7.2.1 requires it; OBJ and PLY
    writers often store them unnormalised); missing or zero ones become angle-weighted normals."""
    if normals is None:
        return vertex_normals(points, faces).astype(np.float32)
    result = np.array(normals, dtype=np.float64).reshape(-1, 3)
    length = np.linalg.norm(result, axis=1)
    missing = length < 1e-12
    if missing.any():
        result[missing] = vertex_normals(points, faces)[missing]
        length[missing] = 1.0
    unit: F64 = result / np.maximum(length, 1e-12)[:, None]
    return unit.astype(np.float32)
