"""Ingest stage: read an upload (OBJ+MTL+textures, PLY, glTF/GLB; file, folder or zip) into a Model.

OBJ and PLY parsing is trimesh's; what it references (MTL files, texture maps) is read here
through :class:`Bundle` first, because trimesh logs and skips unreadable references where
we must refuse them with a message, and must never open a path outside the upload.
"""

from __future__ import annotations

import io
import posixpath
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import trimesh
from trimesh.resolvers import Resolver

from hue_errors import HueARError, InvalidInput
from pipeline.bundle import Bundle
from pipeline.gltf_read import read_gltf
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.textures import decode_image

PLY_SIZES = {
    "char": 1,
    "uchar": 1,
    "int8": 1,
    "uint8": 1,
    "short": 2,
    "ushort": 2,
    "int16": 2,
    "uint16": 2,
    "int": 4,
    "uint": 4,
    "int32": 4,
    "uint32": 4,
    "float": 4,
    "float32": 4,
    "double": 8,
    "float64": 8,
}


def load_model(bundle: Bundle) -> Model:
    """The bundle's main model as a Model, validated (finite positions, ≥ 1 face, indices in range)."""
    name = bundle.main
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in (".gltf", ".glb"):
        model = read_gltf(bundle, name)
    elif suffix == ".obj":
        model = _read_obj(bundle, name)
    else:
        model = _read_ply(bundle, name)
    validate_model(model, name)
    model.steps.append({"stage": "ingest", "source": name, "format": suffix[1:]})
    return model


def validate_model(model: Model, name: str) -> None:
    """Refuse models no later stage can work on, naming the file and the problem."""
    if not model.primitives or model.triangle_count == 0:
        raise InvalidInput(f"ingest: {name}: mesh has 0 faces (expected ≥ 1)")
    for i, primitive in enumerate(model.primitives):
        check_geometry(primitive.positions, primitive.indices, name, i)
        for label, values, width in (
            ("normals", primitive.normals, 3),
            ("uvs", primitive.uvs, 2),
            ("colors", primitive.colors, 4),
        ):
            if values is None:
                continue
            if values.shape != (primitive.vertex_count, width):
                raise InvalidInput(
                    f"ingest: {name}: primitive {i} has {label} of shape {values.shape} "
                    f"(expected ({primitive.vertex_count}, {width}))"
                )
            if not np.isfinite(values).all():
                raise InvalidInput(f"ingest: {name}: primitive {i} has NaN or infinite {label}")
        if primitive.material is not None and not 0 <= primitive.material < len(model.materials):
            raise InvalidInput(
                f"ingest: {name}: primitive {i} uses material {primitive.material}, which does not exist"
            )


def check_geometry(
    positions: npt.NDArray[np.floating[Any]], faces: npt.NDArray[np.integer[Any]], name: str, primitive: int
) -> None:
    """Finite 3D points and triangles indexing them: checked before anything (normals, areas,
    components) is derived from them, so a corrupt file fails here with its name."""
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise InvalidInput(f"ingest: {name}: primitive {primitive} has positions of shape {positions.shape}")
    if not np.isfinite(positions).all():
        bad = int((~np.isfinite(positions)).any(axis=1).sum())
        raise InvalidInput(
            f"ingest: {name}: primitive {primitive} has {bad} vertices with NaN or infinite coordinates"
        )
    if faces.size and (
        faces.ndim != 2 or faces.shape[1] != 3 or faces.min() < 0 or faces.max() >= len(positions)
    ):
        raise InvalidInput(
            f"ingest: {name}: primitive {primitive} has faces pointing past its {len(positions)} vertices"
        )


def unit_normals(
    normals: npt.ArrayLike | None, vertices: npt.NDArray[np.float64], faces: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """The file's vertex normals scaled to unit length (glTF 2.0 §3.7.2.1 requires it; OBJ and PLY
    writers often store them unnormalized); missing or zero ones become face-averaged normals."""
    derived = trimesh.Trimesh(vertices=vertices, faces=faces, process=False).vertex_normals
    result = np.array(derived if normals is None else normals, dtype=np.float64).reshape(-1, 3)
    length = np.linalg.norm(result, axis=1)
    missing = length < 1e-12
    result[missing] = derived[missing]
    unit: npt.NDArray[np.float64] = result / np.maximum(np.linalg.norm(result, axis=1), 1e-12)[:, None]
    return unit.astype(np.float32)


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


def _read_obj(bundle: Bundle, name: str) -> Model:
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
                textures[current] = decode_image(image_data, image_name)
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


def _check_ply_header(data: bytes, name: str) -> None:
    """Refuse PLY headers whose element counts cannot fit in the file (absurd counts, truncation)."""
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise InvalidInput(f"ingest: {name}: not a PLY file (missing 'ply' magic or end_header)")
    lines = data[:end].decode("ascii", errors="replace").splitlines()
    binary = any(line.startswith("format binary") for line in lines)
    elements: list[list[int]] = []  # [count, minimum bytes per row]
    for line in lines:
        words = line.split()
        if words[:1] == ["element"] and len(words) == 3:
            if not words[2].isdigit():
                raise InvalidInput(f"ingest: {name}: element {words[1]} has a non-numeric count")
            elements.append([int(words[2]), 0])
        elif words[:1] == ["property"] and len(words) >= 3 and elements:
            # A list property stores at least its count field.
            elements[-1][1] += PLY_SIZES.get(words[2] if words[1] == "list" else words[1], 1)
    # ASCII rows need at least a digit and a separator per row.
    minimum = sum(count * (row if binary else 2) for count, row in elements)
    body = len(data) - end
    if minimum > body:
        raise InvalidInput(
            f"ingest: {name}: header declares elements needing ≥ {minimum} bytes but only {body} follow "
            "(truncated file or absurd counts)"
        )


def _read_ply(bundle: Bundle, name: str) -> Model:
    data = bundle.read(name)
    _check_ply_header(data, name)
    try:
        mesh = trimesh.load(io.BytesIO(data), file_type="ply", process=False, force="mesh")
    except (HueARError, MemoryError):
        raise
    except Exception as exc:  # trimesh raises many unrelated types on malformed binary data
        raise InvalidInput(f"ingest: {name}: not a readable PLY file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(mesh, trimesh.Trimesh):
        raise InvalidInput(f"ingest: {name}: mesh has 0 faces (expected ≥ 1; point clouds are not supported)")
    check_geometry(np.asarray(mesh.vertices), np.asarray(mesh.faces), name, 0)
    colors = None
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.ColorVisuals) and visual.kind == "vertex":
        srgb = np.asarray(visual.vertex_colors, dtype=np.float32) / 255.0
        # PLY colours are sRGB-encoded bytes; glTF COLOR_0 is linear (glTF 2.0 §3.7.2.1).
        rgb = srgb[:, :3]
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        colors = np.concatenate([linear, srgb[:, 3:]], axis=1).astype(np.float32)
    return Model(
        primitives=[
            Primitive(
                positions=np.asarray(mesh.vertices, dtype=np.float32),
                indices=np.asarray(mesh.faces, dtype=np.uint32).reshape(-1, 3),
                material=0,
                normals=unit_normals(mesh.vertex_normals, np.asarray(mesh.vertices), np.asarray(mesh.faces)),
                colors=colors,
            )
        ],
        materials=[Material(name="vertex_colors")],
        name=Path(name).stem,
    )
