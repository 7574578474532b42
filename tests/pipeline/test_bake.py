"""Re-bake: colours sampled on the baked low mesh match the high-res texture."""

from __future__ import annotations

from pathlib import Path

import meshoptimizer
import numpy as np
from PIL import Image
from scipy.spatial import cKDTree

from benchmarks.surface_metrics import sample_surface
from pipeline.bake import BakeOptions, rebake
from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from pipeline.model import Material, Model, Primitive, Texture
from tests.pipeline.synthetic import grid


def _gradient_sheet(n: int, textured: bool) -> Model:
    positions, indices, uvs = grid(n)
    positions[:, 1] = 0.1 * np.sin(positions[:, 0] * 3.0)  # curved, so projection matters
    u, v = np.meshgrid(np.linspace(0, 1, 256), np.linspace(0, 1, 256))
    texels = np.stack([u * 255, v * 255, np.full_like(u, 128)], axis=-1).astype(np.uint8)
    material = Material("m", base_color_texture=Texture(Image.fromarray(texels, "RGB"), "g.png"))
    return Model(
        primitives=[Primitive(positions, indices, material=0, uvs=uvs if textured else None)],
        materials=[material] if textured else [],
    )


def _sample(model: Model, bary: np.ndarray, tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    prim = model.primitives[0]
    assert prim.uvs is not None and model.materials[0].base_color_texture is not None
    corners = prim.indices[tri].astype(np.int64)
    points = np.einsum("pk,pkj->pj", bary, prim.positions[corners])
    uv = np.einsum("pk,pkj->pj", bary, prim.uvs[corners])
    texels = np.asarray(model.materials[0].base_color_texture.image, dtype=np.float64)
    h, w = texels.shape[:2]
    return points, texels[
        (uv[:, 1] * h).astype(int).clip(0, h - 1), (uv[:, 0] * w).astype(int).clip(0, w - 1)
    ]


def test_baked_colour_matches_source() -> None:
    high, low = _gradient_sheet(64, textured=True), _gradient_sheet(6, textured=False)
    baked = rebake(high, low, options=BakeOptions(size=256))
    uvs = baked.primitives[0].uvs
    assert uvs is not None and uvs.min() >= 0.0 and uvs.max() <= 1.0
    rng = np.random.default_rng(0)
    tri = rng.integers(0, baked.triangle_count, 2000)
    bary = rng.dirichlet(np.ones(3), 2000)
    points, colour = _sample(baked, bary, tri)
    expected = np.stack([points[:, 0] * 255, points[:, 2] * 255], axis=1)  # sheet spans [0,1]² in XZ = UV
    error = np.abs(colour[:, :2] - expected)
    assert np.median(error) < 4.0, np.median(error)
    assert np.percentile(error, 95) < 16.0


def test_bake_is_deterministic() -> None:
    high, low = _gradient_sheet(32, textured=True), _gradient_sheet(6, textured=False)
    first = rebake(high, low, options=BakeOptions(size=128))
    second = rebake(high, low, options=BakeOptions(size=128))
    a, b = first.materials[0].base_color_texture, second.materials[0].base_color_texture
    assert a is not None and b is not None
    assert a.image.tobytes() == b.image.tobytes()
    np.testing.assert_array_equal(first.primitives[0].uvs, second.primitives[0].uvs)


def test_bali_mask_rebake_keeps_colour(bali_mask: Path) -> None:
    with Bundle(bali_mask) as bundle:
        high = load_model(bundle)
    prim = high.primitives[0]
    positions, welded = np.unique(prim.positions, axis=0, return_inverse=True)
    indices = welded.reshape(-1)[prim.indices.reshape(-1)].astype(np.uint32)
    destination = np.zeros(len(indices), dtype=np.uint32)
    # Plain simplify on welded positions: UV seams ignored, so the low mesh has no valid UVs.
    count = meshoptimizer.simplify(
        destination,
        indices,
        np.ascontiguousarray(positions, np.float32),
        target_index_count=60_000,
        target_error=1.0,
    )
    low = Model([Primitive(positions.astype(np.float32), destination[:count].reshape(-1, 3))], name="low")
    baked = rebake(high, low, options=BakeOptions(size=512))
    rng = np.random.default_rng(1)
    tri = rng.integers(0, baked.triangle_count, 5000)
    points, colour = _sample(baked, rng.dirichlet(np.ones(3), 5000), tri)
    source = sample_surface(high, 200_000)
    _, nearest = cKDTree(source.points).query(points)
    error = np.abs(colour - source.colours[nearest]).mean(axis=1)
    assert np.median(error) < 12.0, np.median(error)
