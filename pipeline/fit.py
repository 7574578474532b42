"""Fit stage: move a decimated mesh's vertices so its surface lies on the scan.

meshoptimizer's simplifier keeps a subset of the scan's vertices, so each remaining triangle is
a chord of the curved surface: on a convex patch the whole low mesh sits inside the scan, on a
concave one outside, and corners are cut. A round or two of point-to-plane least squares
(samples across every low triangle, each pulled onto the plane of the nearest scan face) move the
vertices to where the low surface best matches the scan. (meshoptimizer 0.25's
``meshopt_simplifyWithUpdate`` places vertices by their quadrics, but the pinned Python bindings
carry 0.24, and quadrics see only the removed vertices, not the surface between them: so this
stage is written here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg
from scipy.spatial import cKDTree

from pipeline.model import Model, Primitive
from pipeline.normals import face_normals, vertex_normals
from pipeline.topology import welded_rows

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
# Where each low triangle is compared with the scan: its centroid, three interior points and
# its edge midpoints (barycentric weights, rows sum to 1).
SAMPLES = np.array(
    [
        [1 / 3, 1 / 3, 1 / 3],
        [2 / 3, 1 / 6, 1 / 6],
        [1 / 6, 2 / 3, 1 / 6],
        [1 / 6, 1 / 6, 2 / 3],
        [1 / 2, 1 / 2, 0.0],
        [0.0, 1 / 2, 1 / 2],
        [1 / 2, 0.0, 1 / 2],
    ]
)
BACKTRACKS = 8  # halvings of a flipping vertex's move before it is put back


@dataclass(frozen=True)
class FitOptions:
    """``slide``: vertices may also move along the surface (only before a re-bake: with the
    scan's own UVs kept, sliding would drag the texture). ``damping`` adds that share of each
    unknown's own weight to its equation, so what few samples see barely moves. Each of the
    ``iterations`` searches the closest scan planes again and solves, on ``workers`` threads
    (-1: one per core)."""

    slide: bool = False
    iterations: int = 1
    damping: float = 0.05
    workers: int = -1


def _welded(model: Model) -> tuple[F64, I64, I64]:
    """Unique positions, the group of every vertex of every primitive, and the triangles by group:
    copies of one position along a UV seam move together, so seams stay closed."""
    points, ids = welded_rows(model.stacked_positions())
    group = ids.astype(np.int64)
    return points.astype(np.float64), group, group[model.stacked_triangles()]


def _frames(points: F64, faces: I64) -> F64:
    """Per vertex (N, 3, 3): the normal, then two tangents."""
    normals = vertex_normals(points, faces)
    helper = np.where(np.abs(normals[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    first = np.cross(normals, helper)
    first /= np.maximum(np.linalg.norm(first, axis=1), 1e-30)[:, None]
    return np.stack([normals, first, np.cross(normals, first)], axis=1)


class ScanPlanes:
    """The scan as planes: a k-d tree over its face centroids and their unit normals. Built once
    per run and shared by every level's fit."""

    def __init__(self, scan: Model) -> None:
        # float32 up to the planes: a 6M-triangle scan's corners in float64 alone are 430 MB.
        corners = np.concatenate([p.positions[p.indices] for p in scan.primitives])
        first, second = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
        cross = np.cross(first, second)
        length = np.linalg.norm(cross, axis=1)
        keep = length > 0  # cleaned scans have no zero-area faces; others skip theirs
        centroids = corners.sum(axis=1) / 3
        normals = (cross / np.where(keep, length, 1)[:, None]).astype(np.float32, copy=False)
        if not keep.all():
            centroids, normals = centroids[keep], normals[keep]
        self.centroids: F64 = centroids.astype(np.float64)  # what the k-d tree works in
        self.normals: F32 = normals
        self.offsets: F64 = np.einsum("ij,ij->i", self.normals, self.centroids)  # plane: n·x = offset
        every = max(1, len(first) // 100_000)
        self.edge = float(np.linalg.norm(first[::every], axis=1).mean(dtype=np.float64))
        # Midpoint splits build 2× faster than median ones on scans; queries stay exact.
        self.tree = cKDTree(self.centroids, balanced_tree=False, compact_nodes=False)

    def gaps(self, points: F64, workers: int = -1) -> tuple[F64, F64, I64]:
        """Signed distance of each point to the plane of its nearest scan face, the distance to
        that face's centroid, and the face (searched on ``workers`` threads: the same results)."""
        distance, nearest = self.tree.query(points, workers=workers)
        gap: F64 = self.offsets[nearest] - (self.normals[nearest] * points).sum(axis=1)
        return gap, distance, nearest


def _samples(moved: F64, faces: I64) -> F64:
    # Batched small products go through matmul here and below: 3-5× faster than einsum's loops.
    points: F64 = np.matmul(SAMPLES, moved[faces]).reshape(-1, 3)
    return points


class NormalEquations:
    """Where each face's share of the normal equations lands in their CSR matrix, whose
    axes × axes blocks are the pairs of vertices sharing a face plus every vertex with itself
    (so a vertex no sample sees still has an equation). Built once per fit: the faces do not
    change between its iterations. (scipy builds a sparse matrix from coordinates, sorting them
    each time; summing each face's block into a place found once halves the fit's assembly.)"""

    def __init__(self, faces: I64, vertices: int, axes: int) -> None:
        pairs = (faces[:, :, None] * vertices + faces[:, None, :]).reshape(-1)
        keys = np.concatenate([pairs, np.arange(vertices) * (vertices + 1)])
        unique, slot = np.unique(keys, return_inverse=True)  # blocks in row-major order
        row, column = unique // vertices, unique % vertices
        first = np.searchsorted(row, np.arange(vertices + 1))  # each block row's first block
        width = np.diff(first)[row]  # blocks in the row of each block
        # Row axes·i + a starts after all entries of earlier block rows and a rows of this one;
        # in it, the row's k-th block holds columns k·axes .. k·axes + axes - 1.
        a = np.arange(axes)
        place = (
            axes * axes * first[row][:, None, None]
            + (a * axes)[None, :, None] * width[:, None, None]
            + axes * (np.arange(len(unique)) - first[row])[:, None, None]
            + a[None, None, :]
        )  # (blocks, axes, axes)
        self.size = axes * vertices
        self.indices = np.empty(place.size, dtype=np.int32)
        columns = np.broadcast_to(axes * column[:, None, None] + a, place.shape)  # entry (a, a'): a'
        self.indices[place.reshape(-1)] = columns.reshape(-1)
        self.indptr = np.append(place[first[:-1], :, 0].reshape(-1), place.size).astype(np.int32)
        self.own_blocks = place[slot[len(pairs) :]]  # (vertices, axes, axes): each vertex with itself
        self.diagonal = self.own_blocks[:, a, a].reshape(-1)
        # Face f's entry (k, a, k', a') goes to its corner pair's block, at (a, a').
        by_pair = place[slot[: len(pairs)]].reshape(len(faces), 3, 3, axes, axes)
        self.faces = faces
        self.entries = by_pair.transpose(0, 1, 3, 2, 4).reshape(-1)

    def sums(self, face_blocks: F64) -> F64:
        """The CSR data of the sum of every face's (3, axes, 3, axes) block."""
        sums = np.bincount(self.entries, face_blocks.reshape(-1), minlength=len(self.indices))
        return sums.astype(np.float64, copy=False)

    def matrix(self, data: F64) -> sparse.csr_matrix:
        return sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.size, self.size))

    def vector(self, face_values: F64) -> F64:
        """The sum of every face's (3, axes) values at its corners, flattened like the matrix rows."""
        axes = face_values.shape[-1]
        corner = self.faces.reshape(-1)
        columns = face_values.reshape(-1, axes)
        summed = [np.bincount(corner, columns[:, a], minlength=self.size // axes) for a in range(axes)]
        return np.stack(summed, axis=1, dtype=np.float64).reshape(-1)


def _step(
    scan: ScanPlanes,
    moved: F64,
    equations: NormalEquations,
    frames: F64,
    reach: float,
    options: FitOptions,
) -> tuple[F64, F64, F32]:
    """One point-to-plane least-squares move of every vertex (N, 3): each sample on a low
    triangle is pulled onto the plane of the nearest scan face. Also returns the samples' gaps
    and those planes' normals."""
    faces = equations.faces
    count, samples = len(faces), len(SAMPLES)
    area = np.linalg.norm(face_normals(moved, faces), axis=1)
    gap, distance, nearest = scan.gaps(_samples(moved, faces), options.workers)
    plane = scan.normals[nearest]
    # A scan face out of reach is another part of the surface (a fold, the back of a thin rim).
    weight = np.sqrt(area / samples)[:, None] * (distance <= reach).reshape(count, samples)
    axes = 3 if options.slide else 1
    # gap ≈ Σ_corners b_k · (n_plane · e_k,a) · u_k,a over each corner's frame axes e (normal first):
    # one weighted row per sample; the normal equations are summed face by face from them.
    corner_axes = frames[:, :axes][faces].reshape(count, 3 * axes, 3)
    facing = np.matmul(plane.reshape(count, samples, 3), corner_axes.transpose(0, 2, 1))
    facing = facing.reshape(count, samples, 3, axes)
    rows = (SAMPLES[None, :, :, None] * facing * weight[:, :, None, None]).reshape(count, samples, -1)
    data = equations.sums(np.matmul(rows.transpose(0, 2, 1), rows))
    pulls = np.einsum("fsi,fs->fi", rows, gap.reshape(count, samples) * weight)
    diagonal = data[equations.diagonal]
    # Sliding is damped by the vertex's normal weight: it helps only where that buys a lot.
    scale = np.repeat(diagonal.reshape(-1, axes)[:, 0], axes)
    data[equations.diagonal] += options.damping * np.maximum(diagonal, scale) + 1e-12 * diagonal.max()
    right = equations.vector(pulls.reshape(count, 3, axes))
    # Block-Jacobi preconditioner (each vertex's own axes × axes block inverted): 11-14
    # iterations reach the tolerance, where plain CG stops at 100 short of it.
    inverse = np.linalg.inv(data[equations.own_blocks])
    precondition = LinearOperator(
        (len(right), len(right)),
        matvec=lambda x: np.einsum("nij,nj->ni", inverse, x.reshape(-1, axes)).reshape(-1),
    )
    solution, _ = cg(equations.matrix(data), right, rtol=1e-5, maxiter=100, M=precondition)
    move: F64 = np.einsum("na,naj->nj", solution.reshape(-1, axes), frames[:, :axes])
    return move, gap, plane


@dataclass(frozen=True)
class FitResult:
    model: Model
    max_distance: float  # largest distance from a sample of the fitted surface to the plane it was fitted to


def fit_to_surface(
    scan: ScanPlanes, low: Model, limit: float, options: FitOptions = FitOptions()
) -> FitResult:
    """``low`` with each vertex moved by at most ``limit`` (model units: the simplifier's own
    error bound) to minimise the squared distance from its surface to the scan's. A move that
    would flip a triangle is halved until it does not, or undone."""
    if limit <= 0 or low.triangle_count == 0:
        return FitResult(low, limit)
    reach = 2 * limit + scan.edge
    points, group, faces = _welded(low)
    frames = _frames(points, faces)
    facing = face_normals(points, faces)
    solid = np.linalg.norm(facing, axis=1) > 0  # zero-area faces have no side to flip to
    offset = np.zeros_like(points)
    equations = NormalEquations(faces, len(points), 3 if options.slide else 1)
    gaps = []
    for _ in range(max(1, options.iterations)):
        previous = offset
        move, gap, plane = _step(scan, points + offset, equations, frames, reach, options)
        gaps.append(gap)
        trial = offset + move
        length = np.linalg.norm(trial, axis=1)
        trial *= np.minimum(1.0, limit / np.maximum(length, 1e-30))[:, None]
        for attempt in range(BACKTRACKS + 1):
            flipped = solid & ((face_normals(points + trial, faces) * facing).sum(axis=1) <= 0)
            if not flipped.any():
                break
            culprits = np.unique(faces[flipped])
            halfway = (trial[culprits] + offset[culprits]) / 2
            trial[culprits] = offset[culprits] if attempt == BACKTRACKS else halfway
        offset = trial
    # Each sample's distance to its plane after the last move: a plane's distance is linear in
    # position, so this is exact without a second search of the scan.
    after = np.abs(gap - (plane * _samples(offset - previous, faces)).sum(axis=1))
    fitted = (points + offset).astype(np.float32)
    primitives, start = [], 0
    for prim in low.primitives:
        mine = group[start : start + prim.vertex_count]
        start += prim.vertex_count
        primitives.append(
            Primitive(
                positions=fitted[mine],
                indices=prim.indices,
                material=prim.material,
                normals=prim.normals,
                uvs=prim.uvs,
                colors=prim.colors,
            )
        )
    record = {
        "stage": "fit",
        "slide": options.slide,
        "max_move": float(np.linalg.norm(offset, axis=1).max()),
        "mean_distance_before": float(np.abs(gaps[0]).mean()),
        "mean_distance": float(after.mean()),
    }
    fitted_model = Model(primitives, low.materials, name=low.name, steps=[*low.steps, record])
    return FitResult(fitted_model, float(after.max()))
