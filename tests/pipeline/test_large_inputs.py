"""What keeps big scans fast: the numpy PLY reader, hashed duplicate faces, first-use compaction
and levels simplified from larger levels (cascade), each checked against the plain definition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.bundle import Bundle
from pipeline.clean import compact
from pipeline.gltf_read import split_glb
from pipeline.ingest import load_model
from pipeline.mesh_read import read_ply
from pipeline.model import Primitive
from pipeline.ply_read import read_triangle_ply
from pipeline.recipe import parse_recipe
from pipeline.run import run_pipeline
from pipeline.topology import survey_faces
from tests.pipeline.synthetic import grid, write_ply


def bumpy_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    positions, indices, _ = grid(n)
    positions[:, 1] = 0.05 * np.sin(positions[:, 0] * 9) * np.cos(positions[:, 2] * 7)
    return positions, indices


def test_numpy_ply_reader_gives_what_trimesh_gives(gargoyle: Path) -> None:
    data = gargoyle.read_bytes()
    fast, slow = read_triangle_ply(data, gargoyle.name), read_ply(data, gargoyle.name)
    assert fast is not None
    a, b = fast.primitives[0], slow.primitives[0]
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.indices, b.indices)
    assert a.colors is not None and b.colors is not None and np.array_equal(a.colors, b.colors)
    assert a.normals is not None and b.normals is not None
    np.testing.assert_allclose(a.normals, b.normals, atol=1e-6)  # trimesh normalises once more


def test_ply_with_a_quad_is_left_to_trimesh_and_still_loads(tmp_path: Path) -> None:
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 4\n"
        "property float x\nproperty float y\nproperty float z\n"
        "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
    )
    corners = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype="<f4")
    quad = bytes([4]) + np.array([0, 1, 2, 3], dtype="<i4").tobytes()
    path = tmp_path / "quad.ply"
    path.write_bytes(header.encode() + corners.tobytes() + quad)
    assert read_triangle_ply(path.read_bytes(), path.name) is None
    with Bundle(path) as bundle:
        assert load_model(bundle).triangle_count == 2


def test_duplicate_faces_match_the_sorting_definition() -> None:
    rng = np.random.default_rng(3)
    faces = rng.integers(0, 40, size=(3000, 3)).astype(np.uint32)
    faces[2000:] = rng.permuted(faces[rng.integers(0, 2000, size=1000)], axis=1)  # reordered repeats
    positions = rng.random((40, 3)).astype(np.float32)
    expected = np.ones(len(faces), dtype=bool)
    expected[np.unique(np.sort(faces, axis=1), axis=0, return_index=True)[1]] = False
    assert np.array_equal(survey_faces(Primitive(positions=positions, indices=faces)).duplicate, expected)


def test_compact_keeps_used_vertices_in_first_use_order() -> None:
    positions = np.arange(18, dtype=np.float32).reshape(6, 3)
    faces = np.array([[4, 2, 5], [0, 1, 3], [5, 2, 0]], dtype=np.uint32)
    kept = compact(Primitive(positions=positions, indices=faces), np.array([True, False, True]))
    assert np.array_equal(kept.positions, positions[[4, 2, 5, 0]])
    assert kept.indices.tolist() == [[0, 1, 2], [2, 1, 3]]


def _two_level_recipe(cascade_above: float) -> dict[str, object]:
    return {
        "name": "two",
        "description": "two levels",
        "cascade_above": cascade_above,
        "levels": [
            {"name": "small", "target_triangles": 300, "texture_px": 64},
            {"name": "big", "target_triangles": 3000, "texture_px": 64},
        ],
    }


def _processing(glb: Path) -> list[str]:
    document, _ = split_glb(glb.read_bytes(), glb.name)
    lines: list[str] = document["extensions"]["KHR_xmp_json_ld"]["packets"][0]["paradata:processing"]["@list"]
    return lines


@pytest.mark.parametrize("cascade_above", [3.0, 0.0])
def test_a_small_level_is_simplified_from_a_big_one_when_the_recipe_cascades(
    cascade_above: float, tmp_path: Path
) -> None:
    source = write_ply(tmp_path / "bumps.ply", *bumpy_grid(48))
    recipe = parse_recipe(_two_level_recipe(cascade_above), "two.json")
    result = run_pipeline(source, tmp_path / "out", recipe=recipe)
    small, big = result.levels  # in recipe order, though the big level is made first
    assert (small.name, small.triangles <= 300 * 1.05) == ("small", True)
    decimations = [line for line in _processing(small.path) if line.startswith("stage=decimate")]
    if cascade_above:
        assert [line.split()[1] for line in decimations] == ["target_triangles=3000", "target_triangles=300"]
        assert small.error_m >= big.error_m  # the bound adds both steps' errors
    else:
        assert [line.split()[1] for line in decimations] == ["target_triangles=300"]
