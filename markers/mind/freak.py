"""FREAK binary descriptors as MindAR computes them: 37 samples, 666 pairwise comparisons, 21 uint32 words.

Sampling pattern: FREAK's 6 rings of 6 points plus the centre (Alahi et al., CVPR 2012), with the ring
radii and angular phases of hiukim/mind-ar-js `detector/freak.js` (MIT), scaled by 7 octave pixels.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from markers.mind.pyramid import FloatImage, sample_bilinear

EXPANSION = 7.0
# (radius, phase in degrees of the first point); points follow every 60°, outermost ring first.
_RINGS = (
    (1.0, 180.0),
    (0.930969, 90.0),
    (0.847306, 0.0),
    (0.741094, 270.0),
    (0.595502, 180.0),
    (0.362783, 90.0),
)
DESCRIPTOR_WORDS = 21  # ceil(666 / 32)


def freak_points() -> NDArray[np.float64]:
    """(37, 2) sample offsets (x, y) in units of the expansion factor."""
    points = []
    for radius, phase in _RINGS:
        angles = np.deg2rad(phase + 60.0 * np.arange(6))
        points.append(np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1))
    points.append(np.zeros((1, 2)))
    return np.concatenate(points)


_POINTS = freak_points()
_FIRST, _SECOND = np.triu_indices(len(_POINTS), k=1)  # (0,1), (0,2), … (35,36): the reference's bit order


def freak_descriptors(
    blurred: list[FloatImage],
    octave: NDArray[np.int64],
    y: NDArray[np.float64],
    x: NDArray[np.float64],
    angle: NDArray[np.float64],
) -> NDArray[np.uint32]:
    """Descriptors for features at octave coordinates (x, y), rotated by `angle` radians."""
    samples = np.zeros((len(x), len(_POINTS)))
    cos = EXPANSION * np.cos(angle)[:, None]
    sin = EXPANSION * np.sin(angle)[:, None]
    px, py = _POINTS[None, :, 0], _POINTS[None, :, 1]
    ys = y[:, None] + px * sin + py * cos
    xs = x[:, None] + px * cos - py * sin
    for level in np.unique(octave):
        sel = octave == level
        samples[sel] = sample_bilinear(blurred[int(level)], ys[sel], xs[sel])
    bits = samples[:, _FIRST] < samples[:, _SECOND] + 0.01
    # Bits pack most-significant first into bytes, then 4 bytes big-endian per word (672 bits, 6 padding).
    packed = np.packbits(bits, axis=1)
    packed = np.pad(packed, ((0, 0), (0, 4 * DESCRIPTOR_WORDS - packed.shape[1])))
    return np.ascontiguousarray(packed).view(">u4").astype(np.uint32)
