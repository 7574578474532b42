"""Fake-camera clips for Chromium's `--use-file-for-fake-video-capture`: pinhole renders of a marker, as y4m.

The camera is MindAR's own: vertical FOV 45° (controller.js), so for 640×480 f = 240 / tan(22.5°) ≈ 579.4 px
and the principal point is the image centre; the anchor pose MindAR reports can then be checked exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

WIDTH, HEIGHT = 640, 480
FOCAL_PX = (HEIGHT / 2) / math.tan(math.radians(45.0) / 2)
CAMERA = np.array([[FOCAL_PX, 0.0, WIDTH / 2], [0.0, FOCAL_PX, HEIGHT / 2], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Clip:
    """Frames (RGB uint8) and, per frame, the marker's four corners in pixels (TL, TR, BR, BL)."""

    frames: list[NDArray[np.uint8]]
    corners: NDArray[np.float64]


def marker_homography(
    width: int,
    height: int,
    *,
    tilt_deg: float,
    turn_deg: float,
    shift_px: tuple[float, float],
    height_frac: float,
) -> NDArray[np.float64]:
    """Marker pixels → image pixels for a marker tilted about x, turned about z, whose height spans about
    `height_frac` of the frame, centred `shift_px` from the principal point."""
    depth = FOCAL_PX * height / (height_frac * HEIGHT)
    t, z = math.radians(tilt_deg), math.radians(turn_deg)
    tilt = np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])
    turn = np.array([[math.cos(z), -math.sin(z), 0], [math.sin(z), math.cos(z), 0], [0, 0, 1]])
    rotation = tilt @ turn
    translation = np.array([shift_px[0] * depth / FOCAL_PX, shift_px[1] * depth / FOCAL_PX, depth])
    centre = np.array([[1, 0, -width / 2], [0, 1, -height / 2], [0, 0, 1]])
    extrinsic = np.column_stack([rotation[:, 0], rotation[:, 1], translation])
    return np.asarray(CAMERA @ extrinsic @ centre)


def render_clip(marker: Image.Image, *, seconds: float, fps: int, seed: int) -> Clip:
    """The marker under a slowly swinging perspective (tilt 20–45°, ±40 px sway) on a textured backdrop."""
    art = np.asarray(marker.convert("RGB"))
    h, w = art.shape[:2]
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(rng.integers(60, 200, (HEIGHT, WIDTH, 3), dtype=np.uint8), (0, 0), 6)
    outline = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], dtype=np.float64).T
    frames, corners = [], []
    count = int(seconds * fps)
    for i in range(count):
        phase = 2 * math.pi * i / count
        homography = marker_homography(
            w,
            h,
            tilt_deg=32.5 + 12.5 * math.sin(phase),
            turn_deg=8 * math.sin(2 * phase),
            shift_px=(40 * math.sin(phase), 20 * math.cos(phase)),
            height_frac=0.55,
        )
        frame = cv2.warpPerspective(
            art,
            homography,
            (WIDTH, HEIGHT),
            flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_TRANSPARENT,
            dst=background.copy(),
        )
        frames.append(np.asarray(frame, dtype=np.uint8))
        projected = homography @ outline
        corners.append((projected[:2] / projected[2]).T)
    return Clip(frames, np.array(corners))


def write_y4m(path: Path, frames: list[NDArray[np.uint8]], fps: int) -> Path:
    """YUV4MPEG2 4:2:0 (C420jpeg): a text header, then per frame `FRAME\\n` + Y, U, V planes."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)  # Y then U then V, chroma halved both ways
            out.write(b"FRAME\n")
            out.write(yuv.tobytes())
    return path
