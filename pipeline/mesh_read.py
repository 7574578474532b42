"""OBJ (+MTL) and PLY readers, through trimesh's parsers; what OBJ files reference is read and
checked through :class:`Bundle` first (see :mod:`pipeline.ingest`)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from trimesh.resolvers import Resolver

from hue_errors import HueARError, InvalidInput
from pipeline.bundle import Bundle
from pipeline.ingest import check_geometry
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.normals import unit_normals
from pipeline.ply_read import ply_model
from pipeline.textures import decode_image


class _BundleResolver(Resolver):
    """Serves trimesh only the files this module already read and checked."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def get(self, key: str) -> bytes:
        return self.files[key]

    def write(self, name: str, data: Any) -> None:
        raise InvalidInput("ingest: the bundle is read-only")

    def namespaced(self, namespace: str) -> _BundleResolver:
        return self

    def keys(self) -> list[str]:
        return list(self.files)


def read_obj(bundle: Bundle, name: str, texture_px: int | None = None) -> Model:
    """An OBJ and the MTL files and textures it references; ``texture_px`` as for
    :func:`pipeline.textures.decode_image`."""
    data = bundle.read(name)
    text = data.decode("utf-8", errors="replace")
    files: dict[str, bytes] = {}
    textures: dict[str, Texture] = {}
    for mtl_ref in re.findall(r"^[ \t]*mtllib[ \t]+(.+?)[ \t]*$", text, flags=re.MULTILINE):
        mtl_name = bundle.resolve(mtl_ref, referenced_by=name, percent_encoded=False)
        mtl_data = bundle.read(mtl_name, referenced_by=name)
        files[mtl_ref] = mtl_data
        current = ""
        for line in mtl_data.decode("utf-8", errors="replace").splitlines():
            key, value = [*line.strip().split(None, 1), "", ""][:2]
            value = value.strip()
            if key == "newmtl":
                current = value
            elif key == "map_Kd" and value:
                image_ref = value.split()[-1] if value.startswith("-") else value  # options precede the file
                image_name = bundle.resolve(image_ref, referenced_by=mtl_name, percent_encoded=False)
                image_data = bundle.read(image_name, referenced_by=mtl_name)
                textures[current] = decode_image(image_data, image_name, texture_px)
                files[image_ref] = image_data
    try:
        # load_obj, not trimesh.load: the Trimesh built by the latter re-derives vertex normals
        # across UV seams, where the parser's own arrays keep the file's normals per corner.
        parsed = trimesh.exchange.obj.load_obj(io.BytesIO(data), resolver=_BundleResolver(files))
    except (HueARError, MemoryError):
        raise
    except Exception as exc:  # trimesh raises many unrelated types on malformed text
        raise InvalidInput(f"ingest: {name}: not a readable OBJ file ({type(exc).__name__}: {exc})") from exc
    materials: list[Material] = []
    primitives: list[Primitive] = []
    for geometry in parsed.get("geometry", {}).values():
        # Quads (and the mixed quad/triangle lists load_obj returns for them) become triangles.
        faces = np.asarray(trimesh.geometry.triangulate_quads(geometry.get("faces", [])), dtype=np.int64)
        faces = faces.reshape(-1, 3)
        if len(faces) == 0:
            continue  # OBJ point or line elements carry no faces
        vertices = np.asarray(geometry["vertices"], dtype=np.float64)
        check_geometry(vertices, faces, name, len(primitives))
        visual = geometry.get("visual")
        material_name = getattr(getattr(visual, "material", None), "name", None) or "default"
        names = [m.name for m in materials]
        if material_name not in names:
            materials.append(Material(name=material_name, base_color_texture=textures.get(material_name)))
            names.append(material_name)
        uv = getattr(visual, "uv", None)
        primitives.append(
            Primitive(
                positions=vertices.astype(np.float32),
                indices=faces.astype(np.uint32),
                material=names.index(material_name),
                normals=unit_normals(geometry.get("vertex_normals"), vertices, faces),
                # OBJ's v axis points up from the bottom row; glTF's points down from the top (§3.7.2.1).
                uvs=None
                if uv is None or len(uv) == 0
                else (np.asarray(uv, dtype=np.float32) * [1, -1] + [0, 1]).astype(np.float32),
            )
        )
    return Model(primitives=primitives, materials=materials, name=Path(name).stem)


def read_ply(data: bytes, name: str) -> Model:
    """Any PLY trimesh reads (ASCII, polygons, other element layouts); call
    ``ply_read.check_ply_header`` first."""
    try:
        mesh = trimesh.load(io.BytesIO(data), file_type="ply", process=False, force="mesh")
    except (HueARError, MemoryError):
        raise
    except Exception as exc:  # trimesh raises many unrelated types on malformed binary data
        raise InvalidInput(f"ingest: {name}: not a readable PLY file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(mesh, trimesh.Trimesh):
        raise InvalidInput(f"ingest: {name}: mesh has 0 faces (expected ≥ 1; point clouds are not supported)")
    check_geometry(np.asarray(mesh.vertices), np.asarray(mesh.faces), name, 0)
    visual = mesh.visual
    rgba = None
    if isinstance(visual, trimesh.visual.ColorVisuals) and visual.kind == "vertex":
        rgba = np.asarray(visual.vertex_colors)
    return ply_model(
        np.asarray(mesh.vertices, dtype=np.float64),
        np.asarray(mesh.faces, dtype=np.int64),
        mesh.vertex_normals,
        rgba,
        name,
    )
