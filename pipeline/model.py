"""The in-memory model every pipeline stage reads and returns.

Like glTF-Transform's ``Document``: one object, numpy arrays as the currency, stages
are functions ``Model -> Model``. Coordinates are glTF's (metres, +Y up) once the
orient stage has run; before that they are whatever the source used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.uint32]


@dataclass
class Texture:
    """A decoded texture image; ``name`` is the file name it came from (for messages), and
    ``stored_size`` its width × height in that file where it was decoded smaller."""

    image: Image.Image
    name: str
    stored_size: tuple[int, int] | None = None


@dataclass
class Material:
    """A glTF metallic-roughness material (glTF 2.0 §3.9.2)."""

    name: str
    base_color_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: Texture | None = None
    metallic_factor: float = 0.0
    roughness_factor: float = 1.0
    double_sided: bool = False


@dataclass
class Primitive:
    """An indexed triangle list with per-vertex attributes (all arrays share row count N)."""

    positions: FloatArray  # (N, 3)
    indices: IndexArray  # (M, 3)
    material: int | None = None  # index into Model.materials
    normals: FloatArray | None = None  # (N, 3), unit length
    uvs: FloatArray | None = None  # (N, 2), glTF convention: origin top-left
    colors: FloatArray | None = None  # (N, 4), linear RGBA in [0, 1]

    @property
    def triangle_count(self) -> int:
        return int(self.indices.shape[0])

    @property
    def vertex_count(self) -> int:
        return int(self.positions.shape[0])


@dataclass
class Model:
    """A whole scanned object: primitives, their materials, and what was done to them."""

    primitives: list[Primitive]
    materials: list[Material] = field(default_factory=list)
    name: str = "model"
    # Provenance and processing record, filled by the stages (written to the GLB's
    # KHR_xmp_json_ld packet and the run manifest).
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def triangle_count(self) -> int:
        return sum(p.triangle_count for p in self.primitives)

    @property
    def vertex_count(self) -> int:
        return sum(p.vertex_count for p in self.primitives)

    def stacked_positions(self) -> FloatArray:
        """Every primitive's positions, one after another (N, 3)."""
        return np.concatenate([p.positions for p in self.primitives], axis=0)

    def stacked_triangles(self) -> npt.NDArray[np.int64]:
        """Every primitive's triangles (M, 3), as rows of ``stacked_positions``."""
        offsets = np.cumsum([0] + [p.vertex_count for p in self.primitives[:-1]])
        return np.concatenate(
            [p.indices.astype(np.int64) + o for p, o in zip(self.primitives, offsets, strict=True)]
        )

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Axis-aligned (min, max) over all primitives."""
        stacked = self.stacked_positions()
        return stacked.min(axis=0), stacked.max(axis=0)
