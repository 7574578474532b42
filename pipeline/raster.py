"""Triangles rasterised by edge functions, vectorised: shared by the texel bake and the poster."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pipeline.batches import map_batches

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
BATCH = 5_000  # triangles per batch: bounds each batch's candidate pixels


def box_pixels(x0: F64, y0: F64, width: I64, counts: I64) -> tuple[I64, F64, F64]:
    """Every pixel of each box (``counts`` = width × height pixels from column ``x0``, row ``y0``):
    the box it belongs to, its column and its row."""
    owner = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, x0[owner] + local % width[owner], y0[owner] + local // width[owner]


def edge_coefficients(x: F64, y: F64, area: F64) -> F64:
    """Per triangle with corner coordinates ``x``, ``y`` (M, 3) and signed doubled area ``area``
    (M,): (6, M) coefficients of its first two barycentric weights as linear functions of the
    point, b0 = c0·x + c1·y + c2 and b1 = c3·x + c4·y + c5: computed once per triangle, they
    make each pixel's weights two multiply-adds (several times faster than edge functions)."""
    inverse = 1.0 / np.where(area != 0, area, 1.0)
    coefficients: F64 = np.stack(
        [
            (y[:, 1] - y[:, 2]) * inverse,
            (x[:, 2] - x[:, 1]) * inverse,
            (x[:, 1] * y[:, 2] - x[:, 2] * y[:, 1]) * inverse,
            (y[:, 2] - y[:, 0]) * inverse,
            (x[:, 0] - x[:, 2]) * inverse,
            (x[:, 2] * y[:, 0] - x[:, 0] * y[:, 2]) * inverse,
        ]
    )
    return coefficients


def covered_pixels(
    coefficients: F64, owner: I64, px: npt.ArrayLike, py: npt.ArrayLike, tolerance: float
) -> tuple[npt.NDArray[np.bool_], F64]:
    """Which pixel centres (px + ½, py + ½) lie in their triangles ``owner`` (every barycentric
    weight ≥ −``tolerance``; weights from :func:`edge_coefficients`), and the weights (K', 3) of
    those. Each coefficient row is gathered on its own and only the covered pixels' weights are
    stacked: 4× faster than gathering (K, 6) rows and testing a (K, 3) array."""
    cx, cy = np.asarray(px) + 0.5, np.asarray(py) + 0.5
    c0, c1, c2, c3, c4, c5 = (np.take(row, owner) for row in coefficients)
    b0 = c0 * cx + c1 * cy + c2
    b1 = c3 * cx + c4 * cy + c5
    b2 = 1.0 - b0 - b1
    inside = (b0 >= -tolerance) & (b1 >= -tolerance) & (b2 >= -tolerance)
    return inside, np.stack([b0[inside], b1[inside], b2[inside]], axis=1)


def rasterise_triangles(corners: F64, size: int) -> tuple[I64, I64, F64]:
    """The texels of a ``size``² image whose centres lie in each triangle, from its (M, 3, 2) corners
    in texel units: flat texel index, triangle index and barycentric weights (K, 3) per texel,
    in triangle order. Batches of triangles run on every core."""
    parts = map_batches(lambda batch: _rasterise(corners, batch, size), len(corners), BATCH)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    texel, owner, bary = (np.concatenate(column) for column in zip(*parts, strict=True))
    return texel, owner, bary


def _rasterise(corners: F64, batch: slice, n: int) -> tuple[I64, I64, F64]:
    x, y = corners[batch, :, 0], corners[batch, :, 1]
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    x0, x1 = np.floor(x.min(1)).clip(0, n - 1), np.ceil(x.max(1)).clip(0, n - 1)
    y0, y1 = np.floor(y.min(1)).clip(0, n - 1), np.ceil(y.max(1)).clip(0, n - 1)
    w = (x1 - x0 + 1).astype(np.int64)
    h = (y1 - y0 + 1).astype(np.int64)
    counts = np.where(np.abs(area) > 1e-12, w * h, 0)
    owner, columns, rows = box_pixels(x0, y0, w, counts)
    px, py = columns.astype(np.int64), rows.astype(np.int64)
    inside, bary = covered_pixels(edge_coefficients(x, y, area), owner, px, py, 1e-6)
    return py[inside] * n + px[inside], owner[inside] + batch.start, bary
