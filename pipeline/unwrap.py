"""A fresh UV atlas of a mesh by xatlas, made in a child process.

xatlas holds the GIL through all of ``generate`` (0.15–0.25 s for the seam-heavy mask's
20 000-triangle level), so on a thread it would stall the fit that runs meanwhile; a child
interpreter runs beside it. This file is also the child's script: run as ``python -P unwrap.py
FOLDER`` it imports only numpy, xatlas and ``hue_errors`` (not the ``pipeline`` package), so it
starts in 0.07 s on an idle core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt

from hue_errors import HueARError

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
_MESH, _ATLAS = "mesh.npz", "atlas.npz"


@dataclass(frozen=True)
class AtlasOptions:
    """Atlas width = height and gap between charts in texels; the largest chart's area."""

    size: int
    padding: int
    max_chart_area: float


@dataclass(frozen=True)
class Atlas:
    """The atlas mesh: the input vertex each of its vertices copies (charts split vertices along
    their borders), its triangles (the input's, in order) and its UVs in [0, 1]."""

    vertices: I64
    triangles: I64
    uvs: F32


# xatlas charts each of its meshes on a thread of its own, then packs all their charts into one
# atlas: handed over in two pieces, the seam-heavy mask's 20 000-triangle level is charted in
# 0.17 s instead of 0.27 with two cores free (in a run, where the fit holds one, no faster), with
# 1 074 charts instead of 1 063 (the cut between the pieces is one more seam) and the same share
# of the atlas used. Two on every machine, whatever its cores, so the atlas is the same everywhere.
PIECES = 2


def make_atlas(positions: F32, triangles: I64, options: AtlasOptions) -> Atlas:
    """xatlas's charts and packing for one mesh, in this process (deterministic)."""
    import xatlas  # here, not at the top: only the child process and tests make atlases

    atlas = xatlas.Atlas()
    pieces = _pieces(positions, triangles, PIECES)
    used: list[I64] = []  # per piece, the input vertices it uses
    for rows in pieces:
        vertices, local = np.unique(triangles[rows], return_inverse=True)
        atlas.add_mesh(positions[vertices], local.reshape(-1, 3).astype(np.uint32))
        used.append(vertices)
    charts = xatlas.ChartOptions()
    charts.max_chart_area = options.max_chart_area
    # Charts grown once, without xatlas's re-seeding pass (max_iterations 1 by default): a
    # 20 000-triangle level's atlas 0.85 → 0.39 s, 932 charts instead of 694; on the seam-heavy
    # mask the baked colour error 5.88 → 5.99 and the bytes the same.
    charts.max_iterations = 0
    pack = xatlas.PackOptions()
    pack.resolution = options.size
    pack.padding = options.padding
    pack.bilinear = True
    # Charts keep the orientation of their convex hull's axis (rotate_charts_to_axis) and are
    # not tried at other angles: the seam-heavy mask's atlas 0.40 → 0.29 s, its texels used
    # 78.8 → 79.2 %, the baked colour error 5.92 → 6.01 and the bytes the same.
    pack.rotate_charts = False
    atlas.generate(chart_options=charts, pack_options=pack)
    copied: list[I64] = []  # per piece, the input vertex each atlas vertex copies
    uvs: list[F32] = []
    faces = np.empty((len(triangles), 3), dtype=np.int64)
    for i, (rows, vertices) in enumerate(zip(pieces, used, strict=True)):
        copies, piece_faces, piece_uvs = atlas[i]
        faces[rows] = piece_faces.astype(np.int64) + sum(map(len, copied))
        copied.append(vertices[copies])
        uvs.append(piece_uvs)
    return Atlas(np.concatenate(copied), faces, np.concatenate(uvs).astype(np.float32))


def _pieces(positions: F32, triangles: I64, pieces: int) -> list[I64]:
    """The triangle rows of ``pieces`` parts of equal count, cut across the longest axis of the
    triangles' centroids (a stable sort: ties keep their order), each in the input's order."""
    centroids = positions[triangles].mean(axis=1)
    axis = int(np.argmax(np.ptp(centroids, axis=0))) if len(triangles) else 0
    order = np.argsort(centroids[:, axis], kind="stable")
    return [np.sort(rows) for rows in np.array_split(order, pieces) if len(rows)]


class AtlasJob:
    """``make_atlas`` in a child process. The child starts at construction and imports numpy and
    xatlas while the caller makes the mesh (on the seam-heavy mask it is ready 0.04 s after the
    mesh; started before the scan is cleaned, it gained nothing on two cores, where it then
    takes turns with the cleaning); ``start`` hands it the mesh, ``result`` waits for the atlas.
    As a context manager, it stops the child and removes its files on the way out (a child
    never started has made nothing)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="hue-atlas-")
        # -P: the script's folder (pipeline/, whose inspect.py would shadow the standard
        # library's) stays off the child's import path. The child makes no BLAS calls: one
        # OpenBLAS thread halves the CPU its numpy import takes (0.15 → 0.07 s).
        self._child = subprocess.Popen(  # noqa: S603 - this interpreter, this file, its own folder
            [sys.executable, "-P", __file__, self._folder.name],
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, positions: F32, triangles: I64, options: AtlasOptions) -> None:
        """Give the child its mesh (once)."""
        settings = np.array([options.size, options.padding, options.max_chart_area], dtype=np.float64)
        np.savez(Path(self._folder.name) / _MESH, positions=positions, triangles=triangles, settings=settings)
        assert self._child.stdin is not None, "the child's stdin is a pipe"
        self._child.stdin.write(b"mesh\n")
        self._child.stdin.flush()  # closed by ``result``'s communicate

    def result(self) -> Atlas:
        """Wait for the child and read its atlas."""
        _, errors = self._child.communicate()
        if self._child.returncode != 0:
            tail = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            status = self._child.returncode
            raise HueARError(f"bake: the xatlas process exited with status {status}: {tail[0]}")
        with np.load(Path(self._folder.name) / _ATLAS) as made:
            return Atlas(made["vertices"], made["triangles"], made["uvs"])

    def __enter__(self) -> AtlasJob:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._child.poll() is None:
            self._child.kill()
            self._child.communicate()
        self._folder.cleanup()


def _make_from_folder(folder: Path) -> None:
    with np.load(folder / _MESH) as mesh:
        size, padding, max_chart_area = mesh["settings"]
        options = AtlasOptions(int(size), int(padding), float(max_chart_area))
        atlas = make_atlas(mesh["positions"], mesh["triangles"], options)
    np.savez(folder / _ATLAS, vertices=atlas.vertices, triangles=atlas.triangles, uvs=atlas.uvs)


if __name__ == "__main__":
    import xatlas  # noqa: F401 - imported while the parent makes the mesh

    if sys.stdin.readline():  # the parent's go-ahead; end of input: it needs no atlas after all
        _make_from_folder(Path(sys.argv[1]))
    # The atlas is on disk and nothing is buffered: the parent, waiting, need not also wait for
    # the interpreter's teardown (26 ms with numpy and xatlas loaded).
    os._exit(0)
