"""USDZ for iOS Quick Look: one UsdGeomMesh per primitive with a UsdPreviewSurface material.

Packaging is left to pxr's ``UsdUtils.CreateNewUsdzPackage``, which writes the stored
(uncompressed), 64-byte-aligned zip entries the USDZ spec requires (USD "usdz" spec, Layout).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt

from hue_errors import InvalidInput, StorageError
from pipeline.model import Model


@dataclass(frozen=True)
class UsdzOptions:
    """How textures are stored inside the package."""

    # "auto": JPEG for opaque textures (a fraction of PNG's bytes on photogrammetry atlases), PNG
    # where alpha is needed; or force "PNG" / "JPEG" (both accepted by Quick Look).
    texture_format: str = "auto"
    jpeg_quality: int = 90


@dataclass(frozen=True)
class UsdzResult:
    """What was written."""

    path: Path
    bytes: int
    meshes: int
    points: int
    textures: int
    sha256: str


def _author_stage(model: Model, folder: Path, options: UsdzOptions) -> tuple[Path, int]:
    """Write root.usdc plus texture files into ``folder``; returns (root layer path, texture count)."""
    root = folder / "model.usdc"
    stage = Usd.Stage.CreateNew(str(root))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)  # pipeline coordinates are glTF's (+Y up)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    top = UsdGeom.Xform.Define(stage, "/Model")
    stage.SetDefaultPrim(top.GetPrim())
    materials: list[UsdShade.Material] = []
    textures = 0
    for m, material in enumerate(model.materials):
        mat = UsdShade.Material.Define(stage, f"/Model/Materials/M{m}")
        shader = UsdShade.Shader.Define(stage, f"/Model/Materials/M{m}/Surface")
        shader.CreateIdAttr("UsdPreviewSurface")
        r, g, b, a = material.base_color_factor
        shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(float(material.metallic_factor))
        shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(float(material.roughness_factor))
        mat.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
        if material.base_color_texture is None:
            shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(r, g, b))
        else:
            image = material.base_color_texture.image
            ext = _texture_extension(image, options.texture_format.upper())
            name = f"textures/base_color_{m}.{ext}"
            (folder / "textures").mkdir(exist_ok=True)
            if ext == "png":
                image.convert("RGBA" if image.mode in ("RGBA", "LA") else "RGB").save(folder / name, "PNG")
            else:
                image.convert("RGB").save(folder / name, "JPEG", quality=options.jpeg_quality)
            textures += 1
            reader = UsdShade.Shader.Define(stage, f"/Model/Materials/M{m}/StReader")
            reader.CreateIdAttr("UsdPrimvarReader_float2")
            reader.CreateInput("varname", Sdf.ValueTypeNames.Token).Set("st")
            tex = UsdShade.Shader.Define(stage, f"/Model/Materials/M{m}/BaseColor")
            tex.CreateIdAttr("UsdUVTexture")
            tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(name)
            tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
            tex.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(r, g, b, a))
            tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
            tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("repeat")
            tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
                reader.ConnectableAPI(), "result"
            )
            rgb = tex.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
            shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb)
        materials.append(mat)
    for p, prim in enumerate(model.primitives):
        mesh = UsdGeom.Mesh.Define(stage, f"/Model/Mesh{p}")
        mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(prim.positions.astype(np.float32)))
        mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(prim.triangle_count, 3, np.int32)))
        # glTF front faces are counter-clockwise (glTF 2.0 §3.7.2.1), USD's default orientation too.
        mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(prim.indices.astype(np.int32).ravel()))
        mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
        lo, hi = prim.positions.min(axis=0), prim.positions.max(axis=0)
        mesh.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, lo)), Gf.Vec3f(*map(float, hi))]))
        if prim.normals is not None:
            mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(prim.normals.astype(np.float32)))
            mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
        if prim.uvs is not None:
            # glTF UV origin is top-left, USD st origin bottom-left: t = 1 - v.
            st = np.column_stack([prim.uvs[:, 0], 1.0 - prim.uvs[:, 1]]).astype(np.float32)
            primvar = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
                "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
            )
            primvar.Set(Vt.Vec2fArray.FromNumpy(st))
        if prim.material is not None:
            UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(materials[prim.material])
    stage.GetRootLayer().Save()
    return root, textures


def _texture_extension(image: Image.Image, wanted: str) -> str:
    if wanted == "AUTO":
        return "png" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "jpg"
    return "png" if wanted == "PNG" else "jpg"


def write_usdz(model: Model, path: Path, *, options: UsdzOptions = UsdzOptions()) -> UsdzResult:
    """Write ``model`` (glTF coordinates: metres, +Y up) as a Quick Look USDZ at ``path``."""
    if model.triangle_count == 0:
        raise InvalidInput(f"usdz: model {model.name!r} has 0 triangles (expected ≥ 1)")
    if options.texture_format.upper() not in ("AUTO", "PNG", "JPEG"):
        raise InvalidInput(f"usdz: texture_format {options.texture_format!r} (expected auto, PNG or JPEG)")
    with tempfile.TemporaryDirectory(prefix="usdz-") as tmp:
        root, textures = _author_stage(model, Path(tmp), options)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(root)), str(path)):
            raise StorageError(f"usdz: pxr could not package {path.name}")
    data = path.read_bytes()
    return UsdzResult(
        path=path,
        bytes=len(data),
        meshes=len(model.primitives),
        points=model.vertex_count,
        textures=textures,
        sha256=hashlib.sha256(data).hexdigest(),
    )
