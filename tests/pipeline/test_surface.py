"""Closest points on a triangle mesh: exact against a brute-force search."""

from __future__ import annotations

import numpy as np

from benchmarks.surface_metrics import surface_distance
from pipeline.model import Model, Primitive
from pipeline.surface import SurfaceIndex


def _segment_closest(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((points - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-300), 0, 1)
    closest: np.ndarray = a + t[..., None] * ab
    return closest


def _brute_force(points: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Squared distance (P, M) from every point to every triangle: the plane projection where it
    falls inside, else the nearest of the three edges."""
    p = points[:, None, :]
    a, b, c = corners[None, :, 0], corners[None, :, 1], corners[None, :, 2]
    normal = np.cross(b - a, c - a)
    unit = normal / np.linalg.norm(normal, axis=-1, keepdims=True)
    projected = p - ((p - a) * unit).sum(-1, keepdims=True) * unit
    inside = np.ones(projected.shape[:2], dtype=bool)
    for start, end in ((a, b), (b, c), (c, a)):
        inside &= (np.cross(end - start, projected - start) * normal).sum(-1) >= 0
    candidates = [_segment_closest(p, start, end) for start, end in ((a, b), (b, c), (c, a))]
    edges = np.min([((q - p) ** 2).sum(-1) for q in candidates], axis=0)
    plane: np.ndarray = ((projected - p) ** 2).sum(-1)
    return np.where(inside, plane, edges)


def test_closest_points_match_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    corners = rng.uniform(-1, 1, (40, 1, 3)) + rng.uniform(-0.3, 0.3, (40, 3, 3))
    points = rng.uniform(-1.5, 1.5, (5000, 3))
    index = SurfaceIndex(corners.reshape(-1, 3), np.arange(120).reshape(40, 3))
    found = index.closest(points)
    every = _brute_force(points, corners)
    np.testing.assert_allclose(found.distance2, every.min(axis=1), rtol=1e-9, atol=1e-12)
    assert (found.triangle == every.argmin(axis=1)).mean() > 0.999  # ties between equal distances
    on = np.einsum("pk,pkj->pj", found.bary, corners[found.triangle])
    np.testing.assert_allclose(((on - points) ** 2).sum(axis=1), found.distance2, rtol=1e-9, atol=1e-12)
    assert (found.bary >= -1e-9).all() and np.allclose(found.bary.sum(axis=1), 1)


def test_shared_vertices_and_a_zero_area_triangle() -> None:
    positions = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 2, 0]])
    triangles = np.array([[0, 1, 2], [1, 3, 2], [0, 3, 4]])  # the last one is a line
    found = SurfaceIndex(positions, triangles).closest(np.array([[0.9, 0.7, 0.5], [3.0, 3.0, 0.0]]))
    np.testing.assert_allclose(found.distance2, [0.25, 2.0])
    assert found.triangle[0] == 1 and np.isfinite(found.bary).all()


def test_no_points() -> None:
    found = SurfaceIndex(np.zeros((3, 3)), np.array([[0, 1, 2]])).closest(np.zeros((0, 3)))
    assert found.triangle.shape == (0,) and found.bary.shape == (0, 3)


def test_benchmark_distance_is_exact_beside_a_large_triangle() -> None:
    # One large triangle beside a strip of small ones: near the large one's edge, the nearest
    # centroids are all the small triangles', so a search among them alone comes out too far.
    large = np.array([[[0.0, 0, 0], [10, 0, 0], [0, 10, 0]]])
    x, y = np.meshgrid(np.arange(0.0, 8, 0.25), np.arange(-1.0, -0.1, 0.25))
    base = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)[:, None, :]
    small = base + np.array([[0.0, 0, 0], [0.2, 0, 0], [0, 0.2, 0]])
    corners = np.concatenate([large, small])
    rng = np.random.default_rng(5)
    points = rng.uniform([0, -1.2, -0.3], [8, 1.0, 0.3], (3000, 3))
    model = Model(
        [
            Primitive(
                positions=corners.reshape(-1, 3).astype(np.float32),
                indices=np.arange(len(corners) * 3, dtype=np.uint32).reshape(-1, 3),
            )
        ]
    )
    exact = np.sqrt(_brute_force(points, corners.astype(np.float32).astype(np.float64)).min(axis=1))
    np.testing.assert_allclose(surface_distance(points, model), exact, rtol=1e-9, atol=1e-12)
