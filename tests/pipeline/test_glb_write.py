"""The GLB writer: spec-valid output (Khronos glTF-Validator) that decodes back to the input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from pipeline.bundle import Bundle
from pipeline.clean import CleanOptions, clean
from pipeline.glb_write import EncodeOptions, GeometryCodec, write_glb
from pipeline.gltf_read import split_glb
from pipeline.ingest import load_model
from pipeline.model import Model, Primitive
from pipeline.orient import OrientOptions, orient
from pipeline.provenance import Provenance, xmp_packet
from pipeline.textures import TextureOptions, resize_textures
from tests.pipeline.conftest import NODE_TOOLS, Validator, error_messages
from tests.pipeline.synthetic import grid


def prepared(source: Path, texture_px: int = 256) -> Model:
    with Bundle(source) as bundle:
        model = load_model(bundle)
    return resize_textures(orient(clean(model, CleanOptions()), OrientOptions()), texture_px)


def decoded(data: bytes, tmp_path: Path) -> Model:
    path = tmp_path / "out.glb"
    path.write_bytes(data)
    with Bundle(path) as bundle:
        return load_model(bundle)


def match_keys(primitive: Primitive, extent: float) -> npt.NDArray[np.float32]:
    parts = [primitive.positions / extent]
    if primitive.uvs is not None:
        parts.append(primitive.uvs)
    return np.concatenate(parts, axis=1)


def assert_matches(original: Model, back: Model, position_tol: float, uv_tol: float) -> None:
    """Same triangles over the same vertices, each attribute within its quantisation error."""
    assert back.triangle_count == original.triangle_count
    for source, result in zip(original.primitives, back.primitives, strict=True):
        extent = float(np.ptp(source.positions, axis=0).max())
        # Match vertices in (position, uv) space so seam duplicates pair with the right twin.
        _, match = cKDTree(match_keys(source, extent)).query(match_keys(result, extent))
        assert np.abs(result.positions - source.positions[match]).max() <= position_tol
        if source.uvs is not None:
            assert result.uvs is not None
            assert np.abs(result.uvs - source.uvs[match]).max() <= uv_tol
        if source.normals is not None:
            assert result.normals is not None
            assert np.abs(result.normals - source.normals[match]).max() <= 0.02
        original_faces = {tuple(np.roll(t, -int(np.argmin(t)))) for t in source.indices.tolist()}
        mapped = match[result.indices]
        back_faces = {tuple(np.roll(t, -int(np.argmin(t)))) for t in mapped.tolist()}
        assert back_faces == original_faces  # same faces, same winding


@pytest.mark.parametrize("geometry", ["meshopt", "none"])
def test_quantized_glb_is_valid_and_decodes_to_the_input(
    fuze: Path, tmp_path: Path, validate: Validator, geometry: GeometryCodec
) -> None:
    model = prepared(fuze)
    written = write_glb(model, EncodeOptions(geometry=geometry))
    path = tmp_path / f"{geometry}.glb"
    path.write_bytes(written.data)
    report = validate(path)
    assert error_messages(report) == []
    assert report["info"]["totalTriangleCount"] == model.triangle_count
    # Rounding to the grid moves a coordinate by at most half a step (plus float32 noise).
    assert_matches(
        model, decoded(written.data, tmp_path), written.position_step * 0.5 + 1e-6, 0.5 / 65535 + 1e-7
    )


def test_draco_glb_is_valid_and_decodes_within_draco_quantisation(
    fuze: Path, tmp_path: Path, validate: Validator
) -> None:
    model = prepared(fuze)
    written = write_glb(model, EncodeOptions(geometry="draco"))
    path = tmp_path / "draco.glb"
    path.write_bytes(written.data)
    assert error_messages(validate(path)) == []
    # Draco's 12-bit texture coordinates: half a step of 1/4095.
    assert_matches(model, decoded(written.data, tmp_path), written.position_step + 1e-6, 1 / 4095)


def test_vertex_colours_survive_quantisation(gargoyle: Path, tmp_path: Path, validate: Validator) -> None:
    model = prepared(gargoyle)
    written = write_glb(model, EncodeOptions())
    back = decoded(written.data, tmp_path)
    source, result = model.primitives[0], back.primitives[0]
    assert source.colors is not None and result.colors is not None
    _, match = cKDTree(source.positions).query(result.positions)
    assert np.abs(result.colors - source.colors[match]).max() <= 0.5 / 255 + 1e-6
    (tmp_path / "g.glb").write_bytes(written.data)
    assert error_messages(validate(tmp_path / "g.glb")) == []


def test_xmp_packet_is_attached_to_the_asset(fuze: Path, tmp_path: Path, validate: Validator) -> None:
    model = prepared(fuze)
    packet = xmp_packet(Provenance(title="Fuze", licence="MIT"), model.steps, "ar", scale_measured=False)
    written = write_glb(model, EncodeOptions(), packet)
    (tmp_path / "x.glb").write_bytes(written.data)
    report = validate(tmp_path / "x.glb")
    assert error_messages(report) == []
    assert "KHR_xmp_json_ld" in report["info"]["extensionsUsed"]


def test_unlit_materials_are_optional_for_readers(fuze: Path, tmp_path: Path, validate: Validator) -> None:
    written = write_glb(prepared(fuze), EncodeOptions(unlit=True))
    (tmp_path / "u.glb").write_bytes(written.data)
    report = validate(tmp_path / "u.glb")
    assert error_messages(report) == []
    document, _ = split_glb(written.data, "u.glb")
    assert all(m["extensions"] == {"KHR_materials_unlit": {}} for m in document["materials"])
    assert all("baseColorTexture" in m["pbrMetallicRoughness"] for m in document["materials"])  # fallback
    assert "KHR_materials_unlit" in document["extensionsUsed"]
    assert "KHR_materials_unlit" not in document.get("extensionsRequired", [])
    assert b"KHR_materials_unlit" not in write_glb(prepared(fuze), EncodeOptions()).data


def test_textures_are_webp_by_default_and_jpeg_when_asked(fuze: Path) -> None:
    model = prepared(fuze)
    webp = write_glb(model, EncodeOptions()).data
    jpeg = write_glb(model, EncodeOptions(texture=TextureOptions(format="jpeg"))).data
    assert b"EXT_texture_webp" in webp and b"RIFF" in webp
    assert b"EXT_texture_webp" not in jpeg and b"image/jpeg" in jpeg


def test_writing_twice_gives_identical_bytes(fuze: Path) -> None:
    model = prepared(fuze)
    assert write_glb(model, EncodeOptions()).data == write_glb(model, EncodeOptions()).data


def test_several_materials_and_atlases_are_kept_apart(tmp_path: Path, validate: Validator) -> None:
    positions, indices, uvs = grid(4)
    bundle = tmp_path / "scan"
    bundle.mkdir()
    for name, colour in (("a.png", (200, 30, 30)), ("b.png", (30, 30, 200))):
        Image.new("RGB", (64, 32), colour).save(bundle / name)
    (bundle / "m.mtl").write_text("newmtl left\nmap_Kd a.png\nnewmtl right\nmap_Kd b.png\n")
    half = len(indices) // 2
    lines = ["mtllib m.mtl"] + [f"v {x} {y} {z}" for x, y, z in positions] + [f"vt {u} {v}" for u, v in uvs]
    lines += ["usemtl left"] + [
        f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}" for a, b, c in indices[:half]
    ]
    lines += ["usemtl right"] + [
        f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}" for a, b, c in indices[half:]
    ]
    (bundle / "m.obj").write_text("\n".join(lines) + "\n")
    model = prepared(bundle)
    assert sorted(m.name for m in model.materials) == ["left", "right"] and len(model.primitives) == 2
    path = tmp_path / "two.glb"
    path.write_bytes(write_glb(model, EncodeOptions()).data)
    report = validate(path)
    assert error_messages(report) == []
    assert report["info"]["materialCount"] == 2
    back = decoded(path.read_bytes(), tmp_path)
    pixels = {
        m.name: m.base_color_texture.image.getpixel((5, 5)) for m in back.materials if m.base_color_texture
    }
    left, right = pixels["left"], pixels["right"]
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[0] > 150 > right[0]  # the red atlas stays on "left", the blue one on "right"


def test_meshopt_output_decodes_with_gltf_transform(fuze: Path, tmp_path: Path, validate: Validator) -> None:
    """glTF-Validator does not look inside EXT_meshopt_compression streams, so decode them with
    glTF-Transform's reference decoder and validate the decoded, uncompressed file."""
    cli = NODE_TOOLS / "node_modules" / ".bin" / "gltf-transform"
    if not cli.exists():
        pytest.skip("glTF-Transform CLI not installed: run `npm ci` in tools/node")
    model = prepared(fuze)
    packed, plain = tmp_path / "packed.glb", tmp_path / "plain.glb"
    packed.write_bytes(write_glb(model, EncodeOptions(geometry="meshopt")).data)
    subprocess.run([str(cli), "copy", str(packed), str(plain)], check=True, capture_output=True, timeout=120)
    report = validate(plain)
    assert error_messages(report) == []
    assert "EXT_meshopt_compression" not in report["info"]["extensionsUsed"]
    assert report["info"]["totalTriangleCount"] == model.triangle_count
    assert_matches(
        model, decoded(plain.read_bytes(), tmp_path), model_step(model) * 0.5 + 1e-6, 0.5 / 65535 + 1e-7
    )


def model_step(model: Model) -> float:
    low, high = model.bounds()
    return float((high - low).max()) / (2**14 - 1)
