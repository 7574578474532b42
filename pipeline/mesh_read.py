"""OBJ (+MTL) and PLY readers, through trimesh's parsers; what OBJ files reference is read and
checked through :class:`Bundle` first (see :mod:`pipeline.ingest`)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from trimesh.resolvers import Resolver

from hue_errors import HueARError, InvalidInput
from hue_obj import library_names, map_file
from pipeline.bundle import Bundle
from pipeline.ingest import check_geometry
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.normals import unit_normals
from pipeline.ply_read import ply_model
from pipeline.textures import decode_image

# One linear pass over an OBJ's bytes: ``mtllib`` statements, and face corners that index 0, which
# OBJ does not have (indices count from 1, or back from -1). No lazy group before ``[ \t]*$``: that
# rescans the spaces after every character, quadratic on a long line.
_OBJ_STATEMENTS = re.compile(
    rb"^[ \t]*(?:mtllib[ \t]+([^\r\n]*)|f[ \t](?:[^\r\n]*?[ \t/])?-?0+(?=[ \t/\r\n]|$))", re.MULTILINE
)
_MTL_STATEMENTS = re.compile(rb"^[ \t]*(newmtl|map_Kd)[ \t]+([^\r\n]*)", re.MULTILINE)


class _MaterialNames(Resolver):
    """Serves trimesh, for whatever MTL file it asks, one that only names the materials this module
    read and checked: trimesh then groups faces by material and reads nothing itself."""

    def __init__(self, names: list[str]) -> None:
        self.library = "".join(f"newmtl {name}\n" for name in names).encode("utf-8")

    def get(self, key: str) -> bytes:
        return self.library

    def write(self, name: str, data: Any) -> None:
        raise InvalidInput("ingest: the bundle is read-only")

    def namespaced(self, namespace: str) -> _MaterialNames:
        return self

    def keys(self) -> list[str]:
        return []


def read_obj(bundle: Bundle, name: str, texture_px: int | None = None) -> Model:
    """An OBJ and the MTL files and textures it references; ``texture_px`` as for
    :func:`pipeline.textures.decode_image`."""
    data = bundle.read(name)
    libraries: dict[str, None] = {}  # in order, each once however it is spelled
    for match in _OBJ_STATEMENTS.finditer(data):
        if match.group(1) is None:
            line = data.count(b"\n", 0, match.start()) + 1
            raise InvalidInput(f"ingest: {name}: line {line}: face index 0 (expected 1 or more, or negative)")
        for reference in _library_references(bundle, _text(match.group(1)), name):
            libraries[bundle.resolve(reference, referenced_by=name, percent_encoded=False)] = None
    textures: dict[str, Texture | None] = {}
    for library in libraries:
        textures.update(_read_mtl(bundle, library, name, texture_px))
    try:
        # load_obj, not trimesh.load: the Trimesh built by the latter re-derives vertex normals
        # across UV seams, where the parser's own arrays keep the file's normals per corner.
        parsed = trimesh.exchange.obj.load_obj(io.BytesIO(data), resolver=_MaterialNames(list(textures)))
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


def _library_references(bundle: Bundle, statement: str, name: str) -> list[str]:
    """The MTL files one ``mtllib`` statement of ``name`` names (:func:`hue_obj.library_names`)."""

    def names_a_file(whole: str) -> bool:
        with contextlib.suppress(InvalidInput):
            return bundle.has(bundle.resolve(whole, referenced_by=name, percent_encoded=False))
        return False

    return library_names(statement, names_a_file)


def _read_mtl(bundle: Bundle, library: str, name: str, texture_px: int | None) -> dict[str, Texture | None]:
    """The materials MTL file ``library`` defines, each with its ``map_Kd`` texture if it has one."""
    textures: dict[str, Texture | None] = {}
    current = ""
    for match in _MTL_STATEMENTS.finditer(bundle.read(library, referenced_by=name)):
        value = _text(match.group(2)).strip()
        if match.group(1) == b"newmtl":
            current = value
            textures.setdefault(current, None)
        elif value:
            image = bundle.resolve(map_file(value), referenced_by=library, percent_encoded=False)
            textures[current] = decode_image(bundle.read(image, referenced_by=library), image, texture_px)
    return textures


def _text(statement: bytes) -> str:
    return statement.decode("utf-8", errors="replace")


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
