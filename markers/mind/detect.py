"""MindAR's feature detector: DoG extrema on a binomial pyramid, bucket pruning, sub-pixel fit, orientation.

Follows hiukim/mind-ar-js `src/image-target/detector/detector.js` (MIT) step by step, vectorised over
all pixels and all features; the FREAK descriptor itself lives in `freak.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from markers.mind.freak import freak_descriptors
from markers.mind.pyramid import FloatImage, binomial_blur, downsample, upsample_to

PYRAMID_MIN_SIZE = 8
PYRAMID_MAX_OCTAVE = 5
LAPLACIAN_SQR_THRESHOLD = 3.0**2
EDGE_THRESHOLD = 4.0
EDGE_HESSIAN_THRESHOLD = (EDGE_THRESHOLD + 1) ** 2 / EDGE_THRESHOLD
BORDER = 7.0  # FREAK_EXPANSION_FACTOR: the descriptor's reach in octave pixels
BUCKETS_PER_SIDE = 10
FEATURES_PER_BUCKET = 5
ORIENTATION_BINS = 36
ORIENTATION_SMOOTHING_ITERATIONS = 5
ORIENTATION_GAUSSIAN_EXPANSION = 3.0
ORIENTATION_REGION_EXPANSION = 1.5


@dataclass(frozen=True)
class Keypoints:
    """Features of one keyframe in input-image pixels; `descriptors` is (n, 21) uint32."""

    maxima: NDArray[np.bool_]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    scale: NDArray[np.float64]
    angle: NDArray[np.float64]
    descriptors: NDArray[np.uint32]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, mask: NDArray[np.bool_]) -> Keypoints:
        return Keypoints(
            self.maxima[mask],
            self.x[mask],
            self.y[mask],
            self.scale[mask],
            self.angle[mask],
            self.descriptors[mask],
        )


@dataclass(frozen=True)
class _Candidates:
    score: NDArray[np.float64]
    octave: NDArray[np.int64]
    y: NDArray[np.float64]
    x: NDArray[np.float64]


def octave_count(width: int, height: int) -> int:
    """Octaves halve (in floats) while both sides stay ≥ 8, at most 5."""
    w, h, count = float(width), float(height), 0
    while w >= PYRAMID_MIN_SIZE and h >= PYRAMID_MIN_SIZE and count < PYRAMID_MAX_OCTAVE:
        w, h, count = w / 2, h / 2, count + 1
    return count


def detect_keypoints(image: NDArray[np.uint8]) -> Keypoints:
    """Detect MindAR keypoints (≤ 500) with orientation and FREAK descriptors in a grey image."""
    octaves = octave_count(image.shape[1], image.shape[0])
    # Each octave keeps two images: blurred once (from the input or the previous octave) and twice.
    pyramid: list[tuple[FloatImage, FloatImage]] = []
    for i in range(octaves):
        first = binomial_blur(image.astype(np.float32)) if i == 0 else downsample(pyramid[-1][1])
        pyramid.append((first, binomial_blur(first)))
    dogs = [a - b for a, b in pyramid]
    found = [_extrema(dogs[i - 1], dogs[i], dogs[i + 1], i) for i in range(1, octaves - 1)]
    candidates = _prune(found, [dogs[i].shape for i in range(1, octaves - 1)])
    candidates = _localize(candidates, dogs)
    blurred = [pair[1] for pair in pyramid]
    angles = _orientations(candidates, blurred)
    descriptors = freak_descriptors(blurred, candidates.octave, candidates.y, candidates.x, angles)
    factor = np.power(2.0, candidates.octave)
    return Keypoints(
        maxima=candidates.score > 0,
        x=candidates.x * factor + factor / 2 - 0.5,
        y=candidates.y * factor + factor / 2 - 0.5,
        scale=factor,
        angle=angles,
        descriptors=descriptors,
    )


def _extrema(below: FloatImage, here: FloatImage, above: FloatImage, octave: int) -> _Candidates:
    """Pixels of `here` that are ≥ (or ≤) their 26 scale-space neighbours, strong and not on an edge."""
    # Octave sizes are floor-halved, so the downsampled finer DoG has exactly this octave's shape.
    stack = np.stack([downsample(below), here, upsample_to(above, here.shape)])
    padded = np.pad(stack, ((0, 0), (1, 1), (1, 1)), mode="edge")
    h, w = here.shape
    windows = [padded[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    neighbourhood = np.concatenate(windows, axis=0)
    is_max = (here >= neighbourhood).all(axis=0)
    is_min = (here <= neighbourhood).all(axis=0)
    p = padded[1]
    centre = p[1:-1, 1:-1]
    dxx = p[1:-1, 2:] + p[1:-1, :-2] - 2 * centre
    dyy = p[2:, 1:-1] + p[:-2, 1:-1] - 2 * centre
    dxy = 0.25 * (p[:-2, :-2] + p[2:, 2:] - p[:-2, 2:] - p[2:, :-2])
    det = dxx * dyy - dxy * dxy
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = np.abs((dxx + dyy) ** 2 / det)
    ys, xs = np.mgrid[0:h, 0:w]
    inside = (ys >= BORDER) & (ys <= h - 1 - BORDER) & (xs >= BORDER) & (xs <= w - 1 - BORDER)
    keep = (
        (here * here >= LAPLACIAN_SQR_THRESHOLD)
        & inside
        & (is_max | is_min)
        & (np.abs(det) >= 1e-4)
        & (edge < EDGE_HESSIAN_THRESHOLD)
    )
    values = np.where(keep, here, 0.0)
    return _Candidates(
        values.astype(np.float64), np.full(values.shape, octave), ys.astype(np.float64), xs.astype(np.float64)
    )


def _prune(found: list[_Candidates], shapes: list[tuple[int, int]]) -> _Candidates:
    """Keep the 5 strongest |DoG| extrema in each cell of a 10×10 grid, across all octaves.

    Each 2×2 block first keeps one extremum (priority (y+1,x), (y,x+1), (y+1,x+1), then (y,x)), as the
    reference's `ExtremaReduction` kernel does; ties keep scan order (octave, row, column).
    """
    scores, octaves, ys, xs, buckets = [], [], [], [], []
    for cand, (h, w) in zip(found, shapes, strict=True):
        rh, rw = h // 2, w // 2
        values = cand.score[: 2 * rh, : 2 * rw]
        chosen = values[0::2, 0::2].copy()
        dy = np.zeros((rh, rw), dtype=np.int64)
        dx = np.zeros((rh, rw), dtype=np.int64)
        for oy, ox in ((1, 1), (0, 1), (1, 0)):  # lowest priority first, so later ones overwrite
            v = values[oy::2, ox::2]
            hit = v != 0
            chosen = np.where(hit, v, chosen)
            dy = np.where(hit, oy, dy)
            dx = np.where(hit, ox, dx)
        jj, ii = np.nonzero(chosen)
        y = 2 * jj + dy[jj, ii]
        x = 2 * ii + dx[jj, ii]
        bucket_w = rw * 2 / BUCKETS_PER_SIDE
        bucket_h = rh * 2 / BUCKETS_PER_SIDE
        buckets.append(
            np.floor(y / bucket_h).astype(np.int64) * BUCKETS_PER_SIDE
            + np.floor(x / bucket_w).astype(np.int64)
        )
        scores.append(chosen[jj, ii])
        octaves.append(cand.octave[0, 0] * np.ones(len(jj), dtype=np.int64))
        ys.append(y.astype(np.float64))
        xs.append(x.astype(np.float64))
    score = np.concatenate(scores) if scores else np.zeros(0)
    bucket = np.concatenate(buckets) if buckets else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(score)), -np.abs(score), bucket))
    sorted_bucket = bucket[order]
    starts = np.searchsorted(sorted_bucket, sorted_bucket, side="left")
    rank = np.arange(len(order)) - starts
    keep = order[rank < FEATURES_PER_BUCKET]
    return _Candidates(
        score[keep],
        np.concatenate(octaves)[keep] if octaves else np.zeros(0, dtype=np.int64),
        np.concatenate(ys)[keep] if ys else np.zeros(0),
        np.concatenate(xs)[keep] if xs else np.zeros(0),
    )


def _localize(cand: _Candidates, dogs: list[FloatImage]) -> _Candidates:
    """One Newton step on the DoG's 3×3 quadratic; points whose Hessian is singular stay put."""
    ys, xs = cand.y.copy(), cand.x.copy()
    for octave in np.unique(cand.octave):
        sel = np.nonzero(cand.octave == octave)[0]
        dog = dogs[int(octave)].astype(np.float64)
        y = cand.y[sel].astype(np.int64)
        x = cand.x[sel].astype(np.int64)

        def at(
            dy: int,
            dx: int,
            y: NDArray[np.int64] = y,
            x: NDArray[np.int64] = x,
            dog: NDArray[np.float64] = dog,
        ) -> NDArray[np.float64]:
            return _read(dog, y + dy, x + dx)

        gx = 0.5 * (at(0, 1) - at(0, -1))
        gy = 0.5 * (at(1, 0) - at(-1, 0))
        dxx = at(0, 1) + at(0, -1) - 2 * at(0, 0)
        dyy = at(1, 0) + at(-1, 0) - 2 * at(0, 0)
        dxy = 0.25 * (at(-1, -1) + at(1, 1) - at(-1, 1) - at(1, -1))
        det = dxx * dyy - dxy * dxy
        ok = np.abs(det) >= 1e-4
        safe = np.where(ok, det, 1.0)
        ux = (dyy * -gx + dxy * gy) / safe
        uy = (dxy * gx - dxx * gy) / safe
        ys[sel] = np.where(ok, cand.y[sel] + uy, cand.y[sel])
        xs[sel] = np.where(ok, cand.x[sel] + ux, cand.x[sel])
    return _Candidates(cand.score, cand.octave, ys, xs)


def _read(image: NDArray[np.float64], ys: NDArray[np.int64], xs: NDArray[np.int64]) -> NDArray[np.float64]:
    """Pixels at integer positions, clamped to the edge like a WebGL texture read."""
    return image[np.clip(ys, 0, image.shape[0] - 1), np.clip(xs, 0, image.shape[1] - 1)]


def _radial_offsets() -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Disc of radius 4.5 px with Gaussian weights from the reference's 6th-order Taylor polynomial of exp."""
    radius = ORIENTATION_GAUSSIAN_EXPANSION * ORIENTATION_REGION_EXPANSION
    r = int(np.ceil(radius))
    oy, ox = np.mgrid[-r : r + 1, -r : r + 1]
    d2 = (ox * ox + oy * oy).ravel()
    inside = d2 <= radius * radius
    t = d2[inside] * (-1.0 / (2 * ORIENTATION_GAUSSIAN_EXPANSION**2))
    weight = (720 + t * (720 + t * (360 + t * (120 + t * (30 + t * (6 + t)))))) * 0.0013888888
    return oy.ravel()[inside], ox.ravel()[inside], weight


def _orientations(cand: _Candidates, blurred: list[FloatImage]) -> NDArray[np.float64]:
    """Dominant gradient angle (radians, −π..π) from a smoothed 36-bin weighted histogram."""
    oy, ox, weight = _radial_offsets()
    hist = np.zeros((len(cand.x), ORIENTATION_BINS))
    for octave in np.unique(cand.octave):
        sel = np.nonzero(cand.octave == octave)[0]
        img = blurred[int(octave)].astype(np.float64)
        yp = cand.y[sel].astype(np.int64)[:, None] + oy[None, :]
        xp = cand.x[sel].astype(np.int64)[:, None] + ox[None, :]
        gy = _read(img, yp + 1, xp) - _read(img, yp - 1, xp)
        gx = _read(img, yp, xp + 1) - _read(img, yp, xp - 1)
        fbin = (np.arctan2(gy, gx) + np.pi) * ORIENTATION_BINS / (2 * np.pi)
        magnitude = weight[None, :] * np.sqrt(gx * gx + gy * gy)
        low = np.floor(fbin - 0.5)
        w_high = fbin - low - 0.5
        rows = np.repeat(sel[:, None], len(weight), axis=1)
        b1 = np.mod(low.astype(np.int64), ORIENTATION_BINS)
        b2 = np.mod(low.astype(np.int64) + 1, ORIENTATION_BINS)
        np.add.at(hist, (rows, b1), (1 - w_high) * magnitude)
        np.add.at(hist, (rows, b2), w_high * magnitude)
    for _ in range(ORIENTATION_SMOOTHING_ITERATIONS):
        hist = (
            0.274068619061197 * (np.roll(hist, 1, axis=1) + np.roll(hist, -1, axis=1))
            + 0.451862761877606 * hist
        )
    peak = np.argmax(hist, axis=1)
    rows = np.arange(len(peak))
    y1 = hist[rows, (peak - 1) % ORIENTATION_BINS]
    y2 = hist[rows, peak]
    y3 = hist[rows, (peak + 1) % ORIENTATION_BINS]
    # Vertex of the parabola through bins (peak−1, peak, peak+1); a flat top keeps the bin centre.
    curvature = y1 - 2 * y2 + y3
    flat = np.abs(curvature) < 1e-12
    offset = np.where(flat, 0.0, 0.5 * (y1 - y3) / np.where(flat, 1.0, curvature))
    fbin = peak + offset
    angles: NDArray[np.float64] = 2 * np.pi * (fbin + 0.5) / ORIENTATION_BINS - np.pi
    return angles
