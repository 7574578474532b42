"""Tracking points: distinctive, high-contrast pixels whose 13×13 template is unlike its surroundings (NCC).

Constants and selection rules follow hiukim/mind-ar-js `tracker/extract.js` (MIT); here every normalised
cross-correlation for one displacement is computed over the whole image at once with box sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

SEARCH_FAR = 10  # displacements up to this many pixels must look different…
SEARCH_NEAR = 2  # …beyond this radius
TEMPLATE_HALF = 6
TEMPLATE_SD_THRESHOLD = 5.0
SELECT_MAX_SIMILARITY = 0.9
SELECT_MIN_SIMILARITY = 0.2
SELECT_SD_THRESHOLD = 8.0
CANDIDATE_FRACTION = 0.02

_SIDE = 2 * TEMPLATE_HALF + 1
_AREA = _SIDE * _SIDE


@dataclass(frozen=True)
class TrackingPoint:
    x: int
    y: int


class _Ncc:
    """Window statistics of one grey image, for NCC between a template at t and a window at t + offset."""

    def __init__(self, image: NDArray[np.uint8]) -> None:
        self.image = image.astype(np.float64)
        h, w = image.shape
        self.rows = np.arange(h)
        self.cols = np.arange(w)
        row_ok = (self.rows >= TEMPLATE_HALF) & (self.rows + TEMPLATE_HALF < h)
        col_ok = (self.cols >= TEMPLATE_HALF) & (self.cols + TEMPLATE_HALF < w)
        self.valid = row_ok[:, None] & col_ok[None, :]
        self.sums = self._window_sum(self.image)
        squares = self._window_sum(self.image * self.image)
        self.spread2 = np.maximum(squares - self.sums * self.sums / _AREA, 0.0)  # Σ (v − mean)²

    def _window_sum(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        summed = cv2.boxFilter(
            values, cv2.CV_64F, (_SIDE, _SIDE), normalize=False, borderType=cv2.BORDER_CONSTANT
        )
        return np.asarray(summed, dtype=np.float64)

    def similarity(self, dx: int, dy: int, template_norm: NDArray[np.float64]) -> NDArray[np.float64]:
        """NCC of each template at t with the window at t + (dx, dy); NaN where undefined."""
        h, w = self.image.shape
        shifted = np.roll(self.image, (-dy, -dx), axis=(0, 1))  # shifted[t] = image[t + d]
        # Wrapped pixels only reach windows whose centre t + d lies off the image, which `valid` excludes.
        cross = self._window_sum(self.image * shifted)
        window_sums = np.roll(self.sums, (-dy, -dx), axis=(0, 1))
        window_spread2 = np.roll(self.spread2, (-dy, -dx), axis=(0, 1))
        # The window centred at t + d must lie wholly inside the image, as the template at t must.
        rows = (self.rows + dy >= TEMPLATE_HALF) & (self.rows + dy < h - TEMPLATE_HALF)
        cols = (self.cols + dx >= TEMPLATE_HALF) & (self.cols + dx < w - TEMPLATE_HALF)
        covariance = cross - self.sums / _AREA * window_sums
        ok = rows[:, None] & cols[None, :] & self.valid & (window_spread2 > 0) & (template_norm > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = covariance / (template_norm * np.sqrt(window_spread2))
        return np.where(ok, sim, np.nan)


def extract_tracking_points(image: NDArray[np.uint8]) -> list[TrackingPoint]:
    """Select tracking points in a grey tracking image (short side 256 or 128)."""
    h, w = image.shape
    ncc = _Ncc(image)
    candidates = _gradient_candidates(image)
    template_norm = np.where(
        ncc.valid & (ncc.spread2 / _AREA >= TEMPLATE_SD_THRESHOLD**2), np.sqrt(ncc.spread2), 0.0
    )
    feature_map = np.ones((h, w))
    scored = candidates & (template_norm > 0)
    if scored.any():
        best = np.full((h, w), -1.0)
        for dy in range(-SEARCH_FAR, SEARCH_FAR + 1):
            for dx in range(-SEARCH_FAR, SEARCH_FAR + 1):
                if dx * dx + dy * dy <= SEARCH_NEAR * SEARCH_NEAR:
                    continue
                best = np.fmax(best, ncc.similarity(dx, dy, template_norm))
        feature_map[scored] = best[scored]
    return _select(ncc, feature_map)


def _gradient_candidates(image: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Local maxima of gradient strength, keeping about the strongest 2 % of pixels."""
    img = image.astype(np.float32)
    h, w = img.shape
    strength = np.full((h, w), -1.0, dtype=np.float32)
    dx = (img[:-2, 2:] - img[:-2, :-2]) + (img[1:-1, 2:] - img[1:-1, :-2]) + (img[2:, 2:] - img[2:, :-2])
    dy = (img[2:, :-2] - img[:-2, :-2]) + (img[2:, 1:-1] - img[:-2, 1:-1]) + (img[2:, 2:] - img[:-2, 2:])
    dx /= 3 * 256
    dy /= 3 * 256
    strength[1:-1, 1:-1] = np.sqrt((dx * dx + dy * dy) / 2)
    centre = strength[1:-1, 1:-1]
    peak = np.zeros((h, w), dtype=bool)
    peak[1:-1, 1:-1] = (
        (centre > strength[1:-1, :-2])
        & (centre > strength[1:-1, 2:])
        & (centre > strength[:-2, 1:-1])
        & (centre > strength[2:, 1:-1])
    )
    bins = np.clip(np.floor(strength[peak] * 1000).astype(np.int64), 0, 999)
    counts = np.bincount(bins, minlength=1000)
    from_top = np.cumsum(counts[::-1])
    over = np.nonzero(from_top > CANDIDATE_FRACTION * w * h)[0]
    cutoff = 999 - int(over[0]) if len(over) else -1
    return peak & (strength * 1000 >= cutoff)


def _select(ncc: _Ncc, feature_map: NDArray[np.float64]) -> list[TrackingPoint]:
    """Greedily take the least self-similar pixels, each suppressing a square of ±min(w, h)/10 around it."""
    h, w = feature_map.shape
    occupancy = min(w, h) // 10
    div = _SIDE * 3
    max_points = (w // occupancy) * (h // occupancy) + (w // div) * (h // div)
    norm = np.sqrt(ncc.spread2)
    near = [
        ncc.similarity(dx, dy, norm)
        for dy in range(-SEARCH_NEAR, SEARCH_NEAR + 1)
        for dx in range(-SEARCH_NEAR, SEARCH_NEAR + 1)
        if 0 < dx * dx + dy * dy <= SEARCH_NEAR * SEARCH_NEAR
    ]
    near_min = np.fmin.reduce(near)
    near_max = np.fmax.reduce(near)
    remaining = feature_map.copy()
    points: list[TrackingPoint] = []
    while len(points) < max_points:
        flat = int(np.argmin(remaining))
        score = float(remaining.flat[flat])
        if score >= SELECT_MAX_SIMILARITY:
            break
        cy, cx = divmod(flat, w)
        low, high = near_min[cy, cx], near_max[cy, cx]
        if (
            not ncc.valid[cy, cx]
            or norm[cy, cx] / _SIDE < SELECT_SD_THRESHOLD
            or (low < SELECT_MIN_SIMILARITY and low < score)
            or high > 0.99
        ):
            remaining[cy, cx] = 1.0
            continue
        points.append(TrackingPoint(cx, cy))
        remaining[
            max(cy - occupancy, 0) : cy + occupancy + 1, max(cx - occupancy, 0) : cx + occupancy + 1
        ] = 1.0
    return points
