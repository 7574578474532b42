"""Re-bake: colours sampled on the baked low mesh match the high-res texture."""

from __future__ import annotations

import json
from pathlib import Path

import meshoptimizer
import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from benchmarks.surface_metrics import sample_surface
from hue_errors import InvalidInput
from pipeline import run, textures
from pipeline.bake import BakeOptions, BakeSource, fill_empty, rebake, start_atlas
from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.recipe import load_recipe
from pipeline.run import run_pipeline
from pipeline.topology import uv_island_count
from pipeline.unwrap import AtlasJob
from tests.pipeline.conftest import Validator, error_messages
from tests.pipeline.synthetic import gltf_document, grid, write_gltf


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


def _rebaked(source: BakeSource, low: Model, options: BakeOptions) -> Model:
    with AtlasJob() as atlas:
        start_atlas(atlas, low, options)
        return rebake(source, low, atlas.result(), options=options)


def test_baked_colour_matches_source() -> None:
    high, low = _gradient_sheet(64, textured=True), _gradient_sheet(6, textured=False)
    baked = _rebaked(BakeSource(high), low, BakeOptions(size=256))
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


def test_baked_normals_follow_the_low_mesh_as_it_is() -> None:
    high, low = _gradient_sheet(64, textured=True), _gradient_sheet(6, textured=False)
    low.primitives[0].positions[:, 1] += 0.2 * low.primitives[0].positions[:, 2]  # moved: a tilt
    baked = _rebaked(BakeSource(high), low, BakeOptions(size=128)).primitives[0]
    assert baked.normals is not None
    corners = baked.positions[baked.indices]
    faces = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    agreement = np.einsum("fkj,fj->fk", baked.normals[baked.indices], faces)
    assert np.allclose(np.linalg.norm(baked.normals, axis=1), 1.0, atol=1e-5)
    assert agreement.min() > 0.95  # each corner's normal is its surface's, tilt included


def test_charts_are_capped_at_a_share_of_the_surface() -> None:
    high, low = _gradient_sheet(32, textured=True), _gradient_sheet(16, textured=False)
    source = BakeSource(high)
    whole = _rebaked(source, low, BakeOptions(size=128, max_chart_share=1.0))
    capped = _rebaked(source, low, BakeOptions(size=128, max_chart_share=0.05))
    assert uv_island_count(whole.primitives[0]) <= 2  # a gently curved sheet opens out in one piece
    assert uv_island_count(capped.primitives[0]) >= 10  # xatlas treats the cap as a guide


def test_bake_is_deterministic() -> None:
    high, low = _gradient_sheet(32, textured=True), _gradient_sheet(6, textured=False)
    first = _rebaked(BakeSource(high), low, BakeOptions(size=128))
    second = _rebaked(BakeSource(high), low, BakeOptions(size=128))
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
    baked = _rebaked(BakeSource(high), low, BakeOptions(size=512))
    rng = np.random.default_rng(1)
    tri = rng.integers(0, baked.triangle_count, 5000)
    points, colour = _sample(baked, rng.dirichlet(np.ones(3), 5000), tri)
    source = sample_surface(high, 200_000)
    _, nearest = cKDTree(source.points).query(points)
    error = np.abs(colour - source.colours[nearest]).mean(axis=1)
    assert np.median(error) < 12.0, np.median(error)


def _island_scan(folder: Path, n: int = 48) -> Path:
    """A curved sheet whose every triangle is its own UV island (vertices split along every edge), the
    worst case of photogrammetry atlases; each island is painted the colour of where it sits."""
    positions, indices, _ = grid(n)
    positions[:, 1] = 0.1 * np.sin(positions[:, 0] * 3.0)
    corners = positions[indices].reshape(-1, 3)
    triangles = np.arange(len(corners), dtype=np.uint32).reshape(-1, 3)
    cells = int(np.ceil(np.sqrt(len(triangles))))
    cell_px = 4
    size = cells * cell_px
    texels = np.zeros((size, size, 3), dtype=np.uint8)
    uvs = np.zeros((len(corners), 2), dtype=np.float32)
    shape = np.array([[0.5, 0.5], [3.5, 0.5], [0.5, 3.5]], dtype=np.float32)
    for t, corner in enumerate(triangles):
        row, col = divmod(t, cells)
        centre = corners[corner].mean(axis=0)
        texels[row * cell_px : (row + 1) * cell_px, col * cell_px : (col + 1) * cell_px] = (
            centre[0] * 255,
            centre[2] * 255,
            128,
        )
        uvs[corner] = (shape + np.array([col, row]) * cell_px) / size
    Image.fromarray(texels, "RGB").save(folder / "islands.png")
    return write_gltf(
        folder / "islands.gltf", gltf_document(corners, triangles, uvs, image_uri="islands.png")
    )


def test_stalled_seam_locked_level_is_rebaked_to_its_target(
    tmp_path: Path, validate: Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _island_scan(tmp_path)
    resized: list[tuple[int, int]] = []
    fit = textures._fit

    def recorded(texture: Texture, max_px: int) -> Texture:
        resized.append(texture.image.size)
        return fit(texture, max_px)

    monkeypatch.setattr(textures, "_fit", recorded)
    recipe = tmp_path / "low.json"
    level = {
        "name": "low",
        "target_triangles": 400,
        "texture_px": 256,
        "texture_format": "jpeg",
        "texture_quality": 95,
    }
    recipe.write_text(json.dumps({"name": "low", "description": "one low level", "levels": [level]}))

    result = run_pipeline(source, tmp_path / "out", recipe=str(recipe))

    [low] = result.levels
    assert low.triangles <= 440  # seam-locked decimation alone keeps every one of the 4,608
    assert resized == [(256, 256)]  # only the baked atlas: the scan's 272² one was never resized
    assert error_messages(validate(low.path)) == []
    manifest = json.loads(result.manifest.read_text())
    assert manifest["levels"][0]["triangles"] == low.triangles
    with Bundle(low.path) as bundle:
        baked = load_model(bundle)
    # The GLB's provenance (KHR_xmp_json_ld) records the seam-free decimation and the bake.
    packed = low.path.read_bytes()
    assert b"stage=decimate seams=ignored" in packed and b"stage=bake atlas=256" in packed
    # Colour still says where each point sits: the bake sampled the full-resolution islands.
    rng = np.random.default_rng(2)
    tri = rng.integers(0, baked.triangle_count, 2000)
    points, colour = _sample(baked, rng.dirichlet(np.ones(3), 2000), tri)
    extent = np.ptp(points[:, [0, 2]], axis=0)
    expected = (points[:, [0, 2]] - points[:, [0, 2]].min(axis=0)) / extent * 255
    assert np.median(np.abs(colour[:, :2] - expected)) < 12.0


def test_a_rebake_not_foreseen_makes_the_same_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Foreseen from its UV islands, the level is decimated ignoring seams at once; unforeseen,
    # the seam-preserving decimation stalls first. Only the scheduling differs.
    source = _island_scan(tmp_path)
    recipe = tmp_path / "low.json"
    level = {"name": "low", "target_triangles": 400, "texture_px": 256}
    recipe.write_text(json.dumps({"name": "low", "description": "one low level", "levels": [level]}))
    foreseen = run_pipeline(source, tmp_path / "foreseen", recipe=str(recipe))
    assert run._expects_rebake(load_recipe(str(recipe)), 400, foreseen.inspect.uv_islands)
    monkeypatch.setattr(run, "SEAM_FLOOR", 0)
    unforeseen = run_pipeline(source, tmp_path / "unforeseen", recipe=str(recipe))
    assert b"stage=bake" in unforeseen.levels[0].path.read_bytes()
    assert foreseen.levels[0].path.read_bytes() == unforeseen.levels[0].path.read_bytes()


@pytest.mark.parametrize("failing", ["orient", "decimate_ignoring_seams"])
def test_a_failing_run_stops_its_atlas_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    # The spare atlas process starts before the scan is oriented; a level's starts with its
    # seam-free decimation. Either failure ends the run with no child left and no files.
    source = _island_scan(tmp_path)
    recipe = tmp_path / "low.json"
    level = {"name": "low", "target_triangles": 400, "texture_px": 256}
    recipe.write_text(json.dumps({"name": "low", "description": "one low level", "levels": [level]}))
    started: list[AtlasJob] = []

    class Recorded(AtlasJob):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    def refuse(*_args: object) -> None:
        raise InvalidInput(f"{failing}: refused for the test")

    monkeypatch.setattr(run, "AtlasJob", Recorded)
    monkeypatch.setattr(run, failing, refuse)
    with pytest.raises(InvalidInput, match="refused for the test"):
        run_pipeline(source, tmp_path / "out", recipe=str(recipe))
    assert len(started) == 1
    assert all(job._child.returncode is not None for job in started)
    assert not any(Path(job._folder.name).exists() for job in started)


def test_fill_gives_each_empty_texel_its_enclosing_blocks_mean() -> None:
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    filled = np.zeros((32, 32), dtype=bool)
    image[2, 2], image[3, 3], image[20, 20] = (200, 0, 0), (100, 0, 0), (0, 90, 30)
    filled[2, 2] = filled[3, 3] = filled[20, 20] = True
    out = fill_empty(image.copy(), filled)
    assert (out[filled] == image[filled]).all()  # what was baked stays
    assert (out[2:4, 2:4][~filled[2:4, 2:4]] == (150, 0, 0)).all()  # the 2 × 2 block's mean
    assert (out[16:32, 16:32][~filled[16:32, 16:32]] == (0, 90, 30)).all()  # alone in its 16 × 16 block
    assert (out[0:16, 16:32] == (100, 30, 10)).all()  # the whole image's mean of the three


def test_fill_of_odd_sides_one_texel_and_no_texel_filled() -> None:
    image = np.zeros((5, 3, 3), dtype=np.uint8)
    filled = np.zeros((5, 3), dtype=bool)
    assert (fill_empty(image.copy(), filled) == 0).all()
    image[4, 2], filled[4, 2] = (10, 20, 30), True
    assert (fill_empty(image.copy(), filled) == (10, 20, 30)).all()
    one = np.array([[[7, 8, 9]]], dtype=np.uint8)
    assert (fill_empty(one, np.array([[True]])) == one).all()  # a 1-texel atlas (texture_px 1)
    assert (fill_empty(one, np.array([[False]])) == 0).all()
