"""Inspect stage: what an upload holds and what is wrong with it, before anything changes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from pipeline.model import Model
from pipeline.topology import FaceSurvey, survey_faces, uv_island_count


@dataclass(frozen=True)
class TextureInfo:
    material: str
    name: str
    width: int
    height: int


@dataclass(frozen=True)
class InspectReport:
    """Counts and measurements of one model; lengths are in the source's own units."""

    source: str
    triangles: int
    vertices: int
    primitives: int
    materials: int
    textures: tuple[TextureInfo, ...]
    bounds_min: tuple[float, float, float]
    bounds_max: tuple[float, float, float]
    diagonal: float
    degenerate_faces: int
    duplicate_faces: int
    components: int
    uv_islands: int
    has_normals: bool
    has_uvs: bool
    has_vertex_colors: bool


def inspect_model(
    model: Model, source: str, surveys: Sequence[FaceSurvey] | None = None, uv_islands: int | None = None
) -> InspectReport:
    """Measure ``model`` without changing it; ``surveys`` (one per primitive) and its
    ``uv_islands`` if already counted."""
    surveys = surveys or [survey_faces(p) for p in model.primitives]
    low, high = model.bounds()
    textures = tuple(
        TextureInfo(m.name, t.name, *(t.stored_size or t.image.size))
        for m in model.materials
        if (t := m.base_color_texture) is not None
    )
    prims = model.primitives
    return InspectReport(
        source=source,
        triangles=model.triangle_count,
        vertices=model.vertex_count,
        primitives=len(prims),
        materials=len(model.materials),
        textures=textures,
        bounds_min=(float(low[0]), float(low[1]), float(low[2])),
        bounds_max=(float(high[0]), float(high[1]), float(high[2])),
        diagonal=float(np.linalg.norm(high.astype(np.float64) - low)),
        degenerate_faces=sum(int(s.degenerate.sum()) for s in surveys),
        duplicate_faces=sum(int(s.duplicate.sum()) for s in surveys),
        components=sum(s.components()[0] for s in surveys),
        uv_islands=count_uv_islands(model) if uv_islands is None else uv_islands,
        has_normals=all(p.normals is not None for p in prims),
        has_uvs=all(p.uvs is not None for p in prims),
        has_vertex_colors=all(p.colors is not None for p in prims),
    )


def count_uv_islands(model: Model) -> int:
    """UV charts over all of ``model``'s primitives."""
    return sum(uv_island_count(p) for p in model.primitives)


def inspect_source(source: Path) -> InspectReport:
    """Read an upload (file, folder or zip) and report on it; raises InvalidInput on bad input."""
    with Bundle(source) as bundle:
        return inspect_model(load_model(bundle), bundle.main)
