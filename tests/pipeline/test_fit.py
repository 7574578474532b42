"""Fit stage: a decimated sphere moved onto the fine sphere it came from."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pipeline.decimate import DecimateOptions, decimate
from pipeline.fit import FitOptions, NormalEquations, ScanPlanes, fit_to_surface
from pipeline.model import Model, Primitive


def _sphere(subdivisions: int) -> Model:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    return Model([Primitive(np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.uint32))])


def _radial_error(model: Model) -> np.ndarray:
    """Signed distance from the unit sphere at 13 points of every triangle."""
    weights = np.random.default_rng(0).dirichlet(np.ones(3), 13)
    prim = model.primitives[0]
    points = np.einsum("sk,fkj->fsj", weights, prim.positions[prim.indices].astype(np.float64))
    radius: np.ndarray = np.linalg.norm(points.reshape(-1, 3), axis=1)
    return radius - 1.0


def _face_normals(model: Model) -> np.ndarray:
    prim = model.primitives[0]
    c = prim.positions[prim.indices].astype(np.float64)
    return np.cross(c[:, 1] - c[:, 0], c[:, 2] - c[:, 0])


@pytest.mark.parametrize("slide", [False, True])
def test_fit_halves_the_chord_error_without_flipping(slide: bool) -> None:
    scan = _sphere(5)
    low = decimate(scan, DecimateOptions(target_triangles=400))
    before = _radial_error(low.model)
    assert before.max() <= 1e-6 and before.mean() < 0  # chords of a convex surface lie inside it
    fitted = fit_to_surface(ScanPlanes(scan), low.model, low.error_m, FitOptions(slide=slide))
    after = _radial_error(fitted.model)
    assert np.abs(after).mean() < 0.5 * np.abs(before).mean()
    assert abs(after.mean()) < 0.3 * abs(before.mean())  # the error now falls on both sides
    moved = np.linalg.norm(fitted.model.primitives[0].positions - low.model.primitives[0].positions, axis=1)
    assert 0 < moved.max() <= low.error_m * (1 + 1e-5)
    assert ((_face_normals(fitted.model) * _face_normals(low.model)).sum(axis=1) > 0).all()
    step = fitted.model.steps[-1]
    assert step["stage"] == "fit" and step["mean_distance"] < step["mean_distance_before"]
    assert fitted.max_distance >= step["mean_distance"]


def test_a_second_iteration_searches_again_and_gets_closer() -> None:
    scan = _sphere(5)
    low = decimate(scan, DecimateOptions(target_triangles=400))
    errors = [
        np.abs(_radial_error(fit_to_surface(ScanPlanes(scan), low.model, low.error_m, options).model)).mean()
        for options in (FitOptions(slide=True), FitOptions(slide=True, iterations=2))
    ]
    assert errors[1] < errors[0]  # 7 % closer on this sphere


def test_fit_keeps_seam_copies_together_and_is_deterministic() -> None:
    scan = _sphere(4)
    low = decimate(scan, DecimateOptions(target_triangles=300)).model.primitives[0]
    # Cut the low sphere in two primitives along z = 0: the vertices on the cut are copied.
    upper = low.positions[low.indices].mean(axis=1)[:, 2] >= 0
    halves = []
    for keep in (upper, ~upper):
        used, indices = np.unique(low.indices[keep], return_inverse=True)
        halves.append(Primitive(low.positions[used], indices.reshape(-1, 3).astype(np.uint32)))
    model = Model(halves)
    planes = ScanPlanes(scan)
    # Twice, the scan searched on every core and then on one: the same bytes.
    runs = [fit_to_surface(planes, model, 0.05, FitOptions(workers=n)).model for n in (-1, 1)]
    for a, b in zip(runs[0].primitives, runs[1].primitives, strict=True):
        assert a.positions.tobytes() == b.positions.tobytes()
    shared = {tuple(p) for p in halves[0].positions} & {tuple(p) for p in halves[1].positions}
    assert len(shared) >= 8
    moved = [
        dict(zip(map(tuple, half.positions), fit.positions, strict=True))
        for half, fit in zip(halves, runs[0].primitives, strict=True)
    ]
    for position in shared:
        assert np.array_equal(moved[0][position], moved[1][position])
        assert not np.array_equal(moved[0][position], np.asarray(position, np.float32))


def test_nothing_to_fit_returns_the_model() -> None:
    scan = _sphere(2)
    result = fit_to_surface(ScanPlanes(scan), scan, 0.0)
    assert result.model is scan


@pytest.mark.parametrize("axes", [1, 3])
def test_normal_equations_sum_every_faces_block_in_place(axes: int) -> None:
    rng = np.random.default_rng(7)
    vertices = 9  # vertex 8 is in no face: its equation is only its diagonal
    faces = np.array([rng.choice(8, 3, replace=False) for _ in range(12)], dtype=np.int64)
    rows = rng.normal(size=(len(faces), 5, 3 * axes))  # 5 samples per face, (corner, axis) columns
    values = rng.normal(size=(len(faces), 3, axes))
    equations = NormalEquations(faces, vertices, axes)

    blocks = np.einsum("fsi,fsj->fij", rows, rows)
    data = equations.sums(blocks)
    data[equations.diagonal] += 1.0
    matrix = equations.matrix(data).toarray()

    expected = np.eye(axes * vertices)
    vector = np.zeros(axes * vertices)
    for face, block, value in zip(faces, blocks.reshape(len(faces), 3 * axes, 3 * axes), values, strict=True):
        columns = (axes * face[:, None] + np.arange(axes)).reshape(-1)
        expected[np.ix_(columns, columns)] += block
        vector[columns] += value.reshape(-1)
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    np.testing.assert_allclose(equations.vector(values), vector, atol=1e-12)
    own = data[equations.own_blocks]
    np.testing.assert_allclose(
        own, [expected[axes * v : axes * v + axes, axes * v : axes * v + axes] for v in range(vertices)]
    )
