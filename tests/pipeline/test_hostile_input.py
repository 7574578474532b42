"""Bad and hostile uploads: each is refused with InvalidInput naming the file; nothing is read
outside the bundle and nothing crashes."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput, TooLarge
from pipeline.inspect import inspect_source
from tests.pipeline.synthetic import gltf_document, grid, write_gltf, write_obj, write_ply

OUTSIDE_URIS = [
    "../secret.bin",
    "/etc/passwd",
    "file:///etc/passwd",
    "http://example.com/a.bin",
    "C:/Windows/win.ini",
    "sub/../../secret.bin",
    "..%2Fsecret.bin",
    "..\\secret.bin",
]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file just outside the bundle folder that no test may manage to read."""
    (tmp_path / "bundle").mkdir()
    path = tmp_path / "secret.bin"
    path.write_bytes(b"\0" * 4096)
    return path


@pytest.mark.parametrize("uri", OUTSIDE_URIS)
def test_gltf_buffer_uri_outside_the_bundle_is_refused(tmp_path: Path, secret: Path, uri: str) -> None:
    positions, indices, _ = grid(2)
    path = write_gltf(tmp_path / "bundle" / "m.gltf", gltf_document(positions, indices, buffer_uri=uri))
    with pytest.raises(InvalidInput, match=r"m\.gltf.*outside the bundle"):
        inspect_source(path.parent)


@pytest.mark.parametrize("uri", OUTSIDE_URIS)
def test_gltf_image_uri_outside_the_bundle_is_refused(tmp_path: Path, secret: Path, uri: str) -> None:
    positions, indices, uvs = grid(2)
    path = write_gltf(tmp_path / "bundle" / "m.gltf", gltf_document(positions, indices, uvs, image_uri=uri))
    with pytest.raises(InvalidInput, match="outside the bundle"):
        inspect_source(path)


@pytest.mark.parametrize("reference", ["../secret.png", "/etc/passwd", "file:///etc/hosts"])
def test_mtl_texture_outside_the_bundle_is_refused(tmp_path: Path, secret: Path, reference: str) -> None:
    positions, indices, _ = grid(2)
    bundle = tmp_path / "bundle"
    (bundle / "m.mtl").write_text(f"newmtl skin\nmap_Kd {reference}\n")
    write_obj(bundle / "m.obj", positions, indices, mtl="m.mtl")
    with pytest.raises(InvalidInput, match=r"m\.mtl.*outside the bundle"):
        inspect_source(bundle)


def test_symlink_out_of_the_bundle_is_refused(tmp_path: Path, secret: Path) -> None:
    positions, indices, _ = grid(2)
    bundle = tmp_path / "bundle"
    (bundle / "data.bin").symlink_to(secret)
    write_gltf(bundle / "m.gltf", gltf_document(positions, indices, buffer_uri="data.bin"))
    with pytest.raises(InvalidInput, match="outside the bundle"):
        inspect_source(bundle)


def test_missing_texture_names_the_file(fuze: Path) -> None:
    (fuze / "fuze uv.jpg").unlink()
    with pytest.raises(InvalidInput, match=r"fuze\.obj\.mtl: missing file 'fuze uv\.jpg'"):
        inspect_source(fuze)


def test_zip_slip_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil.obj", "v 0 0 0\n")
    with pytest.raises(InvalidInput, match="outside the archive"):
        inspect_source(archive)


@pytest.mark.parametrize("data", [b"", b"glTF", b"\x89PNG garbage" * 10, bytes(range(256)) * 4])
def test_garbage_glb_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.glb"
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=r"junk\.glb"):
        inspect_source(path)


def test_truncated_glb_is_refused(fuze: Path, tmp_path: Path) -> None:
    from pipeline.run import run_pipeline

    result = run_pipeline(fuze, tmp_path / "out", recipe="preview")
    data = result.levels[0].path.read_bytes()
    cut = tmp_path / "cut.glb"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match=r"cut\.glb"):
        inspect_source(cut)
    # Same length header, chunks cut short: header and chunk lengths disagree.
    lying = tmp_path / "lying.glb"
    lying.write_bytes(data[:8] + struct.pack("<I", len(data) // 2) + data[12 : len(data) // 2])
    with pytest.raises(InvalidInput, match=r"lying\.glb"):
        inspect_source(lying)


def test_accessor_reading_past_its_buffer_is_refused(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    document = gltf_document(positions, indices)
    document["accessors"][0]["count"] = 10**9
    with pytest.raises(InvalidInput, match=r"accessors\[0\] reads past the end"):
        inspect_source(write_gltf(tmp_path / "m.gltf", document))


def test_index_past_the_last_vertex_is_refused(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    indices = indices.copy()
    indices[0, 0] = 999
    with pytest.raises(InvalidInput, match="past the last vertex"):
        inspect_source(write_gltf(tmp_path / "m.gltf", gltf_document(positions, indices)))


def test_non_json_gltf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.gltf"
    path.write_bytes(b"{not json")
    with pytest.raises(InvalidInput, match=r"m\.gltf: not valid glTF JSON"):
        inspect_source(path)


def test_structurally_wrong_gltf_is_refused(tmp_path: Path) -> None:
    path = write_gltf(
        tmp_path / "m.gltf",
        {"asset": {"version": "2.0"}, "nodes": [{"mesh": "zero"}], "scenes": [{"nodes": [0]}], "meshes": []},
    )
    with pytest.raises(InvalidInput, match=r"m\.gltf"):
        inspect_source(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_vertices_are_refused(tmp_path: Path, bad: float) -> None:
    positions, indices, _ = grid(2)
    positions = positions.copy()
    positions[3, 1] = bad
    with pytest.raises(InvalidInput, match=r"m\.ply: primitive 0 has 1 vertices with NaN or infinite"):
        inspect_source(write_ply(tmp_path / "m.ply", positions, indices))


def test_zero_faces_are_refused(tmp_path: Path) -> None:
    positions, _, _ = grid(2)
    path = tmp_path / "m.obj"
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in positions))
    with pytest.raises(InvalidInput, match=r"m\.obj: mesh has 0 faces"):
        inspect_source(path)


def test_absurd_ply_vertex_count_is_refused_before_allocating(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    path = write_ply(tmp_path / "m.ply", positions, indices, vertex_count=4_000_000_000)
    with pytest.raises(InvalidInput, match=r"m\.ply: header declares"):
        inspect_source(path)


def test_garbage_ply_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.ply"
    path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex x\nend_header\n")
    with pytest.raises(InvalidInput, match=r"m\.ply"):
        inspect_source(path)


def test_image_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    positions, indices, uvs = grid(2)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    # A PNG header claiming 100000×100000 pixels: patch the IHDR of a tiny real PNG.
    Image.new("RGB", (1, 1)).save(bundle / "bomb.png")
    data = bytearray((bundle / "bomb.png").read_bytes())
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # keep the chunk CRC valid
    (bundle / "bomb.png").write_bytes(bytes(data))
    write_gltf(bundle / "m.gltf", gltf_document(positions, indices, uvs, image_uri="bomb.png"))
    with pytest.raises(TooLarge, match=r"bomb\.png"):
        inspect_source(bundle)


def test_garbage_texture_is_refused(fuze: Path) -> None:
    (fuze / "fuze uv.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(InvalidInput, match=r"fuze uv\.jpg: not a readable image \(no format Pillow reads\)"):
        inspect_source(fuze)


def test_unsupported_required_extension_is_refused(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    document = gltf_document(positions, indices)
    document["extensionsRequired"] = ["KHR_texture_basisu"]
    with pytest.raises(InvalidInput, match="unsupported extensions"):
        inspect_source(write_gltf(tmp_path / "m.gltf", document))


def test_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(json.dumps({"a": 1}))
    with pytest.raises(InvalidInput, match="no model file found"):
        inspect_source(tmp_path)


@pytest.mark.parametrize("face", ["f 1 2 99999999", "f 1 2 -7", "f 1 2 x"])
def test_obj_face_pointing_past_its_vertices_is_refused(tmp_path: Path, face: str) -> None:
    path = tmp_path / "m.obj"
    path.write_text(f"v 0 0 0\nv 1 0 0\nv 0 1 0\n{face}\n")
    with pytest.raises(InvalidInput, match=r"m\.obj"):
        inspect_source(path)


def test_binary_garbage_named_obj_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.obj"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InvalidInput, match=r"m\.obj"):
        inspect_source(path)


def test_a_gltf_uri_with_a_backslash_is_refused_as_the_upload_check_refuses_it(tmp_path: Path) -> None:
    positions, indices, uvs = grid(2)
    bundle = tmp_path / "bundle"
    (bundle / "textures").mkdir(parents=True)
    (bundle / "textures" / "a.png").write_bytes(b"")  # found at 'textures/a.png'
    path = write_gltf(bundle / "m.gltf", gltf_document(positions, indices, uvs, image_uri="textures\\a.png"))
    with pytest.raises(InvalidInput, match=r"m\.gltf: reference 'textures\\\\a\.png' holds a backslash"):
        inspect_source(path)
