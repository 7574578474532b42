"""MindAR's box-filter resize: the same pixels as its `utils/images.js` `resize`, down or up."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from markers.mind.pyramid import box_resize


def _js_round(value: float) -> int:
    return math.floor(value + 0.5)


def _mindar_resize(image: npt.NDArray[np.uint8], ratio: float) -> npt.NDArray[np.float64]:
    """A line-by-line port of MindAR's loop; NaN where its box is empty (it stores 0 there)."""
    height, width = image.shape
    out = np.full((_js_round(height * ratio), _js_round(width * ratio)), np.nan)
    for i in range(out.shape[1]):
        si1, si2 = _js_round(i / ratio), min(_js_round((i + 1) / ratio) - 1, width - 1)
        for j in range(out.shape[0]):
            sj1, sj2 = _js_round(j / ratio), min(_js_round((j + 1) / ratio) - 1, height - 1)
            box = image[sj1 : sj2 + 1, si1 : si2 + 1]
            if box.size:
                out[j, i] = math.floor(box.sum() / box.size)
    return out


@pytest.mark.parametrize("ratio", [0.37, 0.5, 0.79, 1.3, 1.7, 1.969, 2.0, 2.6])
@pytest.mark.parametrize("shape", [(13, 13), (13, 20), (20, 17), (16, 33)])
def test_box_resize_matches_mindar_wherever_its_box_has_pixels(shape: tuple[int, int], ratio: float) -> None:
    image = np.random.default_rng(shape[0] * shape[1]).integers(0, 256, shape, dtype=np.uint8)
    ours, theirs = box_resize(image, ratio), _mindar_resize(image, ratio)
    assert ours.shape == theirs.shape
    filled = ~np.isnan(theirs)
    np.testing.assert_array_equal(ours[filled], theirs[filled])


def test_upscaled_boxes_past_the_edge_take_the_last_pixel() -> None:
    # 128 px × 2 = 256 px: the last box starts at round(255 / 2) = 128, one past the last source pixel.
    ramp = np.tile(np.arange(128, dtype=np.uint8), (128, 1))
    resized = box_resize(ramp, 2.0)
    assert resized.shape == (256, 256)
    assert (resized[:, -1] == 127).all() and (resized[-1] == resized[0]).all()
