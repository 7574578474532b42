"""Per-level textures: resized and encoded once per size and options, on the run's second thread."""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from pipeline.model import Material, Model, Primitive, Texture
from pipeline.textures import (
    TextureOptions,
    TextureWork,
    decode_image,
    encode_image,
    nearest_texels,
    resize_textures,
)
from tests.pipeline.synthetic import grid

T = TypeVar("T")


def textured(side: int = 600) -> Model:
    positions, indices, uvs = grid(2)
    pixels = np.random.default_rng(5).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    material = Material(name="scan", base_color_texture=Texture(Image.fromarray(pixels, "RGB"), "atlas.jpg"))
    return Model(
        primitives=[Primitive(positions=positions, indices=indices, uvs=uvs, material=0)],
        materials=[material],
    )


class CountingPool(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_texture_work_gives_what_resizing_and_encoding_give() -> None:
    model, options = textured(), TextureOptions(quality=70)
    with ThreadPoolExecutor(max_workers=1) as pool:
        work = TextureWork(pool)
        work.prefetch(model, 256, options)
        resized = work.resize(model, 256, options)
        texture = resized.materials[0].base_color_texture
        assert texture is not None and texture.image.size == (256, 256)
        expected = resize_textures(model, 256).materials[0].base_color_texture
        assert expected is not None
        assert texture.image.tobytes() == expected.image.tobytes()
        assert work.encode(texture, options) == encode_image(expected, options)
        assert resized.primitives is model.primitives and resized.steps == model.steps
        other = textured(64).materials[0].base_color_texture  # not through resize: encoded here
        assert other is not None and work.encode(other, options) == encode_image(other, options)


def test_levels_sharing_a_size_share_the_work_and_others_get_their_own() -> None:
    model, options = textured(), TextureOptions()
    with CountingPool() as pool:
        work = TextureWork(pool)
        for _ in range(2):  # two levels at 256 px, as the web recipe's ar and medium share 2048
            work.prefetch(model, 256, options)
        first, second = (work.resize(model, 256, options).materials[0].base_color_texture for _ in range(2))
        assert first is second and pool.submitted == 2  # one resize, one encoding queued behind it
        assert first is not None and work.encode(first, options) is not None
        assert pool.submitted == 2  # its encoding came with the resize
        work.resize(model, 128, options)
        work.resize(model, 256, TextureOptions(format="jpeg"))
        assert pool.submitted == 6
        # A texture already small enough is used as it is, and encoded for its level.
        small = work.resize(model, 1024, options).materials[0].base_color_texture
        assert small is model.materials[0].base_color_texture


def _file(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_a_jpeg_is_decoded_at_the_smallest_dct_scale_that_keeps_the_longest_side() -> None:
    x, y = np.meshgrid(np.linspace(0, 255, 1024), np.linspace(0, 255, 512))
    image = Image.fromarray(np.stack([x, y, np.full_like(x, 128)], axis=-1).astype(np.uint8))
    jpeg = _file(image, "JPEG")
    sizes = {px: decode_image(jpeg, "atlas.jpg", px).image.size for px in (None, 1024, 300, 256, 100)}
    assert sizes == {None: (1024, 512), 1024: (1024, 512), 300: (512, 256), 256: (256, 128), 100: (128, 64)}
    quarter = decode_image(jpeg, "atlas.jpg", 256)
    assert quarter.stored_size == (1024, 512) and decode_image(jpeg, "atlas.jpg").stored_size is None
    # The DCT scale averages: each decoded texel is close to the mean of the block it stands for.
    blocks = np.asarray(image, dtype=np.float64).reshape(128, 4, 256, 4, 3).mean(axis=(1, 3))
    assert np.abs(np.asarray(quarter.image, dtype=np.float64) - blocks).mean() < 2.0
    png = decode_image(_file(image, "PNG"), "atlas.png", 256)  # only JPEG has DCT scales
    assert png.image.size == (1024, 512) and png.stored_size is None


def test_nearest_texel_under_each_uv_wraps_and_counts_rows_from_the_top() -> None:
    texels = np.arange(4 * 8 * 3, dtype=np.uint8).reshape(4, 8, 3)  # 4 rows, 8 columns
    uv = np.array([[0.0, 0.0], [0.99, 0.99], [0.5, 0.25], [1.0625, -0.125], [-0.0625, 1.5]])
    expected = texels[[0, 3, 1, 3, 2], [0, 7, 4, 0, 7]]
    assert np.array_equal(nearest_texels(texels, uv), expected)
