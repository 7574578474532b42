"""Trackability of a candidate marker image: a 0–5 score with advice a curator can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from markers.features import Features, detect
from markers.images import GrayImage

GRID = 4
CELL_MIN_FEATURES = 3
AMBIGUOUS_DISTANCE = 40  # Hamming bits (of 256) under which two different ORB descriptors are look-alikes


@dataclass(frozen=True)
class ScoreOptions:
    min_side: int = 480  # pixels on the shortest side for a crisp print at A4
    max_aspect: float = 2.5


@dataclass(frozen=True)
class TrackabilityReport:
    score: float  # 0–5; see docs/marker_calibration.md for what each band means
    features: int
    coverage: float  # fraction of grid cells with features
    contrast: float  # RMS contrast, 0–0.5
    blur: float  # variance of the Laplacian at working size; low = blurred
    repetitiveness: float  # fraction of features with a look-alike elsewhere
    width: int
    height: int
    advice: list[str] = field(default_factory=list)


def score_image(gray: GrayImage, options: ScoreOptions = ScoreOptions()) -> TrackabilityReport:
    height, width = gray.shape
    found = detect(gray)
    work = cv2.resize(gray, found.size, interpolation=cv2.INTER_AREA)
    contrast = float(np.std(work / 255.0))
    blur = float(cv2.Laplacian(work, cv2.CV_64F).var())
    cells = _cell_counts(found)
    coverage = float((cells >= CELL_MIN_FEATURES).mean())
    repetitiveness = _repetitiveness(found)
    count = len(found.points)

    advice = _advice(cells, count, contrast, blur, repetitiveness)
    # Weights and the repetition penalty were fitted to the photograph-check outcomes in
    # docs/marker_calibration.md: above 40 % look-alikes, matches stop being unique and detection fails.
    parts = (
        0.25 * min(1.0, count / 600),
        0.25 * coverage,
        0.25 * min(1.0, contrast / 0.2),
        0.10 * min(1.0, blur / 300),
        0.15 * (1.0 - repetitiveness),
    )
    score = 5.0 * sum(parts)
    if repetitiveness > 0.4:
        score *= max(0.3, 1.0 - 2.0 * (repetitiveness - 0.4))
    if count < 30:
        score = min(score, 0.5)
    if min(width, height) < options.min_side:
        score *= 0.8
        advice.append(f"resolution {width}×{height}: use ≥ {options.min_side} px on the short side")
    aspect = max(width, height) / min(width, height)
    if aspect > options.max_aspect:
        score *= 0.8
        advice.append(f"aspect {aspect:.1f}:1 is elongated: crop closer to square (≤ {options.max_aspect}:1)")
    return TrackabilityReport(
        score=round(score, 1),
        features=count,
        coverage=round(coverage, 3),
        contrast=round(contrast, 3),
        blur=round(blur, 1),
        repetitiveness=round(repetitiveness, 3),
        width=width,
        height=height,
        advice=advice,
    )


def _cell_counts(found: Features) -> npt.NDArray[np.int64]:
    width, height = found.size
    counts = np.zeros((GRID, GRID), dtype=np.int64)
    if len(found.points):
        cols = np.minimum((found.points[:, 0] * GRID / width).astype(int), GRID - 1)
        rows = np.minimum((found.points[:, 1] * GRID / height).astype(int), GRID - 1)
        np.add.at(counts, (rows, cols), 1)
    return counts


def _repetitiveness(found: Features) -> float:
    """Share of descriptors whose nearest *other* descriptor is a look-alike (ambiguous self-match)."""
    if found.descriptors is None or len(found.descriptors) < 3:
        return 0.0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(found.descriptors, found.descriptors, k=2)
    close = [p[1].distance < AMBIGUOUS_DISTANCE for p in pairs if len(p) == 2]
    return float(np.mean(close)) if close else 0.0


_REGIONS = {
    "top quarter": (slice(0, 1), slice(None)),
    "bottom quarter": (slice(GRID - 1, GRID), slice(None)),
    "left quarter": (slice(None), slice(0, 1)),
    "right quarter": (slice(None), slice(GRID - 1, GRID)),
}


def _advice(
    cells: npt.NDArray[np.int64], count: int, contrast: float, blur: float, repetitive: float
) -> list[str]:
    advice: list[str] = []
    if count < 100:
        advice.append(f"only {count} features: choose artwork with more detail and texture")
    for region, index in _REGIONS.items():
        if cells[index].sum() < CELL_MIN_FEATURES and count >= 30:
            advice.append(f"the {region} has no features: crop it off or add detail there")
    if contrast < 0.12:
        advice.append(f"low contrast ({contrast:.2f}): raise contrast or pick a sharper-lit photo")
    if blur < 60:
        advice.append(f"image is blurred (Laplacian variance {blur:.0f}): use a sharper photo")
    if repetitive > 0.4:
        advice.append(f"{repetitive:.0%} of features repeat (tiles, windows): matches are ambiguous")
    return advice
