"""Surface distance and texture colour error between two Models, by dense area-weighted sampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from pipeline.batches import map_batches
from pipeline.model import Model
from pipeline.surface import CHUNK, TrianglePlanes

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SurfaceSamples:
    """Points on a model's surface with the base colour seen there (RGB in [0, 255])."""

    points: F64
    colours: F64


@dataclass(frozen=True)
class Comparison:
    mean_pct_diag: float  # symmetric mean surface distance, % of source bbox diagonal
    hausdorff_pct_diag: float  # symmetric max surface distance, % of source bbox diagonal
    colour_error: float  # mean absolute RGB difference (0-255) at nearest source point


def sample_surface(model: Model, count: int, seed: int = 0) -> SurfaceSamples:
    """``count`` points spread by triangle area, coloured from texture, vertex colour or factor."""
    rng = np.random.default_rng(seed)
    areas = []
    for prim in model.primitives:
        c = prim.positions[prim.indices].astype(np.float64)
        areas.append(np.linalg.norm(np.cross(c[:, 1] - c[:, 0], c[:, 2] - c[:, 0]), axis=1) / 2)
    flat = np.concatenate(areas)
    pick = rng.choice(len(flat), size=count, p=flat / flat.sum())
    bary = rng.dirichlet(np.ones(3), count)
    points, colours = np.zeros((count, 3)), np.zeros((count, 3))
    start = 0
    for prim, prim_areas in zip(model.primitives, areas, strict=True):
        mine = (pick >= start) & (pick < start + len(prim_areas))
        tri, b = pick[mine] - start, bary[mine]
        start += len(prim_areas)
        corners = prim.indices[tri].astype(np.int64)
        points[mine] = np.einsum("pk,pkj->pj", b, prim.positions[corners].astype(np.float64))
        material = model.materials[prim.material] if prim.material is not None else None
        factor = np.array(material.base_color_factor[:3] if material else (1.0, 1.0, 1.0)) * 255
        if material and material.base_color_texture is not None and prim.uvs is not None:
            tex = np.asarray(material.base_color_texture.image.convert("RGB"), dtype=np.float64)
            uv = np.einsum("pk,pkj->pj", b, prim.uvs[corners].astype(np.float64))
            h, w = tex.shape[:2]
            x = ((uv[:, 0] % 1.0) * w).astype(np.int64).clip(0, w - 1)
            y = ((uv[:, 1] % 1.0) * h).astype(np.int64).clip(0, h - 1)
            colours[mine] = tex[y, x] * factor / 255
        elif prim.colors is not None:
            colours[mine] = np.einsum("pk,pkj->pj", b, prim.colors[corners, :3].astype(np.float64)) * factor
        else:
            colours[mine] = factor
    return SurfaceSamples(points, colours)


def surface_distance(points: F64, model: Model) -> F64:
    """Exact distance from each point to the model's surface. (The re-bake's search, the
    triangles with the nearest few centroids, misses the closest triangle beside a large one:
    on a seam-ignoring decimation 2 % of points came out up to 30× too far.)"""
    corners = np.concatenate([p.positions[p.indices] for p in model.primitives]).astype(np.float64)
    cover = _Cover(corners)
    parts = map_batches(lambda batch: cover.closest2(points[batch]), len(points), CHUNK)
    distance: F64 = np.sqrt(np.concatenate(parts))
    return distance


class _Cover:
    """Each triangle cut into n² similar pieces (n = 1 for all but the large ones), the pieces'
    centroids as samples: every point of a triangle lies within ``reach`` of one of its samples,
    ``reach`` being the largest piece's centroid-to-corner distance."""

    def __init__(self, corners: F64) -> None:
        centroids = corners.mean(axis=1)
        radius = np.linalg.norm(corners - centroids[:, None], axis=2).max(axis=1)
        target = max(float(np.median(radius)), 1e-12)
        splits = np.maximum(1, np.ceil(radius / target)).astype(np.int64)
        self.reach = float((radius / splits).max())
        samples, owners = [], []
        for n in np.unique(splits):
            mine = np.flatnonzero(splits == n)
            grid = _piece_centroids(int(n))
            samples.append(np.matmul(grid, corners[mine]).reshape(-1, 3))
            owners.append(np.repeat(mine, len(grid)))
        self.owner = np.concatenate(owners)
        self.tree = cKDTree(np.concatenate(samples))
        self.triangles = TrianglePlanes(corners)

    def closest2(self, points: F64) -> F64:
        """Exact squared distances. The triangles of each point's nearest samples are tested,
        more samples until they reach past the best distance found plus ``reach``: the closest
        point lies within ``reach`` of a sample of its triangle, so that triangle was tested."""
        best2, pending, k = np.full(len(points), np.inf), np.arange(len(points)), 16
        while len(pending):
            k = min(k, len(self.owner))
            far, near = self.tree.query(points[pending], k=k)
            far, near = far.reshape(len(pending), -1), near.reshape(len(pending), -1)
            _, d2 = self.triangles.closest(points[pending], self.owner[near])
            best2[pending] = np.minimum(best2[pending], d2.min(axis=1))
            done = (far[:, -1] > np.sqrt(best2[pending]) + self.reach) | (k == len(self.owner))
            pending, k = pending[~done], 4 * k
        return best2


def _piece_centroids(n: int) -> F64:
    """Barycentric centroids (n², 3) of the n² pieces a triangle's n-fold subdivision makes."""
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    up = (i + j <= n - 1).ravel()
    down = (i + j <= n - 2).ravel()
    a = np.concatenate([i.ravel()[up] + 1 / 3, i.ravel()[down] + 2 / 3]) / n
    b = np.concatenate([j.ravel()[up] + 1 / 3, j.ravel()[down] + 2 / 3]) / n
    return np.stack([1 - a - b, a, b], axis=1)


def compare(
    source: Model,
    source_samples: SurfaceSamples,
    output: Model,
    output_samples: SurfaceSamples,
    diagonal: float,
) -> Comparison:
    """Both-ways point-to-surface distances; colour against the nearest source sample
    (use many more source than output samples so that sample is close)."""
    both = np.concatenate(
        [surface_distance(output_samples.points, source), surface_distance(source_samples.points, output)]
    )
    _, nearest = cKDTree(source_samples.points).query(output_samples.points)
    colour = np.abs(output_samples.colours - source_samples.colours[nearest]).mean()
    return Comparison(
        mean_pct_diag=float(both.mean() / diagonal * 100),
        hausdorff_pct_diag=float(both.max() / diagonal * 100),
        colour_error=float(colour),
    )
