"""Surface distance and texture colour error between two Models, by dense area-weighted sampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from pipeline.model import Model
from pipeline.surface import SurfaceIndex
from pipeline.textures import nearest_texels

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
            texels = np.asarray(material.base_color_texture.image.convert("RGB"))
            uv = np.einsum("pk,pkj->pj", b, prim.uvs[corners].astype(np.float64))
            colours[mine] = nearest_texels(texels, uv) * factor / 255
        elif prim.colors is not None:
            colours[mine] = np.einsum("pk,pkj->pj", b, prim.colors[corners, :3].astype(np.float64)) * factor
        else:
            colours[mine] = factor
    return SurfaceSamples(points, colours)


def surface_distance(points: F64, model: Model) -> F64:
    """Exact distance from each point to the model's surface."""
    distance: F64 = np.sqrt(
        SurfaceIndex(model.stacked_positions(), model.stacked_triangles()).closest(points).distance2
    )
    return distance


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
