"""Compile images into a MindAR `.mind` image-target file, on the server, with no browser.

Mirrors hiukim/mind-ar-js `compiler-base.js` / `image-list.js` (MIT): matching keyframes from a short side
of 100 px up to full size in 2^(1/3) steps, tracking levels at short sides 256 and 128.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from hue_errors import InvalidInput
from markers.mind.cluster import build_tree
from markers.mind.detect import detect_keypoints
from markers.mind.mindfile import (
    MIND_VERSION,
    Keyframe,
    MindFile,
    MindTarget,
    TrackingLevel,
    read_mind,
    write_mind,
)
from markers.mind.pyramid import box_resize
from markers.mind.tracking import extract_tracking_points

__all__ = ["CompileOptions", "build_targets", "compile_targets", "read_mind"]

MIN_KEYFRAME_SIDE_PX = 100
TRACKING_SIDES_PX = (256, 128)
MIN_INPUT_SIDE_PX = 128


@dataclass(frozen=True)
class CompileOptions:
    """`max_short_side_px` (default 512, range 128–2048): larger inputs are downscaled first; MindAR tracks
    no better from bigger targets and compile time grows with the pixel count."""

    max_short_side_px: int = 512


def compile_targets(images: Sequence[Path | Image.Image], *, options: CompileOptions | None = None) -> bytes:
    """The `.mind` bytes for `images`, one target each, in order (target index = list index)."""
    return write_mind(build_targets(images, options=options))


def build_targets(images: Sequence[Path | Image.Image], *, options: CompileOptions | None = None) -> MindFile:
    """Compile to the in-memory `MindFile` (see `compile_targets`)."""
    opts = options or CompileOptions()
    if not 128 <= opts.max_short_side_px <= 2048:
        raise InvalidInput(f"mind: max_short_side_px={opts.max_short_side_px} (expected 128–2048)")
    if not images:
        raise InvalidInput("mind: no images given (expected ≥ 1)")
    greys = [_load_grey(image, index, opts) for index, image in enumerate(images)]
    return MindFile(MIND_VERSION, [_compile_one(grey) for grey in greys])


def _load_grey(source: Path | Image.Image, index: int, opts: CompileOptions) -> NDArray[np.uint8]:
    name = str(source) if isinstance(source, Path) else f"image {index}"
    if isinstance(source, Path):
        try:
            with Image.open(source) as opened:
                opened.load()
                image = opened.copy()
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
            raise InvalidInput(f"mind: {name}: not a readable image ({type(exc).__name__})") from exc
    else:
        image = source
    width, height = image.size
    if min(width, height) < MIN_INPUT_SIDE_PX:
        raise InvalidInput(
            f"mind: {name}: {width}×{height} px is too small (expected short side ≥ {MIN_INPUT_SIDE_PX} px)"
        )
    short = min(width, height)
    if short > opts.max_short_side_px:
        ratio = opts.max_short_side_px / short
        image = image.convert("RGB").resize(
            (round(width * ratio), round(height * ratio)), Image.Resampling.BOX
        )
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint16)
    # MindAR's grey: floor of the plain RGB mean (compiler-base.js), not a luma weighting.
    grey: NDArray[np.uint8] = (rgb.sum(axis=2) // 3).astype(np.uint8)
    return grey


def _keyframe_scales(width: int, height: int) -> list[float]:
    """Full size first, then down by 2^(1/3) to a short side of 100 px (`image-list.js` buildImageList)."""
    scales = []
    c = MIN_KEYFRAME_SIDE_PX / min(width, height)
    while True:
        scales.append(c)
        c *= 2.0 ** (1.0 / 3.0)
        if c >= 0.95:
            break
    scales.append(1.0)
    return scales[::-1]


def _compile_one(grey: NDArray[np.uint8]) -> MindTarget:
    height, width = grey.shape
    matching = []
    for scale in _keyframe_scales(width, height):
        image = grey if scale == 1.0 else box_resize(grey, scale)
        points = detect_keypoints(image)
        maxima, minima = points.subset(points.maxima), points.subset(~points.maxima)
        matching.append(
            Keyframe(
                maxima,
                minima,
                build_tree(maxima.descriptors),
                build_tree(minima.descriptors),
                image.shape[1],
                image.shape[0],
                scale,
            )
        )
    tracking = []
    for side in TRACKING_SIDES_PX:
        scale = side / min(width, height)
        image = box_resize(grey, scale)
        tracking.append(
            TrackingLevel(
                image.tobytes(), scale, image.shape[1], image.shape[0], extract_tracking_points(image)
            )
        )
    return MindTarget(width, height, tracking, matching)
