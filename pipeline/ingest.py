"""Ingest stage: read an upload (OBJ+MTL+textures, PLY, glTF/GLB; file, folder or zip) into a Model.

glTF is read by :mod:`pipeline.gltf_read`, binary triangle PLY by :mod:`pipeline.ply_read`, and
OBJ and every other PLY by trimesh (:mod:`pipeline.mesh_read`); what an OBJ references (MTL
files, texture maps) is read through :class:`Bundle` first, because trimesh logs and skips
unreadable references where we must refuse them with a message, and must never open a path
outside the upload.
"""

from __future__ import annotations

import posixpath
from typing import Any

import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline.bundle import Bundle
from pipeline.gltf_read import read_gltf
from pipeline.model import Model


def load_model(bundle: Bundle, texture_px: int | None = None) -> Model:
    """The bundle's main model as a Model, validated (finite positions, ≥ 1 face, indices in range).
    ``texture_px``: the longest texture side any later stage needs, where JPEG textures may be
    decoded smaller (:func:`pipeline.textures.decode_image`); None decodes them whole."""
    name = bundle.main
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in (".gltf", ".glb"):
        model = read_gltf(bundle, name, texture_px)
    else:
        # trimesh (and the scipy and networkx it pulls in) takes half a second to import:
        # only OBJ uploads and PLY layouts the numpy reader leaves to it pay for it.
        from pipeline.ply_read import check_ply_header, read_triangle_ply

        if suffix == ".obj":
            from pipeline.mesh_read import read_obj

            model = read_obj(bundle, name, texture_px)
        else:
            data = bundle.read(name)
            check_ply_header(data, name)
            model = read_triangle_ply(data, name) or _trimesh_ply(data, name)
    validate_model(model, name)
    model.steps.append({"stage": "ingest", "source": name, "format": suffix[1:]})
    return model


def _trimesh_ply(data: bytes, name: str) -> Model:
    from pipeline.mesh_read import read_ply

    return read_ply(data, name)


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
