"""Clean stage: weld exact duplicate vertices, drop degenerate and duplicate faces, remove floaters."""

from __future__ import annotations

from dataclasses import dataclass

import meshoptimizer
import numpy as np

from hue_errors import InvalidInput
from pipeline.model import Model, Primitive
from pipeline.topology import BoolArray, LabelArray, component_labels, degenerate_faces, duplicate_faces


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
    packed = _vertex_columns(primitive)
    remap = np.zeros(primitive.vertex_count, dtype=np.uint32)
    flat = np.ascontiguousarray(primitive.indices.reshape(-1), dtype=np.uint32)
    unique = meshoptimizer.generate_vertex_remap(remap, flat, vertices=packed)
    referenced = remap != 0xFFFFFFFF  # meshopt marks vertices no face uses with ~0u
    welded = np.zeros((unique, packed.shape[1]), dtype=np.float32)
    welded[remap[referenced]] = packed[referenced]
    return _from_columns(primitive, welded, remap[primitive.indices])


def _from_columns(primitive: Primitive, packed: np.ndarray, indices: np.ndarray) -> Primitive:
    offset, parts = 3, {}
    for name in ("normals", "uvs", "colors"):
        current = getattr(primitive, name)
        if current is not None:
            width = current.shape[1]
            parts[name] = packed[:, offset : offset + width].copy()
            offset += width
    return Primitive(
        positions=packed[:, :3].copy(),
        indices=indices.astype(np.uint32),
        material=primitive.material,
        normals=parts.get("normals"),
        uvs=parts.get("uvs"),
        colors=parts.get("colors"),
    )


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
    order = np.zeros(count, dtype=np.int64)
    order[lookup[used]] = np.nonzero(used)[0]
    packed = _vertex_columns(primitive)[order]
    return _from_columns(primitive, packed, lookup[indices])


def clean(model: Model, options: CleanOptions) -> Model:
    """A cleaned copy of ``model``; the counts of what was removed are added to ``steps``."""
    diagonal = float(np.linalg.norm(np.subtract(*model.bounds()[::-1], dtype=np.float64)))
    total_triangles = model.triangle_count
    counts = {"welded_vertices": 0, "degenerate_faces": 0, "duplicate_faces": 0, "floating_components": 0}
    primitives = []
    for primitive in model.primitives:
        if options.weld:
            before = primitive.vertex_count
            primitive = weld(primitive)
            counts["welded_vertices"] += before - primitive.vertex_count
        keep = np.ones(primitive.triangle_count, dtype=bool)
        if options.drop_degenerate:
            bad = degenerate_faces(primitive)
            counts["degenerate_faces"] += int(bad.sum())
            keep &= ~bad
        if options.drop_duplicates:
            bad = duplicate_faces(primitive) & keep
            counts["duplicate_faces"] += int(bad.sum())
            keep &= ~bad
        primitive = compact(primitive, keep)
        if options.min_component_triangles > 0 and primitive.triangle_count:
            labels, floaters = _floating_faces(primitive, total_triangles, diagonal, options)
            counts["floating_components"] += len(np.unique(labels[floaters]))
            primitive = compact(primitive, ~floaters)
        if primitive.triangle_count:
            primitives.append(primitive)
    if not primitives:
        raise InvalidInput(f"clean: {model.name}: no faces left after cleaning (expected ≥ 1)")
    steps = [*model.steps, {"stage": "clean", **counts}]
    return Model(primitives=primitives, materials=model.materials, name=model.name, steps=steps)


def _floating_faces(
    primitive: Primitive, total: int, diagonal: float, options: CleanOptions
) -> tuple[LabelArray, BoolArray]:
    """The component of each face, and which faces belong to floaters."""
    count, labels = component_labels(primitive)
    if count < 2:
        return labels, np.zeros(primitive.triangle_count, dtype=bool)
    sizes = np.bincount(labels, minlength=count)
    corners = primitive.positions[primitive.indices[:, 0]]
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
