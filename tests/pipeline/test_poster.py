"""Poster rasterizer: exact colours on a synthetic textured quad, coverage on the real mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput
from pipeline import poster
from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.poster import PosterOptions, render_poster


def _quad_facing_camera() -> Model:
    """A unit quad in the XY plane seen head-on (yaw = pitch = 0), left half red, right half blue."""
    positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], dtype=np.float32)
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)
    texels = np.zeros((8, 8, 3), dtype=np.uint8)
    texels[:, :4] = (255, 0, 0)
    texels[:, 4:] = (0, 0, 255)
    texture = Texture(Image.fromarray(texels, "RGB"), "checker.png")
    return Model(
        primitives=[Primitive(positions, indices, material=0, uvs=uvs)],
        materials=[Material("m", base_color_texture=texture)],
    )


def test_textured_quad_colours_and_background() -> None:
    options = PosterOptions(size=64, supersample=2, yaw_deg=0, pitch_deg=0, ambient=1.0)
    image = np.asarray(render_poster(_quad_facing_camera(), options=options))
    assert image.shape == (64, 64, 4)
    left, right = image[32, 22], image[32, 42]
    assert tuple(left) == (255, 0, 0, 255)
    assert tuple(right) == (0, 0, 255, 255)
    assert image[1, 1, 3] == 0  # corner outside the quad's circumscribed framing is transparent


@pytest.mark.parametrize("background", [(0, 255, 0, 255), (10, 20, 30, 128)])
def test_background_shows_where_nothing_is_drawn(background: tuple[int, int, int, int]) -> None:
    options = PosterOptions(
        size=64, supersample=2, yaw_deg=0, pitch_deg=0, ambient=1.0, background=background
    )
    image = np.asarray(render_poster(_quad_facing_camera(), options=options)).astype(int)
    assert tuple(image[1, 1]) == background
    assert tuple(image[32, 22]) == (255, 0, 0, 255)  # the quad is opaque over any background
    if background[3] == 255:
        # Along the quad's left edge, pixels whose 2 × 2 samples are partly covered mix red and
        # the background's green in proportion (box filter over premultiplied colour).
        mixed = [tuple(p) for p in image[32] if 0 < p[0] < 255]
        assert mixed and all(abs(r + g - 255) <= 1 and b == 0 and a == 255 for r, g, b, a in mixed)


def test_empty_model_is_rejected() -> None:
    empty = Model(primitives=[Primitive(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32))])
    with pytest.raises(InvalidInput, match="poster: model 'model' has 0 triangles"):
        render_poster(empty)


def test_bali_mask_silhouette_and_texture(bali_mask: Path) -> None:
    with Bundle(bali_mask) as bundle:
        model = load_model(bundle)
    image = np.asarray(render_poster(model, options=PosterOptions(size=512, supersample=2)))
    coverage = (image[..., 3] > 0).mean()
    assert 0.1 < coverage < 0.9, coverage
    centre = image[240:272, 240:272]
    assert (centre[..., 3] == 255).all()
    assert centre[..., :3].std() > 2.0  # textured, not a flat fill


def test_chunks_rasterised_in_parallel_give_the_one_pass_image(
    bali_mask: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Bundle(bali_mask) as bundle:
        model = load_model(bundle)
    options = PosterOptions(size=128, supersample=2)
    monkeypatch.setattr(poster, "CHUNK_PIXELS", 10**9)
    whole = np.asarray(render_poster(model, options=options))
    monkeypatch.setattr(poster, "CHUNK_PIXELS", 5_000)  # dozens of chunks, overlapping on screen
    assert np.array_equal(np.asarray(render_poster(model, options=options)), whole)
