"""Texel rasterisation: which texel centres each triangle covers, the same in any batching."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import raster
from pipeline.raster import rasterise_triangles


def test_texel_centres_inside_a_triangle_and_their_barycentrics() -> None:
    corners = np.array([[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]])
    texel, owner, bary = rasterise_triangles(corners, 8)
    columns, rows = texel % 8, texel // 8
    assert sorted(zip(columns.tolist(), rows.tolist(), strict=True)) == sorted(
        (i, j)
        for i in range(4)
        for j in range(4)
        if i + j <= 3  # centre on the long edge counts
    )
    assert (owner == 0).all()
    centres = np.einsum("pk,kj->pj", bary, corners[0])
    assert np.allclose(centres, np.stack([columns + 0.5, rows + 0.5], axis=1))


def test_batches_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    corners = rng.uniform(0, 60, (500, 1, 2)) + rng.uniform(0, 4, (500, 3, 2))
    whole = rasterise_triangles(corners, 64)
    monkeypatch.setattr(raster, "BATCH", 7)
    batched = rasterise_triangles(corners, 64)
    assert len(whole[0]) > 500
    assert all(np.array_equal(a, b) for a, b in zip(whole, batched, strict=True))
    assert (np.diff(batched[1]) >= 0).all()  # triangle order
