"""Image resampling with MindAR's exact conventions: box-filter resize, binomial blur, 2× down/up sampling."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

FloatImage = NDArray[np.float32]
GreyImage = NDArray[np.uint8]

# [1, 4, 6, 4, 1] / 16 per axis: MindAR's 4th-order binomial filter (detector.js `_applyFilter`).
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], dtype=np.float32) / 16.0


def box_resize(image: GreyImage, ratio: float) -> GreyImage:
    """Resize by averaging each output pixel's source box, as MindAR's `utils/images.js` `resize` does.

    Output size is round(size * ratio); source box edges are round(i / ratio) and round((i + 1) / ratio) - 1.
    Summed-area tables make this exact box average one vectorised pass. Where upscaling leaves a box
    empty, MindAR divides by zero and stores 0; we take the box's first source pixel instead, or the last
    source pixel where the box starts past the edge.
    """
    height, width = image.shape
    out_w = int(np.floor(width * ratio + 0.5))
    out_h = int(np.floor(height * ratio + 0.5))
    xs0, xs1 = _box_edges(out_w, ratio, width)
    ys0, ys1 = _box_edges(out_h, ratio, height)
    table = np.zeros((height + 1, width + 1), dtype=np.int64)
    table[1:, 1:] = image.astype(np.int64).cumsum(0).cumsum(1)
    y0, y1 = ys0[:, None], ys1[:, None] + 1
    x0, x1 = xs0[None, :], xs1[None, :] + 1
    sums = table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]
    counts = (y1 - y0) * (x1 - x0)
    return np.floor(sums / counts).astype(np.uint8)


def _box_edges(count: int, ratio: float, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    index = np.arange(count, dtype=np.float64)
    # JavaScript Math.round rounds halves up: floor(v + 0.5). Upscaling can start the last box past the
    # edge (128 px × 2: round(255 / 2) = 128), so both ends are clamped to the last source pixel.
    start = np.minimum(np.floor(index / ratio + 0.5).astype(np.int64), limit - 1)
    stop = np.minimum(np.floor((index + 1) / ratio + 0.5).astype(np.int64) - 1, limit - 1)
    return start, np.maximum(stop, start)


def binomial_blur(image: FloatImage) -> FloatImage:
    """Separable [1 4 6 4 1]² / 256 blur with edge replication (WebGL textures clamp to edge)."""
    blurred = cv2.sepFilter2D(image, cv2.CV_32F, _BINOMIAL, _BINOMIAL, borderType=cv2.BORDER_REPLICATE)
    return np.asarray(blurred, dtype=np.float32)


def downsample(image: FloatImage) -> FloatImage:
    """Halve each side (floor) by averaging 2×2 blocks."""
    h, w = image.shape[0] // 2, image.shape[1] // 2
    cropped = image[: 2 * h, : 2 * w]
    return np.asarray(
        0.25 * (cropped[0::2, 0::2] + cropped[1::2, 0::2] + cropped[0::2, 1::2] + cropped[1::2, 1::2]),
        dtype=np.float32,
    )


def upsample_to(image: FloatImage, shape: tuple[int, int]) -> FloatImage:
    """Bilinear 2× upsample sampled at (0.5 i − 0.25) onto a grid of `shape`, clamping reads to the edge."""
    ys = 0.5 * np.arange(shape[0], dtype=np.float32) - 0.25
    xs = 0.5 * np.arange(shape[1], dtype=np.float32) - 0.25
    y0 = np.floor(ys)
    x0 = np.floor(xs)
    wy = (ys - y0)[:, None]
    wx = (xs - x0)[None, :]
    h, w = image.shape
    r0 = np.clip(y0.astype(np.int64), 0, h - 1)
    r1 = np.clip(y0.astype(np.int64) + 1, 0, h - 1)
    c0 = np.clip(x0.astype(np.int64), 0, w - 1)
    c1 = np.clip(x0.astype(np.int64) + 1, 0, w - 1)
    top = image[r0][:, c0] * (1 - wx) + image[r0][:, c1] * wx
    bottom = image[r1][:, c0] * (1 - wx) + image[r1][:, c1] * wx
    return np.asarray(top * (1 - wy) + bottom * wy, dtype=np.float32)


def sample_bilinear(
    image: FloatImage, ys: NDArray[np.float64], xs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Bilinear samples at float positions, clamping the four reads to the image."""
    h, w = image.shape
    y0 = np.floor(ys)
    x0 = np.floor(xs)
    fy = ys - y0
    fx = xs - x0
    r0 = np.clip(y0.astype(np.int64), 0, h - 1)
    r1 = np.clip(y0.astype(np.int64) + 1, 0, h - 1)
    c0 = np.clip(x0.astype(np.int64), 0, w - 1)
    c1 = np.clip(x0.astype(np.int64) + 1, 0, w - 1)
    img = image.astype(np.float64)
    return (
        (1 - fx) * (1 - fy) * img[r0, c0]
        + fx * (1 - fy) * img[r0, c1]
        + (1 - fx) * fy * img[r1, c0]
        + fx * fy * img[r1, c1]
    )
