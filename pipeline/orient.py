"""Orient stage: glTF frame (+Y up, metres), ground found or given, origin at the base centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline.model import Model, Primitive

UpAxis = Literal["auto", "x", "y", "z", "-x", "-y", "-z"]
Dimension = Literal["height", "width", "depth"]
Matrix = npt.NDArray[np.float64]

# Rotations taking each candidate up axis onto +Y (proper rotations, det = +1).
ROTATIONS: dict[str, Matrix] = {
    "y": np.eye(3),
    "-y": np.diag([1.0, -1.0, -1.0]),
    "x": np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]),
    "-x": np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]]),
    "z": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
    "-z": np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
}
AXES = {"x": 0, "y": 1, "z": 2, "height": 1, "width": 0, "depth": 2}
# Largest side of a scaled model, metres: from a coin to the walls of the Imperial City (2.5 km)
# with room either way; outside it a scale is a typo, and float32 positions overflow or collapse.
METRES_ACROSS = (0.001, 100_000.0)


@dataclass(frozen=True)
class OrientOptions:
    """``up`` is the source's up axis ("auto": find the ground). Scale by ``scale_factor``
    (metres per source unit) or make one ``known_dimension`` (after orienting) that many metres."""

    up: UpAxis = "auto"
    scale_factor: float | None = None
    known_dimension: tuple[Dimension, float] | None = None
    ground_slab: float = 0.02  # fraction of the height searched for the ground, 0–1
    min_ground_area: float = 0.1  # flat area needed, as a fraction of the bounding-box footprint


def find_up_axis(model: Model, options: OrientOptions) -> str | None:
    """The axis-aligned up direction whose lowest slab holds the most flat area, or None.

    Scans come off a tripod or turntable aligned with one axis of the capture frame, so only
    the six axis directions are tried; the ground is large, flat and at the bottom.
    """
    positions = model.stacked_positions()
    corners = positions[model.stacked_triangles()]  # float32 (M, 3, 3) is enough here
    first, second = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    cross = np.cross(first, second)
    double_area = np.sqrt(np.einsum("ij,ij->i", cross, cross))
    extent = np.ptp(positions, axis=0).astype(np.float64)
    scores: dict[str, float] = {}
    for name, axis in (("y", 1), ("z", 2), ("x", 0)):  # ties go to glTF's own convention first
        footprint = float(np.prod(np.delete(extent, axis)))
        centres = corners[:, 0, axis] + corners[:, 1, axis] + corners[:, 2, axis]  # 3 × the centroid
        flat = np.abs(cross[:, axis]) > 0.95 * double_area
        for sign, label in ((1.0, name), (-1.0, f"-{name}")):
            height = sign * centres
            slab = height <= height.min() + 3 * options.ground_slab * extent[axis]
            area = float(double_area[slab & flat].sum(dtype=np.float64)) / 2
            if footprint > 0 and area >= options.min_ground_area * footprint:
                scores[label] = area
    return max(scores, key=lambda k: scores[k]) if scores else None


def orient(model: Model, options: OrientOptions) -> Model:
    """Rotate to +Y up, move the base centre to the origin, scale to metres; record the matrix."""
    detected = find_up_axis(model, options) if options.up == "auto" else None
    up = options.up if options.up != "auto" else (detected or "y")
    rotation = ROTATIONS[up]
    # glTF sources are already +Y up: the identity product would only cost time (it is exact).
    rotated = [
        p.positions.astype(np.float64) if up == "y" else p.positions.astype(np.float64) @ rotation.T
        for p in model.primitives
    ]
    stacked = np.concatenate(rotated)
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    offset = -np.array([(low[0] + high[0]) / 2, low[1], (low[2] + high[2]) / 2])
    scale, scale_source = _scale(high - low, options)
    matrix = np.eye(4)
    matrix[:3, :3] = scale * rotation
    matrix[:3, 3] = scale * offset
    primitives = [
        Primitive(
            positions=((positions + offset) * scale).astype(np.float32),
            indices=p.indices,
            material=p.material,
            normals=p.normals
            if p.normals is None or up == "y"
            else (p.normals.astype(np.float64) @ rotation.T).astype(np.float32),
            uvs=p.uvs,
            colors=p.colors,
        )
        for p, positions in zip(model.primitives, rotated, strict=True)
    ]
    step = {
        "stage": "orient",
        "up": up,
        "up_detected": options.up == "auto" and detected is not None,
        "scale": scale,
        "scale_source": scale_source,
        "matrix": [[float(v) for v in row] for row in matrix],  # row-major, source → glTF metres
    }
    return Model(
        primitives=primitives, materials=model.materials, name=model.name, steps=[*model.steps, step]
    )


def _scale(extent: npt.NDArray[np.float64], options: OrientOptions) -> tuple[float, str]:
    """Metres per source unit and where the figure came from; a given scale must make the model
    measure ``METRES_ACROSS`` (float32 positions would otherwise overflow or collapse to a point)."""
    if options.scale_factor is not None and options.known_dimension is not None:
        raise InvalidInput("orient: give a scale factor or a known dimension, not both")
    if options.scale_factor is not None:
        if not np.isfinite(options.scale_factor) or options.scale_factor <= 0:
            raise InvalidInput(f"orient: scale factor {options.scale_factor} (expected a finite number > 0)")
        scale, source = float(options.scale_factor), "scale_factor"
    elif options.known_dimension is not None:
        dimension, metres = options.known_dimension
        size = float(extent[AXES[dimension]])
        if not np.isfinite(metres) or metres <= 0 or size <= 0:
            raise InvalidInput(
                f"orient: known {dimension} {metres} m on a model {size} units {dimension} "
                "(expected both > 0)"
            )
        scale, source = metres / size, f"known_{dimension}"
    else:
        return 1.0, "source_units"
    across = scale * float(extent.max())
    low, high = METRES_ACROSS
    if not low <= across <= high:
        raise InvalidInput(
            f"orient: with this scale the model measures {across:.3g} m across "
            f"(expected {low} m to {high:g} m: check the scale factor or the known dimension)"
        )
    return scale, source
