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
from PIL import Image

from hue_errors import InvalidInput
from markers.images import decode_image
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
# A plaque's artwork, not a strip: past this the tracking levels (short side 256 px) of a long
# image take seconds and gigabytes to build, and a phone camera never frames it whole.
MAX_ASPECT = 8.0
# MindAR skips a keyframe with fewer matches than this (`matching/matching.js` MIN_NUM_INLIERS).
MIN_NUM_INLIERS = 6


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
    names = [_name(image, index) for index, image in enumerate(images)]
    greys = [_load_grey(image, name, opts) for image, name in zip(images, names, strict=True)]
    targets = [_trackable(_compile_one(grey), name) for grey, name in zip(greys, names, strict=True)]
    return MindFile(MIND_VERSION, targets)


def _name(source: Path | Image.Image, index: int) -> str:
    """How messages name an input: its path, or its place in the list."""
    return str(source) if isinstance(source, Path) else f"image {index}"


def _load_grey(source: Path | Image.Image, name: str, opts: CompileOptions) -> NDArray[np.uint8]:
    image = decode_image(source, name) if isinstance(source, Path) else source
    width, height = image.size
    if min(width, height) < MIN_INPUT_SIDE_PX:
        raise InvalidInput(
            f"mind: {name}: {width}×{height} px is too small (expected short side ≥ {MIN_INPUT_SIDE_PX} px)"
        )
    short = min(width, height)
    if max(width, height) > MAX_ASPECT * short:
        raise InvalidInput(
            f"mind: {name}: {width}×{height} px is {max(width, height) / short:.1f}:1 "
            f"(expected at most {MAX_ASPECT:g}:1: crop the artwork)"
        )
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


def _trackable(target: MindTarget, name: str) -> MindTarget:
    """`target`, unless no keyframe has enough keypoints for MindAR ever to detect it."""
    most = max(len(frame.maxima) + len(frame.minima) for frame in target.matching)
    if most < MIN_NUM_INLIERS:
        raise InvalidInput(
            f"mind: {name}: too few keypoints to be detected ({most} in the best keyframe, expected "
            f"≥ {MIN_NUM_INLIERS}): use artwork with detail and texture, not a plain image"
        )
    return target


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
