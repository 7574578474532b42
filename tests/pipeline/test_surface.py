"""Closest points on a triangle soup: exact against a brute-force search, in batches across threads."""

from __future__ import annotations

import numpy as np

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
