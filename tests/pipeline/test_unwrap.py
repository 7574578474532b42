"""xatlas in a child process: the same atlas as in this one, its errors, its clean-up."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from hue_errors import HueARError
from pipeline.unwrap import AtlasJob, AtlasOptions, make_atlas
from tests.pipeline.synthetic import grid

OPTIONS = AtlasOptions(size=128, padding=2, max_chart_area=0.0)


def _bumpy_sheet() -> tuple[np.ndarray, np.ndarray]:
    positions, triangles, _ = grid(24)
    positions = positions.astype(np.float32)
    positions[:, 1] = 0.3 * np.sin(6 * positions[:, 0]) * np.cos(5 * positions[:, 2])
    return positions, triangles.astype(np.int64)


def test_child_makes_the_same_atlas_as_this_process() -> None:
    positions, triangles = _bumpy_sheet()
    with AtlasJob() as job:
        job.start(positions, triangles, OPTIONS)
        child = job.result()
    here = make_atlas(positions, triangles, OPTIONS)
    for name in ("vertices", "triangles", "uvs"):
        np.testing.assert_array_equal(getattr(child, name), getattr(here, name))
    assert len(child.triangles) == len(triangles)
    assert child.uvs.min() >= 0.0 and child.uvs.max() <= 1.0
    # Each atlas triangle is its input triangle, on vertices that copy that triangle's corners.
    np.testing.assert_array_equal(child.vertices[child.triangles], triangles)


def test_the_mesh_is_charted_in_two_pieces_cut_across_its_longest_axis() -> None:
    positions, triangles = _bumpy_sheet()
    positions[:, 0] *= 3  # x is now the longest axis; a flat sheet would make one chart
    atlas = make_atlas(positions, triangles, OPTIONS)
    centroid_x = positions[triangles].mean(axis=1)[:, 0]
    order = np.argsort(centroid_x, kind="stable")
    left, right = order[: len(order) // 2], order[len(order) // 2 :]
    # No atlas vertex is shared across the cut: the two pieces' charts are apart.
    assert not set(atlas.triangles[left].ravel().tolist()) & set(atlas.triangles[right].ravel().tolist())
    # Within a piece, charts still span many triangles (the sheet is not cut up face by face).
    assert len(np.unique(atlas.triangles[left])) < 3 * len(left) / 2
    np.testing.assert_array_equal(atlas.vertices[atlas.triangles], triangles)


def test_a_single_triangle_is_one_piece() -> None:
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    atlas = make_atlas(positions, np.array([[0, 1, 2]]), OPTIONS)
    np.testing.assert_array_equal(atlas.vertices[atlas.triangles], [[0, 1, 2]])
    assert atlas.uvs.shape == (3, 2) and atlas.uvs.min() >= 0.0 and atlas.uvs.max() <= 1.0


def test_child_failure_is_reported_with_its_message() -> None:
    positions, triangles = _bumpy_sheet()
    with AtlasJob() as job, pytest.raises(HueARError) as failure:
        job.start(positions[:, :2].copy(), triangles, OPTIONS)
        job.result()
    assert "the xatlas process exited with status 1" in failure.value.message
    assert "Error" in failure.value.message  # the child's own last line follows


def test_leaving_early_removes_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    positions, triangles = _bumpy_sheet()
    with AtlasJob() as job:
        job.start(positions, triangles, OPTIONS)
        (folder,) = tmp_path.iterdir()
        assert (folder / "mesh.npz").exists()
    assert not any(tmp_path.iterdir())


def test_a_child_never_given_a_mesh_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with AtlasJob() as job:
        child = job._child
    assert child.returncode is not None  # stopped, not left waiting for its mesh
    assert not any(tmp_path.iterdir())
