"""Exact closest points on a triangle mesh, for the re-bake's texel search and the benchmark's
distances: libigl's AABB tree (its queries run on every core)."""

from __future__ import annotations

from dataclasses import dataclass

import igl
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Closest:
    """Per query point: the nearest triangle, the barycentrics of the nearest point on it, and the
    squared distance."""

    triangle: I64
    bary: F64
    distance2: F64


class SurfaceIndex:
    """Triangles (M, 3) over positions (N, 3) in a bounding-box tree."""

    def __init__(self, positions: npt.NDArray[np.floating], triangles: I64) -> None:
        self.positions = np.ascontiguousarray(positions, dtype=np.float64)
        self.triangles = np.ascontiguousarray(triangles, dtype=np.int64)
        self.tree = igl.AABB()
        self.tree.init(self.positions, self.triangles)

    def closest(self, points: F64) -> Closest:
        if len(points) == 0:
            return Closest(np.zeros(0, dtype=np.int64), np.zeros((0, 3)), np.zeros(0))
        query = np.ascontiguousarray(points, dtype=np.float64)
        distance2, triangle, on = self.tree.squared_distance(self.positions, self.triangles, query)
        a, b, c = (self.positions[self.triangles[triangle, k]] for k in range(3))
        bary = igl.barycentric_coordinates(on, a, b, c)
        # A zero-area triangle has no barycentrics: its centroid stands for it.
        return Closest(triangle, np.nan_to_num(bary, nan=1.0 / 3.0), distance2)
