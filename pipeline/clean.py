"""Clean stage: weld exact duplicate vertices, drop degenerate and duplicate faces, remove floaters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import meshoptimizer
import numpy as np

from hue_errors import InvalidInput
from pipeline.model import IndexArray, Model, Primitive
from pipeline.topology import BoolArray, FaceSurvey, LabelArray, survey_faces


@dataclass(frozen=True)
class CleanOptions:
    """A floater is removed when it is small in both ways: under ``min_component_triangles``
    (fraction of the model's triangles, 0–1) and under ``min_component_diagonal`` (fraction of
    the model's bounding-box diagonal, 0–1)."""

    weld: bool = True
    drop_degenerate: bool = True
    drop_duplicates: bool = True
    min_component_triangles: float = 0.005
    min_component_diagonal: float = 0.05


def _vertex_columns(primitive: Primitive) -> np.ndarray:
    """Every attribute of every vertex side by side, so equal rows are truly interchangeable."""
    columns = [primitive.positions]
    columns += [a for a in (primitive.normals, primitive.uvs, primitive.colors) if a is not None]
    return np.ascontiguousarray(np.concatenate(columns, axis=1), dtype=np.float32)


def weld(primitive: Primitive) -> Primitive:
    """Merge vertices equal in every attribute; seams (same position, different UV) stay split."""
    remap = np.zeros(primitive.vertex_count, dtype=np.uint32)
    flat = np.ascontiguousarray(primitive.indices.reshape(-1), dtype=np.uint32)
    # meshopt numbers vertices in first-use order and marks those no face uses with ~0u.
    unique = meshoptimizer.generate_vertex_remap(remap, flat, vertices=_vertex_columns(primitive))
    if unique == primitive.vertex_count and np.array_equal(remap, np.arange(unique, dtype=np.uint32)):
        return primitive  # nothing to merge, already in first-use order
    referenced = np.nonzero(remap != 0xFFFFFFFF)[0]
    order = np.zeros(unique, dtype=np.uint32)
    order[remap[referenced]] = referenced  # any one of equal vertices stands for them all
    return _take(primitive, order, remap[primitive.indices])


def compact(primitive: Primitive, keep: BoolArray) -> Primitive:
    """Keep only the faces in ``keep`` and the vertices they use, in first-use order."""
    indices = np.ascontiguousarray(primitive.indices[keep], dtype=np.uint32)
    # First-use order keeps the vertex cache locality of the source; meshopt's fetch remap is
    # exactly that order (unused vertices get ~0u), in one pass instead of a sort.
    lookup = np.zeros(primitive.vertex_count, dtype=np.uint32)
    count = meshoptimizer.optimize_vertex_fetch_remap(
        lookup, indices.reshape(-1), indices.size, primitive.vertex_count
    )
    used = lookup != 0xFFFFFFFF
    order = np.zeros(count, dtype=np.uint32)
    order[lookup[used]] = np.nonzero(used)[0]
    return _take(primitive, order, lookup[indices])


def _take(primitive: Primitive, order: IndexArray, indices: IndexArray) -> Primitive:
    """Vertices ``order`` of ``primitive`` (every attribute), and the faces ``indices`` over them."""

    def take(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[order]

    return Primitive(
        positions=primitive.positions[order],
        indices=indices,
        material=primitive.material,
        normals=take(primitive.normals),
        uvs=take(primitive.uvs),
        colors=take(primitive.colors),
    )


def clean(model: Model, options: CleanOptions, surveys: Sequence[FaceSurvey] | None = None) -> Model:
    """A cleaned copy of ``model`` (``surveys``: one per primitive, if already made); the counts of
    what was removed are added to ``steps``."""
    surveys = surveys or [survey_faces(p) for p in model.primitives]
    diagonal = float(np.linalg.norm(np.subtract(*model.bounds()[::-1], dtype=np.float64)))
    total_triangles = model.triangle_count
    counts = {"welded_vertices": 0, "degenerate_faces": 0, "duplicate_faces": 0, "floating_components": 0}
    primitives = []
    for primitive, survey in zip(model.primitives, surveys, strict=True):
        if options.weld:  # faces keep their order and positions: the survey still holds
            before = primitive.vertex_count
            primitive = weld(primitive)
            counts["welded_vertices"] += before - primitive.vertex_count
        keep = np.ones(primitive.triangle_count, dtype=bool)
        if options.drop_degenerate:
            counts["degenerate_faces"] += int(survey.degenerate.sum())
            keep &= ~survey.degenerate
        if options.drop_duplicates:
            bad = survey.duplicate & keep
            counts["duplicate_faces"] += int(bad.sum())
            keep &= ~bad
        if options.min_component_triangles > 0 and keep.any():
            labels, floaters = _floating_faces(primitive, survey, keep, total_triangles, diagonal, options)
            counts["floating_components"] += len(np.unique(labels[floaters]))
            keep[keep] = ~floaters
        if keep.all() and options.weld:  # a weld's vertices are already the used ones in first-use order
            primitives.append(primitive)
        elif keep.any():
            primitives.append(compact(primitive, keep))
    if not primitives:
        raise InvalidInput(f"clean: {model.name}: no faces left after cleaning (expected ≥ 1)")
    steps = [*model.steps, {"stage": "clean", **counts}]
    return Model(primitives=primitives, materials=model.materials, name=model.name, steps=steps)


def _floating_faces(
    primitive: Primitive,
    survey: FaceSurvey,
    keep: BoolArray,
    total: int,
    diagonal: float,
    options: CleanOptions,
) -> tuple[LabelArray, BoolArray]:
    """The component of each kept face, and which kept faces belong to floaters."""
    count, labels = survey.components(keep)
    if count < 2:
        return labels, np.zeros(len(labels), dtype=bool)
    sizes = np.bincount(labels, minlength=count)
    corners = primitive.positions[primitive.indices[keep, 0]]
    low = np.full((count, 3), np.inf)
    high = np.full((count, 3), -np.inf)
    np.minimum.at(low, labels, corners)
    np.maximum.at(high, labels, corners)
    extent = np.linalg.norm(high - low, axis=1)
    small = (sizes < options.min_component_triangles * total) & (
        extent < options.min_component_diagonal * diagonal
    )
    if small.all():  # never delete everything: keep the largest piece
        small[int(np.argmax(sizes))] = False
    return labels, small[labels]
