"""Print-and-photograph check: the plaque as a phone sees it across a grid of conditions."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from markers.features import detect, find_marker
from markers.plaque import PlaqueSpec, layout_plaque, rasterize
from markers.qr import decode_qr

Light = Literal["daylight", "glare", "low"]


@dataclass(frozen=True)
class CameraOptions:
    width: int = 1080  # portrait 1080p: the camera app that scans the QR code uses at least this
    height: int = 1920
    horizontal_fov_deg: float = 50.0
    jpeg_quality: int = 70


@dataclass(frozen=True)
class PhotoCheckOptions:
    distance_fractions: tuple[float, ...] = (0.5, 0.75, 1.0)  # of the supported scan distance
    angles_deg: tuple[float, ...] = (0.0, 30.0, 45.0)
    blur_sigmas: tuple[float, ...] = (0.0, 1.2)
    lights: tuple[Light, ...] = ("daylight", "glare", "low")
    camera: CameraOptions = CameraOptions()
    required_rate: float = 0.95
    px_per_mm: float = 4.0
    seed: int = 0


@dataclass(frozen=True)
class ShotResult:
    distance_m: float
    angle_deg: float
    blur_sigma: float
    light: Light
    qr_decoded: bool
    marker_found: bool
    inliers: int


@dataclass(frozen=True)
class PhotoCheckReport:
    rows: tuple[ShotResult, ...]
    qr_rate: float
    marker_rate: float
    required_rate: float

    @property
    def passed(self) -> bool:
        return self.qr_rate >= self.required_rate and self.marker_rate >= self.required_rate


def check_plaque(spec: PlaqueSpec, options: PhotoCheckOptions = PhotoCheckOptions()) -> PhotoCheckReport:
    """Photograph a raster proof of the plaque under every condition; decode the QR and find the marker."""
    layout = layout_plaque(spec)
    page = np.asarray(rasterize(spec, layout, options.px_per_mm), dtype=np.uint8)
    reference = detect(spec.marker.gray)
    expected = spec.qr.payload
    rng = np.random.default_rng(options.seed)
    rows = []
    grid = itertools.product(
        options.distance_fractions, options.angles_deg, options.blur_sigmas, options.lights
    )
    for fraction, angle, sigma, light in grid:
        distance = fraction * layout.scan_distance_m
        shot = photograph(page, layout.width, distance, angle, sigma, light, options.camera, rng)
        gray = np.asarray(cv2.cvtColor(shot, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        match = find_marker(reference, gray)
        rows.append(
            ShotResult(
                distance_m=round(distance, 3),
                angle_deg=angle,
                blur_sigma=sigma,
                light=light,
                qr_decoded=decode_qr(gray) == expected,
                marker_found=match.found,
                inliers=match.inliers,
            )
        )
    count = len(rows) or 1
    return PhotoCheckReport(
        rows=tuple(rows),
        qr_rate=sum(r.qr_decoded for r in rows) / count,
        marker_rate=sum(r.marker_found for r in rows) / count,
        required_rate=options.required_rate,
    )


def photograph(
    page: npt.NDArray[np.uint8],
    page_width_mm: float,
    distance_m: float,
    angle_deg: float,
    blur_sigma: float,
    light: Light,
    camera: CameraOptions,
    rng: np.random.Generator,
) -> npt.NDArray[np.uint8]:
    """Pinhole projection of the page turned ``angle_deg`` about its vertical axis, then optics and sensor."""
    h_px, w_px = page.shape[:2]
    mm_per_px = page_width_mm / w_px
    focal = camera.width / 2 / math.tan(math.radians(camera.horizontal_fov_deg) / 2)
    theta = math.radians(angle_deg)
    corners = []
    for u, v in ((0, 0), (w_px, 0), (w_px, h_px), (0, h_px)):
        x = (u - w_px / 2) * mm_per_px / 1000.0
        y = (v - h_px / 2) * mm_per_px / 1000.0
        xr, zr = x * math.cos(theta), distance_m + x * math.sin(theta)
        corners.append((camera.width / 2 + focal * xr / zr, camera.height / 2 + focal * y / zr))
    source = np.array([(0, 0), (w_px, 0), (w_px, h_px), (0, h_px)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(corners, dtype=np.float32))
    background = rng.normal(110, 25, (camera.height // 8, camera.width // 8, 3)).clip(0, 255).astype(np.uint8)
    frame = cv2.resize(background, (camera.width, camera.height), interpolation=cv2.INTER_LINEAR)
    frame = cv2.warpPerspective(
        page,
        matrix,
        (camera.width, camera.height),
        dst=frame,
        flags=cv2.INTER_AREA,
        borderMode=cv2.BORDER_TRANSPARENT,
    )
    image: npt.NDArray[np.float64] = frame.astype(np.float64)
    if blur_sigma > 0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), blur_sigma), dtype=np.float64)
    if light == "glare":
        # A specular highlight from the sun on laminate: a soft white spot over part of the plaque.
        cx, cy = np.mean(corners, axis=0) + rng.normal(0, 40, 2)
        yy, xx = np.mgrid[0 : camera.height, 0 : camera.width]
        radius = 0.2 * abs(corners[1][0] - corners[0][0])
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))
        image = image + 120.0 * spot[..., None]
    elif light == "low":
        image = np.asarray(image * 0.3 + rng.normal(0, 4, image.shape), dtype=np.float64)
    image = image + rng.normal(0, 2, image.shape)  # sensor noise
    clipped = image.clip(0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", clipped, [cv2.IMWRITE_JPEG_QUALITY, camera.jpeg_quality])
    if not ok:
        raise RuntimeError("photo_check: JPEG encoding failed")
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED), dtype=np.uint8)
