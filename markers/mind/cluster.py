"""Hierarchical k-medoids tree over binary descriptors, the index MindAR's matcher walks at run time.

Same scheme and seeded LCG as hiukim/mind-ar-js `matching/hierarchical-clustering.js` and
`utils/randomizer.js` (MIT), so a tree for the same descriptors has the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MIN_FEATURES_PER_NODE = 16
ASSIGNMENT_HYPOTHESES = 128
CENTERS = 8
SEED = 1234


@dataclass
class ClusterNode:
    """A tree node; `center` is the global index of its medoid (None at the root)."""

    center: int | None
    leaf: bool
    children: list[ClusterNode] = field(default_factory=list)
    point_indexes: list[int] = field(default_factory=list)


class _Lcg:
    """The MSVC-style LCG (214013, 2531011 mod 2³¹) MindAR seeds with 1234."""

    def __init__(self) -> None:
        self.seed = SEED

    def shuffle_prefix(self, values: list[int], count: int) -> None:
        for i in range(count):
            self.seed = (214013 * self.seed + 2531011) % (1 << 31)
            k = ((self.seed >> 16) & 0x7FFF) % len(values)
            values[i], values[k] = values[k], values[i]


def hamming_matrix(descriptors: NDArray[np.uint32]) -> NDArray[np.int64]:
    """All pairwise Hamming distances between (n, 21) uint32 descriptors."""
    xor = descriptors[:, None, :] ^ descriptors[None, :, :]
    distances: NDArray[np.int64] = np.bitwise_count(xor).sum(axis=2, dtype=np.int64)
    return distances


def build_tree(descriptors: NDArray[np.uint32]) -> ClusterNode:
    """Cluster all descriptors of one extremum type (maxima or minima) of one keyframe."""
    distances = hamming_matrix(descriptors)
    return _build(distances, list(range(len(descriptors))), None, _Lcg())


def _build(distances: NDArray[np.int64], indexes: list[int], center: int | None, lcg: _Lcg) -> ClusterNode:
    if len(indexes) <= max(CENTERS, MIN_FEATURES_PER_NODE):
        return ClusterNode(center, True, point_indexes=list(indexes))
    assignment = _k_medoids(distances, indexes, lcg)
    clusters: dict[int, list[int]] = {}
    for local, medoid in enumerate(assignment):
        clusters.setdefault(indexes[medoid], []).append(indexes[local])
    if len(clusters) == 1:
        return ClusterNode(center, True, point_indexes=list(indexes))
    # Children in ascending medoid index: the order JavaScript gives integer-like object keys.
    children = [_build(distances, clusters[m], m, lcg) for m in sorted(clusters)]
    return ClusterNode(center, False, children=children)


def _k_medoids(distances: NDArray[np.int64], indexes: list[int], lcg: _Lcg) -> list[int]:
    """Best of 128 random 8-medoid assignments; returns, per point, the local index of its medoid."""
    order = list(range(len(indexes)))
    sub = distances[np.ix_(indexes, indexes)]
    best_sum = -1
    best: list[int] = []
    for _ in range(ASSIGNMENT_HYPOTHESES):
        lcg.shuffle_prefix(order, CENTERS)
        medoids = np.array(order[:CENTERS])
        to_medoids = sub[:, medoids]
        nearest = np.argmin(to_medoids, axis=1)  # first minimum, as the reference's strict `<` loop
        total = int(to_medoids[np.arange(len(indexes)), nearest].sum())
        if best_sum < 0 or total < best_sum:
            best_sum, best = total, medoids[nearest].tolist()
    return best
