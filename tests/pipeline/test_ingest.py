"""Ingest and inspect: every supported format, compressed glTF input, and what inspect measures."""

from __future__ import annotations

import subprocess
import unicodedata
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from pipeline.bundle import Bundle
from pipeline.clean import CleanOptions, clean
from pipeline.glb_write import EncodeOptions, write_glb
from pipeline.ingest import load_model
from pipeline.inspect import inspect_source
from pipeline.orient import OrientOptions, orient
from pipeline.textures import resize_textures
from tests.pipeline.conftest import NODE_TOOLS
from tests.pipeline.synthetic import gltf_document, grid, write_gltf


def test_gltf_scan_inspects_with_its_real_counts(bali_mask: Path) -> None:
    report = inspect_source(bali_mask)
    assert (report.triangles, report.vertices) == (100_000, 62_383)  # as published with the scan
    assert [(t.width, t.height) for t in report.textures] == [(4096, 4096)]
    assert report.bounds_max[2] > report.bounds_min[2] > 0.03
    assert report.uv_islands > 100  # a photogrammetry atlas: many charts
    assert report.components >= 1 and report.degenerate_faces == 0


def test_obj_with_mtl_and_spaced_texture_name_loads(fuze: Path) -> None:
    report = inspect_source(fuze)
    assert report.triangles == 1000
    assert [(t.name, t.width) for t in report.textures] == [("fuze uv.jpg", 1024)]
    assert report.has_uvs and report.has_normals


def test_obj_uvs_are_flipped_to_gltf_convention(fuze: Path) -> None:
    with Bundle(fuze / "fuze.obj") as bundle:
        model = load_model(bundle)
    text = (fuze / "fuze.obj").read_text()
    first_vt = next(line for line in text.splitlines() if line.startswith("vt "))
    v = float(first_vt.split()[2])
    uvs = model.primitives[0].uvs
    assert uvs is not None
    assert np.isclose(uvs[:, 1], 1 - v, atol=1e-6).any()


def test_ply_vertex_colours_become_linear(gargoyle: Path) -> None:
    with Bundle(gargoyle) as bundle:
        model = load_model(bundle)
    colors = model.primitives[0].colors
    assert colors is not None and model.triangle_count == 50_000
    # sRGB byte 196 (the first vertex) is linear 0.552.
    assert np.isclose(colors[0, 0], ((196 / 255 + 0.055) / 1.055) ** 2.4, atol=1e-4)


def test_zip_bundle_reads_like_the_folder(fuze: Path, tmp_path: Path) -> None:
    archive = tmp_path / "fuze.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(fuze.iterdir()):
            zf.write(path, f"scan/{path.name}")
    zipped, folder = inspect_source(archive), inspect_source(fuze)
    assert zipped.source == "scan/fuze.obj"
    assert replace(zipped, source="", textures=()) == replace(folder, source="", textures=())
    assert [t.name for t in zipped.textures] == ["scan/fuze uv.jpg"]


def test_node_transforms_are_applied(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    document = gltf_document(positions, indices)
    document["nodes"] = [{"children": [1], "translation": [0, 5, 0]}, {"mesh": 0, "scale": [2, 2, 2]}]
    with Bundle(write_gltf(tmp_path / "n.gltf", document)) as bundle:
        model = load_model(bundle)
    low, high = model.bounds()
    assert np.allclose(low, [0, 5, 0]) and np.allclose(high, [2, 5, 2])


def _round_trip(source: Path, tmp_path: Path, geometry: str) -> tuple[int, int]:
    with Bundle(source) as bundle:
        model = resize_textures(orient(clean(load_model(bundle), CleanOptions()), OrientOptions()), 256)
    path = tmp_path / f"{geometry}.glb"
    path.write_bytes(write_glb(model, EncodeOptions(geometry=geometry)).data)  # type: ignore[arg-type]
    report = inspect_source(path)
    return model.triangle_count, report.triangles


def test_meshopt_compressed_glb_is_accepted_as_input(fuze: Path, tmp_path: Path) -> None:
    before, after = _round_trip(fuze, tmp_path, "meshopt")
    assert before == after == 1000


def test_draco_compressed_glb_is_accepted_as_input(fuze: Path, tmp_path: Path) -> None:
    before, after = _round_trip(fuze, tmp_path, "draco")
    assert before == after == 1000


def test_obj_uv_seams_survive_ingest(fuze: Path) -> None:
    text = (fuze / "fuze.obj").read_text()
    corners = {c for line in text.splitlines() if line.startswith("f ") for c in line.split()[1:]}
    pairs = {tuple(c.split("/")[:2]) for c in corners}
    with Bundle(fuze) as bundle:
        model = load_model(bundle)
    # One vertex per distinct (position, texcoord) pair: a seam keeps both sides' UVs.
    assert model.vertex_count == len(pairs)


def test_gltfpack_meshopt_output_decodes_to_the_source(fuze: Path, tmp_path: Path) -> None:
    """A third-party encoder (gltfpack: meshopt, octahedral filter, KHR_texture_transform)."""
    gltfpack = NODE_TOOLS / "node_modules" / ".bin" / "gltfpack"
    if not gltfpack.exists():
        pytest.skip("gltfpack not installed: run `npm ci` in tools/node")
    packed = tmp_path / "packed.glb"
    subprocess.run(
        [str(gltfpack), "-i", str(fuze / "fuze.obj"), "-o", str(packed), "-cc"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Bundle(packed) as bundle:
        result = load_model(bundle).primitives[0]
    with Bundle(fuze) as bundle:
        source = load_model(bundle).primitives[0]
    assert source.uvs is not None and result.uvs is not None
    assert source.normals is not None and result.normals is not None
    extent = float(np.ptp(source.positions, axis=0).max())
    keys = np.concatenate([source.positions / extent, source.uvs], axis=1)
    _, match = cKDTree(keys).query(np.concatenate([result.positions / extent, result.uvs], axis=1))
    assert np.abs(result.positions - source.positions[match]).max() < extent / 16383  # 14-bit grid
    assert np.abs(result.uvs - source.uvs[match]).max() < 2e-4  # 12-bit texcoords
    assert np.abs(result.normals - source.normals[match]).max() < 0.05  # 8-bit octahedral
    assert result.triangle_count == source.triangle_count


def test_obj_quads_and_polygons_are_triangulated(tmp_path: Path) -> None:
    path = tmp_path / "poly.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0.5 1.5 0\nf 1 2 3 4\nf 1 2 3 4 5\n")
    assert inspect_source(path).triangles == 2 + 3


TRIANGLE_OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"


@pytest.mark.parametrize("packed", [True, False], ids=["zip", "folder"])
def test_a_texture_named_in_decomposed_unicode_is_found_by_its_composed_reference(
    tmp_path: Path, packed: bool
) -> None:
    """A zip made on macOS stores file names decomposed (NFD); the MTL naming them is composed."""
    composed = "Huế – Ngọ Môn.png"
    texture = tmp_path / "texture.png"
    Image.fromarray(np.full((8, 8, 3), 200, dtype=np.uint8)).save(texture)
    files = {
        "m.obj": b"mtllib m.mtl\nusemtl a\n" + TRIANGLE_OBJ,
        "m.mtl": f"newmtl a\nmap_Kd {composed}\n".encode(),
        unicodedata.normalize("NFD", composed): texture.read_bytes(),
    }
    if packed:
        source = tmp_path / "scan.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    else:
        source = tmp_path / "scan"
        source.mkdir()
        for name, data in files.items():
            (source / name).write_bytes(data)
    (found,) = inspect_source(source).textures
    assert unicodedata.normalize("NFC", found.name) == composed and found.width == 8
