"""Clean, orient and decimate, each alone on small synthetic meshes and on the real scans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hue_errors import InvalidInput
from pipeline.bundle import Bundle
from pipeline.clean import CleanOptions, clean, compact, weld
from pipeline.decimate import DecimateOptions, decimate
from pipeline.ingest import load_model
from pipeline.model import Model, Primitive
from pipeline.orient import OrientOptions, orient
from pipeline.topology import uv_island_count, uv_island_labels, welded_rows
from tests.pipeline.synthetic import grid


def grid_model(n: int = 8) -> Model:
    positions, indices, uvs = grid(n)
    return Model(primitives=[Primitive(positions=positions, indices=indices, uvs=uvs, material=None)])


def test_weld_merges_exact_duplicates_but_keeps_uv_seams() -> None:
    positions, indices, uvs = grid(2)
    # Split the grid into two UV charts along x = 0.5: a real seam, plus exact copies elsewhere.
    right = positions[:, 0] > 0.49
    seam_uvs = uvs.copy()
    seam_uvs[right, 0] += 0.01
    doubled = np.concatenate([positions, positions])
    doubled_uvs = np.concatenate([uvs, seam_uvs])
    # Left half uses the first copy, right half the second: the column at x = 0.5 is a seam.
    left_faces = indices[(positions[indices][:, :, 0] <= 0.5 + 1e-6).all(axis=1)]
    right_faces = indices[(positions[indices][:, :, 0] >= 0.5 - 1e-6).all(axis=1)] + len(positions)
    model = Model(
        primitives=[
            Primitive(positions=doubled, indices=np.concatenate([left_faces, right_faces]), uvs=doubled_uvs)
        ]
    )
    cleaned = clean(model, CleanOptions())
    # 9 grid vertices; the 3 on the seam exist twice (different UVs on each side).
    assert cleaned.vertex_count == 9 + 3
    assert uv_island_count(cleaned.primitives[0]) == 2
    assert cleaned.steps[-1]["welded_vertices"] == 18 - 12 + 6 - 6  # unused copies dropped too


def test_welded_rows_are_distinct_in_first_use_order() -> None:
    rows = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=np.float32)
    distinct, ids = welded_rows(rows)
    assert distinct.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert ids.tolist() == [0, 1, 0, 2, 1]
    assert np.array_equal(distinct[ids], rows)
    empty, none = welded_rows(np.zeros((0, 3), dtype=np.float32))
    assert empty.shape == (0, 3) and none.shape == (0,)


def test_weld_leaves_a_welded_primitive_in_first_use_order_as_it_is() -> None:
    positions, indices, uvs = grid(3)
    ordered = compact(Primitive(positions=positions, indices=indices, uvs=uvs), np.ones(len(indices), bool))
    assert weld(ordered) is ordered
    # The same vertices in another order are renumbered in first-use order, and nothing is lost.
    shuffled = Primitive(positions=positions, indices=indices, uvs=uvs)
    renumbered = weld(shuffled)
    assert renumbered is not shuffled and renumbered.vertex_count == shuffled.vertex_count
    assert np.array_equal(renumbered.positions[renumbered.indices], positions[indices])


def test_degenerate_and_duplicate_faces_are_dropped() -> None:
    model = grid_model(2)
    primitive = model.primitives[0]
    extra = np.array(
        [[0, 0, 1], [0, 1, 3], [3, 1, 0], [0, 1, 2]], dtype=np.uint32
    )  # repeated, dup, dup reversed
    primitive.indices = np.concatenate(
        [primitive.indices, extra[:1], primitive.indices[:1], primitive.indices[:1, ::-1]]
    )
    cleaned = clean(model, CleanOptions())
    assert cleaned.triangle_count == 8
    assert cleaned.steps[-1]["degenerate_faces"] == 1
    assert cleaned.steps[-1]["duplicate_faces"] == 2


def test_small_floating_components_are_removed_by_relative_size() -> None:
    positions, indices, _ = grid(40)
    speck = positions[[0, 1, 41, 42]] * 0.1 + [0.5, 0.5, 0.5]  # two tiny triangles floating above
    model = Model(
        primitives=[
            Primitive(
                positions=np.concatenate([positions, speck]).astype(np.float32),
                indices=np.concatenate([indices, np.array([[0, 1, 2], [1, 3, 2]]) + len(positions)]).astype(
                    np.uint32
                ),
            )
        ]
    )
    cleaned = clean(model, CleanOptions())
    assert cleaned.triangle_count == len(indices)
    assert cleaned.steps[-1]["floating_components"] == 1
    kept = clean(model, CleanOptions(min_component_triangles=0.0))
    assert kept.triangle_count == len(indices) + 2


def ground_scan(up: str) -> Model:
    """A 1×1 ground plate with a 0.2 × 0.2 × 2 post standing on it, built Z-up then rotated."""
    plate_pos, plate_idx, _ = grid(4)
    wall_pos, post_idx, _ = grid(4, 0.2)
    post_pos = wall_pos[:, [0, 2, 1]] * [1, 10, 1] + [0.4, 0, 0.4]  # a vertical wall, 2 tall
    positions = np.concatenate([plate_pos, post_pos])
    indices = np.concatenate([plate_idx, post_idx + len(plate_pos)])
    frames = {"y": [0, 1, 2], "z": [0, 2, 1]}
    swapped = positions[:, frames[up]]
    if up == "z":
        swapped[:, 1] *= -1  # keep a right-handed frame
        indices = indices[:, ::-1]
    return Model(
        primitives=[Primitive(positions=swapped.astype(np.float32), indices=indices.astype(np.uint32))]
    )


@pytest.mark.parametrize("source_up", ["y", "z"])
def test_ground_plane_is_found_and_placed_at_the_origin(source_up: str) -> None:
    result = orient(ground_scan(source_up), OrientOptions())
    low, high = result.bounds()
    assert result.steps[-1]["up"] == source_up and result.steps[-1]["up_detected"]
    assert low[1] == pytest.approx(0, abs=1e-6)
    assert high[1] == pytest.approx(2, abs=1e-5)  # the post is the tallest thing, and stands up
    assert (low[0] + high[0]) / 2 == pytest.approx(0, abs=1e-6)
    assert (low[2] + high[2]) / 2 == pytest.approx(0, abs=1e-6)


def test_given_up_axis_and_known_height_scale_to_metres() -> None:
    result = orient(ground_scan("z"), OrientOptions(up="z", known_dimension=("height", 5.0)))
    low, high = result.bounds()
    assert high[1] - low[1] == pytest.approx(5.0, rel=1e-5)
    matrix = np.array(result.steps[-1]["matrix"])
    assert result.steps[-1]["scale"] == pytest.approx(2.5)
    assert np.allclose(np.linalg.det(matrix[:3, :3]), 2.5**3)


def test_scale_factor_and_known_dimension_together_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not both"):
        orient(grid_model(), OrientOptions(scale_factor=2.0, known_dimension=("height", 1.0)))


@pytest.mark.parametrize(
    "options",
    [
        OrientOptions(scale_factor=1e300),
        OrientOptions(scale_factor=1e-300),
        OrientOptions(known_dimension=("width", 1e300)),
        OrientOptions(known_dimension=("width", 1e-9)),
    ],
)
def test_a_scale_that_makes_the_model_absurdly_large_or_small_is_refused(options: OrientOptions) -> None:
    with pytest.raises(InvalidInput, match=r"m across \(expected 0.001 m to 100000 m: check the scale"):
        orient(grid_model(), options)


def _cleaned_mask(bali_mask: Path) -> Model:
    with Bundle(bali_mask) as bundle:
        return orient(clean(load_model(bundle), CleanOptions()), OrientOptions())


def _assert_no_face_spans_two_charts(source: Primitive, simplified: Primitive) -> None:
    """Seams survive: every simplified face lies inside one source UV chart (tiny charts may
    vanish, but no face ever spans two charts, which would smear the atlas)."""
    assert source.uvs is not None and simplified.uvs is not None
    _, face_chart = uv_island_labels(source)
    vertex_chart = np.zeros(source.vertex_count, dtype=np.int32)
    for corner in range(3):
        vertex_chart[source.indices[:, corner]] = face_chart
    lookup = {
        row.tobytes(): i for i, row in enumerate(np.concatenate([source.positions, source.uvs], axis=1))
    }
    keys = np.concatenate([simplified.positions, simplified.uvs], axis=1)
    origin = np.array([lookup[row.tobytes()] for row in keys])
    charts = vertex_chart[origin][simplified.indices]
    assert (charts == charts[:, :1]).all()


def test_decimation_reaches_the_target_and_reports_error_in_metres(bali_mask: Path) -> None:
    model = _cleaned_mask(bali_mask)
    result = decimate(model, DecimateOptions(target_triangles=20_000))
    assert 19_000 <= result.model.triangle_count <= 20_000
    diagonal = float(np.linalg.norm(np.subtract(*model.bounds()[::-1])))
    assert 0 < result.error_m < 0.01 * diagonal  # the mask keeps its shape within 1 % of its size
    _assert_no_face_spans_two_charts(model.primitives[0], result.model.primitives[0])


def test_a_geometry_first_pass_keeps_seams_and_the_error_bound(bali_mask: Path) -> None:
    model = _cleaned_mask(bali_mask)  # 100k triangles: over 20 × a 2k target takes the first pass
    both = decimate(model, DecimateOptions(target_triangles=2_000))
    direct = decimate(model, DecimateOptions(target_triangles=2_000, geometry_first_above=0))
    assert both.model.steps[-1]["geometry_first_triangles"] == pytest.approx(40_000, rel=0.05)
    assert "geometry_first_triangles" not in direct.model.steps[-1]
    # Its 1,272 UV charts stall both near 5k triangles; the two passes get as far, as well.
    assert both.model.triangle_count <= 1.02 * direct.model.triangle_count
    assert both.error_m < 1.05 * direct.error_m
    _assert_no_face_spans_two_charts(model.primitives[0], both.model.primitives[0])
    # The bound holds for both passes together: a tight one stops the second pass early.
    extent = float(np.ptp(model.primitives[0].positions, axis=0).max())
    tight = decimate(model, DecimateOptions(target_triangles=2_000, max_error=0.0005))
    assert tight.error_m <= 0.0005 * extent * 1.001
    assert tight.model.triangle_count > 5 * both.model.triangle_count


def test_decimation_never_adds_triangles() -> None:
    model = grid_model(4)
    result = decimate(model, DecimateOptions(target_triangles=10_000))
    assert result.model.triangle_count == model.triangle_count and result.error_m == 0.0


def test_decimating_an_empty_model_is_refused() -> None:
    empty = Model(
        primitives=[Primitive(positions=np.zeros((0, 3), np.float32), indices=np.zeros((0, 3), np.uint32))],
        name="empty",
    )
    with pytest.raises(InvalidInput, match="decimate: empty: mesh has 0 faces"):
        decimate(empty, DecimateOptions(target_triangles=10))
