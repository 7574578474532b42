"""Decimate stage: meshoptimizer's attribute-aware simplifier, with the error it reports in metres."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import meshoptimizer
import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline import meshopt_abi  # noqa: F401  (declares the simplifier's C signature)
from pipeline.clean import compact
from pipeline.model import Model, Primitive
from pipeline.topology import welded_rows


@dataclass(frozen=True)
class DecimateOptions:
    """``target_triangles`` for the whole model; ``max_error`` bounds the deviation as a fraction
    of the mesh extent (0–1): the simplifier stops early rather than exceed it. Attribute weights
    say how much a unit of UV / normal / colour change costs relative to that geometric error."""

    target_triangles: int
    max_error: float = 0.02
    uv_weight: float = 1.0
    # Geometric error is relative to the extent, so a normal or linear colour step of 0.1 at
    # weight 1 costs as much as moving the surface by a tenth of the object. At 0.1 the mask's
    # mean surface error at 20k triangles drops from 0.030 to 0.025 % of the diagonal, the
    # gargoyle's from 0.040 to 0.028 % (its colour error rises from 6.5 to 9.5 of 255).
    normal_weight: float = 0.1
    color_weight: float = 0.1
    lock_border: bool = False  # keep open boundaries (a scan's cut edge) exactly in place
    # Above this many times the target, a first pass by geometry alone (2× faster than with the
    # attribute metric: 5.9 s against 10.5 s on 6.4M triangles) takes the mesh down to that many
    # times the target; edges that short carry next to no UV or normal change. 0: never.
    geometry_first_above: float = 20.0


@dataclass(frozen=True)
class DecimateResult:
    model: Model
    error_m: float  # largest per-primitive simplifier error, in model units (metres after orient)


def simplify_primitive(
    primitive: Primitive, target: int, options: DecimateOptions
) -> tuple[Primitive, float, int]:
    """One primitive reduced to about ``target`` triangles, its error in model units, and the
    triangles the geometry-first pass left (0 when it did not run)."""
    if primitive.triangle_count <= target:
        return primitive, 0.0, 0
    metric = [
        (name, weight)
        for name, weight in (
            ("uvs", options.uv_weight),
            ("normals", options.normal_weight),
            ("colors", options.color_weight),
        )
        if getattr(primitive, name) is not None and weight > 0
    ]
    # max_error is relative to the mesh's extent: meshopt_simplifyScale, as its errors are.
    limit = options.max_error * _scale(primitive)
    spent, first = 0.0, 0
    if (
        metric
        and options.geometry_first_above
        and primitive.triangle_count > options.geometry_first_above * target
    ):
        primitive, spent = _simplified(
            primitive, round(options.geometry_first_above * target), limit, options
        )
        first = primitive.triangle_count
    columns = [getattr(primitive, name) for name, _ in metric]
    weights = [weight for name, weight in metric for _ in range(getattr(primitive, name).shape[1])]
    attributes = np.ascontiguousarray(np.concatenate(columns, axis=1), dtype=np.float32) if columns else None
    low, error = _simplified(
        primitive, target, max(0.0, limit - spent), options, attributes, np.asarray(weights, dtype=np.float32)
    )
    return low, spent + error, first


def _scale(primitive: Primitive) -> float:
    return float(meshoptimizer.simplify_scale(np.ascontiguousarray(primitive.positions, dtype=np.float32)))


def _simplified(
    primitive: Primitive,
    target: int,
    limit: float,
    options: DecimateOptions,
    attributes: npt.NDArray[np.float32] | None = None,
    weights: npt.NDArray[np.float32] | None = None,
) -> tuple[Primitive, float]:
    """One meshoptimizer pass to about ``target`` triangles within ``limit`` (model units), with
    the attribute metric when ``attributes`` are given, compacted; its error in model units."""
    indices = np.ascontiguousarray(primitive.indices.reshape(-1), dtype=np.uint32)
    positions = np.ascontiguousarray(primitive.positions, dtype=np.float32)
    scale = _scale(primitive)
    destination = np.zeros(len(indices), dtype=np.uint32)
    error = np.zeros(1, dtype=np.float32)
    flags = meshoptimizer.SIMPLIFY_LOCK_BORDER if options.lock_border else 0
    target_error = limit / scale if scale else 0.0
    if attributes is not None and weights is not None:
        # Seams (same position, different UV or normal) stay intact: meshoptimizer only collapses
        # an edge of an attribute discontinuity along that discontinuity.
        count = meshoptimizer.simplify_with_attributes(
            destination,
            indices,
            positions,
            attributes,
            weights,
            target_index_count=max(3, target * 3),
            target_error=target_error,
            options=flags,
            result_error=error,
        )
    else:  # seams are kept the same way: meshopt tells them by equal positions
        count = meshoptimizer.simplify(
            destination,
            indices,
            positions,
            target_index_count=max(3, target * 3),
            target_error=target_error,
            options=flags,
            result_error=error,
        )
    kept = replace(primitive, indices=destination[:count].reshape(-1, 3))
    return compact(kept, np.ones(kept.triangle_count, dtype=bool)), float(error[0]) * scale


def decimate(model: Model, options: DecimateOptions) -> DecimateResult:
    """A copy of ``model`` with about ``target_triangles`` triangles, split across primitives by share."""
    if model.triangle_count == 0:
        raise InvalidInput(f"decimate: {model.name}: mesh has 0 faces (expected ≥ 1)")
    if options.target_triangles < 1:
        raise InvalidInput(f"decimate: target of {options.target_triangles} triangles (expected ≥ 1)")
    total = model.triangle_count
    primitives, worst, first = [], 0.0, 0
    for primitive in model.primitives:
        target = max(1, round(options.target_triangles * primitive.triangle_count / total))
        simplified, error, geometry_first = simplify_primitive(primitive, target, options)
        if simplified.triangle_count:
            primitives.append(simplified)
        worst, first = max(worst, error), first + geometry_first
    step: dict[str, Any] = {
        "stage": "decimate",
        "target_triangles": options.target_triangles,
        "triangles": sum(p.triangle_count for p in primitives),
        "error": worst,
    }
    if first:
        step["geometry_first_triangles"] = first
    result = Model(
        primitives=primitives, materials=model.materials, name=model.name, steps=[*model.steps, step]
    )
    return DecimateResult(model=result, error_m=worst)


def decimate_ignoring_seams(model: Model, options: DecimateOptions) -> DecimateResult:
    """Geometry only, welded across UV seams and simplified freely to the target: the low mesh a
    re-bake (``pipeline.bake.rebake``) gives a fresh atlas, when seam-locked decimation stalls."""
    if model.triangle_count == 0:
        raise InvalidInput(f"decimate: {model.name}: mesh has 0 faces (expected ≥ 1)")
    faces = model.stacked_triangles()
    vertices, welded = welded_rows(model.stacked_positions())
    indices = np.ascontiguousarray(welded[faces.reshape(-1)], dtype=np.uint32)
    destination = np.zeros(len(indices), dtype=np.uint32)
    error = np.zeros(1, dtype=np.float32)
    count = meshoptimizer.simplify(
        destination,
        indices,
        vertices,
        target_index_count=max(3, options.target_triangles * 3),
        target_error=options.max_error,
        options=meshoptimizer.SIMPLIFY_LOCK_BORDER if options.lock_border else 0,
        result_error=error,
    )
    kept = destination[:count].reshape(-1, 3)
    low = compact(Primitive(positions=vertices, indices=kept), np.ones(len(kept), dtype=bool))
    error_m = float(error[0]) * float(meshoptimizer.simplify_scale(vertices))
    step = {
        "stage": "decimate",
        "seams": "ignored",
        "target_triangles": options.target_triangles,
        "triangles": low.triangle_count,
        "error": error_m,
    }
    return DecimateResult(model=Model([low], name=model.name, steps=[*model.steps, step]), error_m=error_m)
