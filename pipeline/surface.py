"""Closest points on a triangle soup, for the re-bake's texel search and the benchmark's distances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from pipeline.batches import map_batches

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
# Points per batch: bounds the (3 × points × candidates) temporaries, which stay in cache at
# this size (a re-bake's closest points 1.5× faster than in batches of 50 000), and batches run
# on every core (numpy and the k-d tree release the GIL: 2.4× on two cores).
CHUNK = 10_000


def closest_on_triangles(points: F64, a: F64, b: F64, c: F64) -> tuple[F64, F64]:
    """Closest point on each triangle (a, b, c) to each point, coordinates first: every argument
    is (3, ...), broadcasting together. Returns barycentrics (..., 3) and squared distances (...).

    Region tests from Ericson, Real-Time Collision Detection §5.1.5, vectorised over planes of
    x, y and z (3× faster than over (..., 3) rows, whose sums run along a 3-long axis).
    """
    ab, ac, ap, bp, cp = b - a, c - a, points - a, points - b, points - c
    d1, d2, d3, d4 = _dot(ab, ap), _dot(ac, ap), _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    denom = va + vb + vc
    safe = np.where(np.abs(denom) > 1e-30, denom, 1.0)
    v, w = vb / safe, vc / safe  # interior
    bary = np.stack([1 - v - w, v, w])
    with np.errstate(divide="ignore", invalid="ignore"):
        for t, i, j, mask in (
            (d1 / (d1 - d3), 0, 1, (vc <= 0) & (d1 >= 0) & (d3 <= 0)),
            (d2 / (d2 - d6), 0, 2, (vb <= 0) & (d2 >= 0) & (d6 <= 0)),
            ((d4 - d3) / ((d4 - d3) + (d5 - d6)), 1, 2, (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0)),
        ):
            on_edge = np.zeros_like(bary)
            on_edge[j] = np.clip(t, 0.0, 1.0)
            on_edge[i] = 1 - on_edge[j]
            bary = np.where(mask, on_edge, bary)
    for i, mask in enumerate(((d1 <= 0) & (d2 <= 0), (d3 >= 0) & (d4 <= d3), (d6 >= 0) & (d5 <= d6))):
        bary = np.where(mask, np.eye(3)[i].reshape((3,) + (1,) * mask.ndim), bary)
    bary = np.nan_to_num(bary, nan=1.0 / 3.0)
    gap = bary[0] * a + bary[1] * b + bary[2] * c - points
    return np.moveaxis(bary, 0, -1), _dot(gap, gap)


class TrianglePlanes:
    """Triangles (M, 3, 3) stored coordinates first, (corner, coordinate, M), for
    :func:`closest_on_triangles` on each point's candidate triangles."""

    def __init__(self, corners: F64) -> None:
        self.planes = np.ascontiguousarray(corners.transpose(1, 2, 0))

    def closest(self, points: F64, candidates: I64) -> tuple[F64, F64]:
        """Barycentrics (P, K, 3) and squared distances (P, K) from each of the points (P, 3) to
        each of its candidate triangles (P, K)."""
        a, b, c = self.planes[:, :, candidates]  # each (3, P, K)
        return closest_on_triangles(points.T[:, :, None], a, b, c)


def _dot(first: F64, second: F64) -> F64:
    product: F64 = first[0] * second[0] + first[1] * second[1] + first[2] * second[2]
    return product


@dataclass(frozen=True)
class Closest:
    """Per query point: the nearest triangle, the barycentrics of the nearest point on it, and the
    squared distance."""

    triangle: I64
    bary: F64
    distance2: F64


class SurfaceIndex:
    """Triangles (M, 3, 3) with a k-d tree over their centroids. A query tests the ``candidates``
    triangles with the nearest centroids exactly: exact unless triangles differ a lot in size."""

    def __init__(self, corners: F64, candidates: int = 8) -> None:
        self.triangles = TrianglePlanes(corners)
        self.candidates = min(candidates, len(corners))
        self.tree = cKDTree(corners.mean(axis=1))

    def closest(self, points: F64) -> Closest:
        if len(points) == 0:
            return Closest(np.zeros(0, dtype=np.int64), np.zeros((0, 3)), np.zeros(0))
        parts = map_batches(lambda batch: self._closest(points[batch]), len(points), CHUNK)
        return Closest(*(np.concatenate(column) for column in zip(*parts, strict=True)))

    def _closest(self, part: F64) -> tuple[I64, F64, F64]:
        _, cand = self.tree.query(part, k=self.candidates)
        cand = cand.reshape(len(part), -1)
        hb, d2 = self.triangles.closest(part, cand)
        best = np.argmin(d2, axis=1)
        rows = np.arange(len(part))
        return cand[rows, best], hb[rows, best], d2[rows, best]
