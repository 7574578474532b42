"""Re-unwrap a decimated mesh with xatlas (``pipeline.unwrap``) and bake base colour from the
full-resolution scan.

For seam-heavy photogrammetry, seam-locked decimation stalls; decimating with seams
ignored and re-baking the texture onto a fresh atlas reaches low triangle counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from hue_errors import InvalidInput
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.normals import face_normals, unit_normals
from pipeline.raster import rasterise_triangles
from pipeline.surface import SurfaceIndex
from pipeline.textures import nearest_texels
from pipeline.unwrap import Atlas, AtlasJob, AtlasOptions

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BakeOptions:
    """Atlas size, chart padding and largest chart."""

    size: int = 1024  # atlas width = height, texels
    padding: int = 4  # xatlas gap between charts, texels
    # Largest chart, as a share of the surface area. xatlas grows charts face by face at a cost
    # that rises steeply with their size: on a 20 000-triangle scan a 1 % cap makes it 3.7×
    # faster (50 000 triangles: 3×) for as many charts and 1 % less of the atlas used; 0.5 %
    # takes the seam-heavy mask's atlas from 0.37 to 0.29 s (1 063 charts, not 952) for a
    # baked colour error 1.6 % larger (6.05 → 6.15 of 255); 0.25 % is no faster and worse.
    max_chart_share: float = 0.005


class BakeSource:
    """The textured scan a bake samples: its triangles in a closest-point index, their UVs and
    the base-colour texels. Independent of the low mesh, so a run builds it on its second
    thread while the low mesh is made."""

    def __init__(self, high: Model) -> None:
        positions, triangles, self.uvs, self.texels = _merged(high)
        self.index = SurfaceIndex(positions, triangles)


def _merged(model: Model) -> tuple[F64, I64, F64, npt.NDArray[np.uint8]]:
    """All primitives as one soup: positions, triangles, UVs, and primitive 0's base-colour texels."""
    uvs = []
    for prim in model.primitives:
        if prim.uvs is None:
            raise InvalidInput(
                f"bake: model {model.name!r} has a primitive without UVs (expected textured scan)"
            )
        uvs.append(prim.uvs.astype(np.float64))
    material_index = model.primitives[0].material
    texture = model.materials[material_index].base_color_texture if material_index is not None else None
    if texture is None:
        raise InvalidInput(f"bake: model {model.name!r} has no base colour texture to bake from")
    image = texture.image if texture.image.mode == "RGB" else texture.image.convert("RGB")
    texels = np.asarray(image)  # uint8: a 4096² atlas as floats is 400 MB
    positions = model.stacked_positions().astype(np.float64)
    return positions, model.stacked_triangles(), np.concatenate(uvs), texels


def _merged_low(low: Model) -> tuple[F32, I64]:
    if low.triangle_count == 0:
        raise InvalidInput(f"bake: low model {low.name!r} has 0 triangles (expected ≥ 1)")
    return low.stacked_positions().astype(np.float32, copy=False), low.stacked_triangles()


def start_atlas(job: AtlasJob, low: Model, options: BakeOptions = BakeOptions()) -> None:
    """Have ``job`` make a fresh xatlas atlas of ``low`` while the caller goes on (a run fits
    ``low`` to the scan meanwhile: the fit moves vertices by at most the decimation error, far
    less than a chart, and keeps every triangle, so the charts still hold)."""
    positions, triangles = _merged_low(low)
    area = np.linalg.norm(face_normals(positions.astype(np.float64), triangles), axis=1).sum() / 2
    job.start(
        positions,
        triangles,
        AtlasOptions(options.size, options.padding, float(area * options.max_chart_share)),
    )


def rebake(source: BakeSource, low: Model, atlas: Atlas, *, options: BakeOptions = BakeOptions()) -> Model:
    """Return ``low`` on ``atlas`` (from ``start_atlas`` of ``low`` or of it before a fit), base
    colour baked from ``source``, and vertex normals from its own geometry (``low`` comes from a
    seam-ignoring decimation and a fit that moved it: no normals of its own hold)."""
    lo_pos, lo_tri = _merged_low(low)
    if len(atlas.triangles) != len(lo_tri) or atlas.vertices.max() >= len(lo_pos):
        raise ValueError(f"bake: the atlas is not of {low.name!r}'s mesh")
    lo_points = lo_pos.astype(np.float64)
    positions = lo_points[atlas.vertices]
    # Normals of the low mesh as it is now (after any fit moved it), computed on its own
    # vertices: they follow their vertex into the atlas, so chart seams do not crease.
    normals = unit_normals(None, lo_points, lo_tri)[atlas.vertices]
    new_tri, new_uv = atlas.triangles, atlas.uvs

    # Rasterise every atlas triangle in texel space: texel centre → barycentric → 3D point.
    n = options.size
    # xatlas UV origin matches image row 0 after the flip below.
    texel, owner, bary = rasterise_triangles((new_uv[new_tri] * n).astype(np.float64), n)
    texel, first = np.unique(texel, return_index=True)  # lowest triangle id wins: deterministic
    tri = owner[first]
    b = bary[first]
    points = np.matmul(b[:, None, :], positions[new_tri[tri]])[:, 0]  # batched: 3× einsum's speed

    found = source.index.closest(points)  # the nearest point of the scan's surface
    uv = np.matmul(found.bary[:, None, :], source.uvs[source.index.triangles[found.triangle]])[:, 0]

    image = np.zeros((n * n, 3), dtype=np.uint8)
    image[texel] = nearest_texels(source.texels, uv)
    filled = np.zeros(n * n, dtype=bool)
    filled[texel] = True
    grid = fill_empty(image.reshape(n, n, 3), filled.reshape(n, n))

    material = Material(
        name=f"{low.name}-baked",
        base_color_texture=Texture(Image.fromarray(grid, "RGB"), "baked.png"),
    )
    primitive = Primitive(
        positions=positions.astype(np.float32),
        indices=new_tri.astype(np.uint32),
        material=0,
        normals=normals,
        uvs=new_uv.astype(np.float32),  # texel rows were indexed by v directly: glTF top-left origin
    )
    step = {
        "stage": "bake",
        "atlas": n,
        "triangles": len(new_tri),
        "source_triangles": len(source.index.triangles),
    }
    return Model(primitives=[primitive], materials=[material], name=low.name, steps=[*low.steps, step])


def fill_empty(image: npt.NDArray[np.uint8], filled: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint8]:
    """``image`` with every empty texel given the mean colour of the filled texels in its smallest
    enclosing 2^k × 2^k block that has any (pull-push, Gortler et al. 1996, "The Lumigraph").

    The blocks are the ones box-filtered mipmaps average, so no level of the texture's mip chain
    mixes in a background colour. Against an 8-texel gutter dilated around each chart on a black
    background, it takes the seam-heavy mask's 1024² WebP atlas from 206 to 82 KB and its encode
    from 0.18 to 0.08 s, and the fill itself 0.08 → 0.05 s. (No library fills a texture this way.)
    """
    level = np.empty((*filled.shape, 4), dtype=np.float32)  # colour sums, then the coverage
    np.multiply(image, filled[..., None], out=level[..., :3])
    level[..., 3] = filled
    pyramid = []
    while max(level.shape[:2]) > 1:
        level = _half(level)
        pyramid.append(level)
    fill = np.zeros((1, 1, 3), dtype=np.float32)  # above the whole image: nothing to take
    for level in reversed(pyramid):
        covered = level[..., 3:]
        fill = np.where(covered > 0, level[..., :3] / np.maximum(covered, 1), _double(fill, level.shape))
    coarse = _double(np.rint(fill).astype(np.uint8), filled.shape)
    filled_image: npt.NDArray[np.uint8] = np.where(filled[..., None], image, coarse)
    return filled_image


def _half(level: F32) -> F32:
    """Sums of each 2 × 2 block (an odd side padded with an empty row or column)."""
    rows, columns = level.shape[:2]
    if rows % 2 or columns % 2:
        level = np.pad(level, ((0, rows % 2), (0, columns % 2), (0, 0)))
    summed: F32 = level[0::2, 0::2] + level[1::2, 0::2] + level[0::2, 1::2] + level[1::2, 1::2]
    return summed


def _double(level: npt.NDArray[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """Each texel as a 2 × 2 block, cropped to ``shape``'s rows and columns."""
    rows, columns, channels = level.shape
    blocks = np.broadcast_to(level[:, None, :, None], (rows, 2, columns, 2, channels))
    return blocks.reshape(2 * rows, 2 * columns, channels)[: shape[0], : shape[1]]
