"""Closest points on a triangle soup: exact against a brute-force search, in batches across threads."""

from __future__ import annotations

import numpy as np

from benchmarks.surface_metrics import surface_distance
from pipeline.model import Model, Primitive
from pipeline.surface import CHUNK, SurfaceIndex, closest_on_triangles


def test_closest_point_regions_of_one_triangle() -> None:
    a, b, c = (np.array(corner)[:, None] for corner in ([0.0, 0, 0], [1.0, 0, 0], [0.0, 1, 0]))
    points = np.array([[0.2, 0.2, 1.0], [-1.0, -1.0, 0.0], [0.5, -2.0, 0.0], [1.0, 1.0, 0.0]])
    bary, distance2 = closest_on_triangles(points.T, a, b, c)
    assert np.allclose(bary, np.array([[0.6, 0.2, 0.2], [1, 0, 0], [0.5, 0.5, 0], [0, 0.5, 0.5]]))
    assert np.allclose(distance2, [1.0, 2.0, 4.0, 0.5])


def test_every_batch_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    corners = rng.uniform(-1, 1, (40, 1, 3)) + rng.uniform(-0.3, 0.3, (40, 3, 3))
    points = rng.uniform(-1.5, 1.5, (2 * CHUNK + 123, 3))  # three batches, the last one short
    found = SurfaceIndex(corners, candidates=len(corners)).closest(points)
    a, b, c = corners.transpose(1, 2, 0)[:, :, None, :]  # each (3, 1, triangles)
    _, every = closest_on_triangles(points.T[:, :, None], a, b, c)
    assert np.allclose(found.distance2, every.min(axis=1))
    assert (found.triangle == every.argmin(axis=1)).mean() > 0.999  # ties between equal distances
    on = np.einsum("pk,pkj->pj", found.bary, corners[found.triangle])
    assert np.allclose(((on - points) ** 2).sum(axis=1), found.distance2)


def test_no_points_no_batches() -> None:
    found = SurfaceIndex(np.zeros((1, 3, 3))).closest(np.zeros((0, 3)))
    assert found.triangle.shape == (0,) and found.bary.shape == (0, 3)


def test_benchmark_distance_is_exact_beside_a_large_triangle() -> None:
    # One large triangle beside a strip of small ones: near the large one's edge, the nearest
    # centroids are all the small triangles', so the re-bake's search comes out too far.
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
    a, b, c = corners.astype(np.float32).astype(np.float64).transpose(1, 2, 0)[:, :, None, :]
    _, every = closest_on_triangles(points.T[:, :, None], a, b, c)
    exact = np.sqrt(every.min(axis=1))
    np.testing.assert_allclose(surface_distance(points, model), exact, rtol=1e-12, atol=1e-12)
    nearest_centroids = np.sqrt(SurfaceIndex(corners, candidates=8).closest(points).distance2)
    assert (nearest_centroids > exact + 0.1).any()  # the case this guards against occurs here
