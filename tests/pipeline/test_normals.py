"""Vertex normals: angle-weighted, as trimesh computes them, and the file's own kept when usable."""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.normals import unit_normals, vertex_normals


def test_match_trimesh_on_an_irregular_closed_mesh() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2)
    rng = np.random.default_rng(7)
    points = sphere.vertices * rng.uniform(0.7, 1.3, (len(sphere.vertices), 1))
    mesh = trimesh.Trimesh(points, sphere.faces, process=False)
    ours = vertex_normals(points, sphere.faces.astype(np.int64))
    assert np.abs(ours - mesh.vertex_normals).max() < 1e-9


def test_a_cube_corner_points_along_its_diagonal_however_the_faces_are_split() -> None:
    # One corner of a cube at the origin: the +x face split into 3 triangles, the others into 1.
    points = np.array(
        [[0, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0], [0, 0.5, 1]], float
    )
    faces = np.array([[0, 2, 7], [0, 7, 1], [7, 3, 1], [0, 4, 5], [0, 5, 2], [0, 1, 6], [0, 6, 4]])
    normal = vertex_normals(points, faces)[0]
    assert np.allclose(normal, -np.ones(3) / np.sqrt(3))


def test_file_normals_scaled_and_missing_ones_derived() -> None:
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float)
    faces = np.array([[0, 1, 2]])
    normals = unit_normals([[0, 0, 5], [0, 0, 0], [3, 0, 4]], points, faces)
    assert normals.dtype == np.float32
    assert np.allclose(normals, np.array([[0, 0, 1], [0, 0, 1], [0.6, 0, 0.8]]))
    assert np.allclose(unit_normals(None, points, faces), np.tile([0.0, 0.0, 1.0], (3, 1)))


def test_a_vertex_without_faces_gets_a_zero_normal() -> None:
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]], float)
    assert np.allclose(vertex_normals(points, np.array([[0, 1, 2]]))[3], 0)
