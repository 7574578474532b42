"""Poster image for the viewer's first paint: a CPU z-buffer rasterizer over a Model.

Hand-written because no maintained pure-Python/numpy offscreen renderer exists that
works without GL/EGL (pyrender, moderngl, open3d all need a GL context or a GPU).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from hue_errors import InvalidInput
from pipeline.batches import map_threads
from pipeline.model import Model, Primitive
from pipeline.raster import box_pixels, covered_pixels, edge_coefficients
from pipeline.textures import nearest_texels

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
CHUNK_PIXELS = 1_000_000  # candidate pixels per chunk (measured: 4 000 000 took a third longer)


@dataclass(frozen=True)
class PosterOptions:
    """How the poster is framed and shaded."""

    size: int = 1024  # output width = height, pixels
    supersample: int = 2  # render at size*supersample, then box-filter down (antialiasing)
    background: tuple[int, int, int, int] = (0, 0, 0, 0)  # RGBA; alpha 0 = transparent
    yaw_deg: float = 35.0  # 3/4 view: rotation about +Y
    pitch_deg: float = 20.0  # camera elevation
    fov_deg: float = 35.0
    ambient: float = 0.35
    light_dir: tuple[float, float, float] = (0.4, 0.8, 0.6)  # towards the light, view space


def _camera(model: Model, options: PosterOptions) -> tuple[F64, F64, float]:
    """World→view rotation, eye position and focal scale framing the bounding sphere."""
    lo, hi = model.bounds()
    centre = (lo.astype(np.float64) + hi) / 2.0
    radius = float(np.linalg.norm(hi.astype(np.float64) - lo)) / 2.0 or 1.0
    yaw, pitch = np.radians(options.yaw_deg), np.radians(options.pitch_deg)
    forward = -np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rot = np.stack([right, up, -forward])  # rows: view x, y, z (camera looks down -z)
    half_fov = np.radians(options.fov_deg) / 2.0
    distance = radius / np.sin(half_fov) * 1.05
    eye = centre - forward * distance
    return rot, eye, 1.0 / np.tan(half_fov)


def _surface_colours(prim: Primitive, model: Model, bary: F64, tri: npt.NDArray[np.int64]) -> F64:
    """RGB in [0,1] per covered pixel from texture, vertex colours or material factor."""
    corners = prim.indices[tri].astype(np.int64)  # (P, 3)
    material = model.materials[prim.material] if prim.material is not None else None
    factor = np.array(material.base_color_factor[:3] if material else (0.8, 0.8, 0.8))
    if material and material.base_color_texture is not None and prim.uvs is not None:
        # Only the sampled texels become floats: the whole atlas in float64 is 400 MB at 4096².
        texels = np.asarray(material.base_color_texture.image.convert("RGB"))
        uv = np.einsum("pk,pkj->pj", bary, prim.uvs[corners].astype(np.float64))
        sampled: F64 = nearest_texels(texels, uv) / 255.0 * factor
        return sampled
    if prim.colors is not None:
        blended: F64 = np.einsum("pk,pkj->pj", bary, prim.colors[corners, :3].astype(np.float64)) * factor
        return blended
    flat: F64 = np.tile(factor, (len(tri), 1))
    return flat


@dataclass(frozen=True)
class _Screen:
    """One primitive's triangles on an n×n screen: pixel bounding boxes (first column and row,
    width, height), edge coefficients and corner depths."""

    n: int
    x0: F64
    y0: F64
    width: F64
    height: F64
    coefficients: F64
    depths: F64

    def nearest(self, sel: I64) -> tuple[I64, F64, F64, I64]:
        """Triangles ``sel``'s nearest fragment per pixel: pixel, depth, perspective-correct
        barycentrics, triangle."""
        w, h = self.width[sel].astype(np.int64), self.height[sel].astype(np.int64)
        owner, px, py = box_pixels(self.x0[sel], self.y0[sel], w, w * h)
        t = sel[owner]
        inside, bary = covered_pixels(self.coefficients, t, px, py, 1e-9)
        t = t[inside]
        pixel = (py[inside] * self.n + px[inside]).astype(np.int64)
        # Perspective-correct interpolation: weight by 1/z (OpenGL 4.6 §14.6.1).
        persp = bary / self.depths[t]
        pz = 1.0 / persp.sum(1)
        persp *= pz[:, None]
        # Nearest fragment per pixel: sort by depth, keep the first per pixel.
        order = np.lexsort((pz, pixel))
        pixel, pz, persp, t = pixel[order], pz[order], persp[order], t[order]
        first = np.ones(len(pixel), dtype=bool)
        first[1:] = pixel[1:] != pixel[:-1]
        return pixel[first], pz[first], persp[first], t[first]


def render_poster(model: Model, *, options: PosterOptions = PosterOptions()) -> Image.Image:
    """Render the model from a 3/4 view into an RGBA image of options.size² pixels."""
    if model.triangle_count == 0:
        raise InvalidInput(f"poster: model {model.name!r} has 0 triangles (expected ≥ 1)")
    n = options.size * max(1, options.supersample)
    rot, eye, focal = _camera(model, options)
    depth = np.full(n * n, np.inf)
    rgb = np.zeros((n * n, 3))
    light = np.asarray(options.light_dir, dtype=np.float64)
    light /= np.linalg.norm(light)
    for prim in model.primitives:
        view = (prim.positions.astype(np.float64) - eye) @ rot.T
        z = -view[:, 2]  # positive distance in front of the camera
        safe_z = np.where(z > 1e-9, z, np.nan)
        sx = (view[:, 0] * focal / safe_z + 1.0) * 0.5 * n
        sy = (1.0 - view[:, 1] * focal / safe_z) * 0.5 * n
        tris = prim.indices.astype(np.int64)
        x, y, zz = sx[tris], sy[tris], z[tris]  # (M, 3)
        # Flat normal in view space (face shading; also used for two-sided lighting).
        v = view[tris]
        fn = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        fn /= np.linalg.norm(fn, axis=1, keepdims=True) + 1e-30
        fn *= np.where(fn[:, 2:3] < 0, -1.0, 1.0)  # face the camera: scans are often open shells
        shade = options.ambient + (1.0 - options.ambient) * np.clip(fn @ light, 0.0, 1.0)
        area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
        ok = np.isfinite(x).all(1) & np.isfinite(y).all(1) & (np.abs(area) > 1e-12)
        x0 = np.ceil(x.min(1) - 0.5).clip(0, n)
        x1 = np.floor(x.max(1) - 0.5).clip(-1, n - 1)
        y0 = np.ceil(y.min(1) - 0.5).clip(0, n)
        y1 = np.floor(y.max(1) - 0.5).clip(-1, n - 1)
        ok &= (x1 >= x0) & (y1 >= y0)
        idx = np.nonzero(ok)[0]
        width, height = x1 - x0 + 1, y1 - y0 + 1  # NaN off screen: only idx's are used
        counts = (width * height)[idx].astype(np.int64)
        # Expand every triangle's bounding box into candidate pixels, in chunks of about a million
        # (bounded memory, and arrays small enough for the allocator to reuse: fresh pages cost
        # more than the arithmetic); chunks are rasterised on every core and merged in order.
        starts = np.searchsorted(np.cumsum(counts), np.arange(0, counts.sum(), CHUNK_PIXELS), "right")
        bounds = [*starts.tolist(), len(idx)]
        chunks = [idx[a:b] for a, b in itertools.pairwise(bounds) if a < b]
        screen = _Screen(n, x0, y0, width, height, edge_coefficients(x, y, area), zz)
        for pixel, pz, persp, t in map_threads(screen.nearest, chunks):
            win = pz < depth[pixel]  # an earlier chunk wins ties, as in one pass
            pixel, pz, persp, t = pixel[win], pz[win], persp[win], t[win]
            depth[pixel] = pz
            rgb[pixel] = _surface_colours(prim, model, persp, t) * shade[t][:, None]
    covered = np.isfinite(depth)
    bg = np.asarray(options.background, dtype=np.float64) / 255.0
    # Colour premultiplied by alpha, so a transparent background does not darken edges: ``rgb``
    # is 0 where nothing was drawn, and the background's premultiplied colour goes there.
    rgb += (~covered)[:, None] * (bg[:3] * bg[3])
    s = max(1, options.supersample)
    size = options.size
    # Box filter over s×s samples.
    pooled = np.empty((size, size, 4))
    pooled[..., :3] = rgb.reshape(size, s, size, s, 3).mean(axis=(1, 3))
    pooled[..., 3] = np.where(covered, 1.0, bg[3]).reshape(size, s, size, s).mean(axis=(1, 3))
    alpha = pooled[..., 3:4]
    pooled[..., :3] = np.where(alpha > 0, pooled[..., :3] / np.maximum(alpha, 1e-12), 0.0)
    return Image.fromarray(np.round(pooled.clip(0, 1) * 255).astype(np.uint8), "RGBA")
