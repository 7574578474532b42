"""USDZ writer: read the package back with pxr and check the zip layout Quick Look requires."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from pxr import Usd, UsdGeom, UsdShade

from pipeline.model import Material, Model, Primitive, Texture
from pipeline.usdz import UsdzOptions, write_usdz


def _textured_quad(mode: str = "RGB") -> Model:
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32)
    normals = np.tile(np.array([0, 0, 1], dtype=np.float32), (4, 1))
    uvs = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)
    image = Image.fromarray(np.full((16, 16, 3), (200, 40, 10), np.uint8), "RGB").convert(mode)
    return Model(
        primitives=[Primitive(positions, indices, material=0, normals=normals, uvs=uvs)],
        materials=[Material("m", base_color_texture=Texture(image, "c.png"))],
    )


def test_textures_with_alpha_stay_png(tmp_path: Path) -> None:
    out = tmp_path / "quad.usdz"
    write_usdz(_textured_quad("RGBA"), out)
    with zipfile.ZipFile(out) as archive:
        assert [n.rsplit(".", 1)[-1] for n in archive.namelist()] == ["usdc", "png"]


def test_usdz_reads_back_with_aligned_entries(tmp_path: Path) -> None:
    out = tmp_path / "quad.usdz"
    result = write_usdz(_textured_quad(), out, options=UsdzOptions())
    assert (result.meshes, result.points, result.textures) == (1, 4, 1)

    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names[0].endswith(".usdc")
        assert any(n.endswith(".jpg") for n in names)  # opaque texture: JPEG
        raw = out.read_bytes()
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = (
                int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
                int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little"),
            )
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename

    stage = Usd.Stage.Open(str(out))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    meshes = [UsdGeom.Mesh(p) for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)]
    assert len(meshes) == 1
    mesh = meshes[0]
    assert len(mesh.GetPointsAttr().Get()) == 4
    assert len(mesh.GetNormalsAttr().Get()) == 4
    st = np.array(UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st").Get())
    np.testing.assert_allclose(st[0], [0.0, 0.0])  # glTF v=1 (bottom) → USD t=0
    material, _ = UsdShade.MaterialBindingAPI(mesh.GetPrim()).ComputeBoundMaterial()
    assert material
    textures = [p for p in stage.Traverse() if p.GetAttribute("info:id").Get() == "UsdUVTexture"]
    assert len(textures) == 1


def test_usdz_is_deterministic(tmp_path: Path) -> None:
    first = write_usdz(_textured_quad(), tmp_path / "a.usdz")
    second = write_usdz(_textured_quad(), tmp_path / "b.usdz")
    assert first.sha256 == second.sha256
