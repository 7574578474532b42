"""Benchmark inputs built from the real mask scan: a 6.4M-triangle subdivision, and a seam-heavy
re-unwrap (thousands of small UV islands, as RealityCapture and Metashape atlases have)."""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xatlas
from PIL import Image, JpegImagePlugin
from scipy import ndimage

from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from pipeline.model import Model, Primitive
from pipeline.raster import rasterise_triangles
from pipeline.topology import equal_row_ids

F64 = npt.NDArray[np.float64]


def load_scan(path: Path) -> Model:
    with Bundle(path) as bundle:
        return load_model(bundle)


def _textured_primitive(source: Path, why: str) -> tuple[Primitive, Path]:
    """The one textured primitive of ``source`` (a glTF folder) and its image file."""
    model = load_scan(source)
    if len(model.primitives) != 1 or model.primitives[0].uvs is None:
        raise SystemExit(f"{source}: expected one textured primitive to {why}")
    gltf = sorted(source.glob("*.gltf"))[0]
    image = gltf.parent / json.loads(gltf.read_text(encoding="utf-8"))["images"][0]["uri"]
    return model.primitives[0], image


# ---- the 6M-triangle ladder input --------------------------------------------------------------


def _edge_keys(pairs: npt.NDArray[np.int64], count: int) -> npt.NDArray[np.int64]:
    """One int64 per undirected edge of ``pairs`` (..., 2), equal for (a, b) and (b, a)."""
    low, high = pairs.min(axis=-1), pairs.max(axis=-1)
    keyed: npt.NDArray[np.int64] = low * count + high
    return keyed


def subdivide(primitive: Primitive) -> Primitive:
    """Each triangle split in four; UVs and normals interpolated at edge midpoints, and positions
    moved by Loop's edge rule (3/8 of each end, 1/8 of each opposite corner) so the finer surface
    bends like the scan instead of staying in its flat facets. Old vertices stay where they are.

    Edges are matched by position for the position rule, so the copies of a vertex on a UV seam
    move together and the surface stays closed; by index for the attributes, so seams stay seams."""
    faces = primitive.indices.astype(np.int64)
    n = primitive.vertex_count
    corners = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 3, 2)  # per face: edges 01, 12, 20
    opposite = faces[:, [2, 0, 1]].reshape(-1)
    unique, first, inverse = np.unique(_edge_keys(corners, n), return_index=True, return_inverse=True)
    ends = corners.reshape(-1, 2)[first]
    welded = equal_row_ids(primitive.positions).astype(np.int64)
    _, welded_edge, faces_per_edge = np.unique(
        _edge_keys(welded[corners], n), return_inverse=True, return_counts=True
    )
    welded_edge = welded_edge.reshape(-1)
    positions = primitive.positions.astype(np.float64)
    far = np.stack(
        [np.bincount(welded_edge, positions[opposite, k], len(faces_per_edge)) for k in range(3)], axis=1
    )
    middle = (positions[ends[:, 0]] + positions[ends[:, 1]]) / 2
    edge_of = welded_edge[first]
    inner = faces_per_edge[edge_of] == 2  # border edges keep their midpoint
    middle[inner] = 0.75 * middle[inner] + 0.125 * far[edge_of[inner]]

    def midpoints(values: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32] | None:
        if values is None:
            return None
        mean = (values[ends[:, 0]].astype(np.float64) + values[ends[:, 1]]) / 2
        return np.concatenate([values, mean.astype(np.float32)])

    normals = midpoints(primitive.normals)
    if normals is not None:
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    m = n + inverse.reshape(-1, 3)  # the new vertex on edges 01, 12, 20 of each face
    v0, v1, v2 = faces.T
    children = np.stack(
        [
            np.stack([v0, m[:, 0], m[:, 2]], axis=1),
            np.stack([v1, m[:, 1], m[:, 0]], axis=1),
            np.stack([v2, m[:, 2], m[:, 1]], axis=1),
            m,
        ],
        axis=1,
    )
    del unique
    return Primitive(
        positions=np.concatenate([primitive.positions, middle.astype(np.float32)]),
        indices=children.reshape(-1, 3).astype(np.uint32),
        material=primitive.material,
        normals=normals,
        uvs=midpoints(primitive.uvs),
        colors=midpoints(primitive.colors),
    )


def write_plain_glb(primitive: Primitive, path: Path, image: bytes | None = None, mime: str = "") -> None:
    """An uncompressed, unquantized GLB (float32 attributes, uint32 indices, the image as is):
    what a photogrammetry tool exports, so the pipeline's reader does the same work as on a scan."""
    binary = bytearray()
    views: list[dict[str, Any]] = []
    accessors: list[dict[str, Any]] = []

    def add(data: bytes) -> int:
        binary.extend(b"\0" * (-len(binary) % 4))
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)})
        binary.extend(data)
        return len(views) - 1

    attributes = {}
    for name, values, kind in (
        ("POSITION", primitive.positions, "VEC3"),
        ("NORMAL", primitive.normals, "VEC3"),
        ("TEXCOORD_0", primitive.uvs, "VEC2"),
        ("COLOR_0", primitive.colors, "VEC4"),
    ):
        if values is None:
            continue
        array = np.ascontiguousarray(values, dtype=np.float32)
        accessor = {
            "bufferView": add(array.tobytes()),
            "componentType": 5126,
            "count": len(array),
            "type": kind,
        }
        if name == "POSITION":
            accessor.update(min=array.min(axis=0).tolist(), max=array.max(axis=0).tolist())
        accessors.append(accessor)
        attributes[name] = len(accessors) - 1
    flat = np.ascontiguousarray(primitive.indices.reshape(-1), dtype=np.uint32)
    accessors.append(
        {"bufferView": add(flat.tobytes()), "componentType": 5125, "count": len(flat), "type": "SCALAR"}
    )
    material: dict[str, Any] = {"pbrMetallicRoughness": {"metallicFactor": 0.0}}
    document: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "pipeline_bench"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [
            {"primitives": [{"attributes": attributes, "indices": len(accessors) - 1, "material": 0}]}
        ],
        "materials": [material],
        "accessors": accessors,
        "bufferViews": views,
    }
    if image is not None:
        material["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}
        document.update(textures=[{"source": 0}], images=[{"bufferView": add(image), "mimeType": mime}])
    binary.extend(b"\0" * (-len(binary) % 4))
    document["buffers"] = [{"byteLength": len(binary)}]
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(binary), 0x004E4942)
    with path.open("wb") as out:
        out.write(struct.pack("<III", 0x46546C67, 2, 12 + len(chunks) + len(binary)))
        out.write(chunks)
        out.write(binary)


def build_large_input(source: Path, work: Path, rounds: int) -> Path:
    """``source`` (a one-primitive textured glTF folder) subdivided ``rounds`` times (×4 triangles
    each) into ``work``, once: later runs reuse the file."""
    path = work / f"{source.name}-x{4**rounds}.glb"
    if path.exists():
        return path
    primitive, image = _textured_primitive(source, "subdivide")
    for _ in range(rounds):
        primitive = subdivide(primitive)
    partial = path.with_suffix(".part")
    write_plain_glb(primitive, partial, image.read_bytes(), "image/jpeg")
    partial.rename(path)
    return path


# ---- the seam-heavy input ----------------------------------------------------------------------


@dataclass(frozen=True)
class SeamHeavyOptions:
    """``charts``: about how many UV charts xatlas cuts the surface into (it caps each chart's
    area at the surface area / charts); ``atlas_px`` the baked atlas's side; ``padding`` texels
    between charts; ``gutter`` texels of chart colour dilated into the gap (mip bleeding guard)."""

    charts: int = 6000
    atlas_px: int = 4096
    padding: int = 2
    gutter: int = 2


def unwrap_into_charts(primitive: Primitive, options: SeamHeavyOptions) -> tuple[Primitive, Primitive]:
    """``primitive`` re-unwrapped by xatlas into about ``options.charts`` charts: the new primitive
    (UVs in [0, 1], glTF's top-left origin) and the old one's vertices in the new vertex order.
    xatlas keeps the face order, so face i of both is the same triangle."""
    corners = primitive.positions.astype(np.float64)[primitive.indices]
    area = (
        float(
            np.linalg.norm(
                np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
            ).sum()
        )
        / 2
    )
    atlas = xatlas.Atlas()
    atlas.add_mesh(primitive.positions, primitive.indices, primitive.normals)
    chart = xatlas.ChartOptions()
    chart.max_chart_area = area / options.charts
    pack = xatlas.PackOptions()
    pack.resolution = options.atlas_px
    pack.padding = options.padding
    pack.bilinear = True
    atlas.generate(chart_options=chart, pack_options=pack)  # single-threaded and deterministic
    vmapping, faces, uvs = atlas[0]
    if len(faces) != primitive.triangle_count:
        raise SystemExit(f"xatlas returned {len(faces)} faces for {primitive.triangle_count}")

    def follow(values: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32] | None:
        return None if values is None else values[vmapping]

    unwrapped = Primitive(
        positions=primitive.positions[vmapping],
        indices=faces.astype(np.uint32),
        material=primitive.material,
        normals=follow(primitive.normals),
        uvs=uvs.astype(np.float32),
        colors=follow(primitive.colors),
    )
    assert primitive.uvs is not None
    old = Primitive(positions=unwrapped.positions, indices=unwrapped.indices, uvs=primitive.uvs[vmapping])
    if not np.array_equal(unwrapped.positions[unwrapped.indices], primitive.positions[primitive.indices]):
        raise SystemExit("xatlas reordered the faces: cannot transfer the texture face by face")
    return unwrapped, old


def _bilinear(texels: npt.NDArray[np.float32], uv: F64) -> npt.NDArray[np.float32]:
    """``texels`` (H, W, 3) sampled at glTF UVs (texel centres at (i + 0.5) / size), clamped."""
    h, w = texels.shape[:2]
    x = np.clip(uv[:, 0] * w - 0.5, 0, w - 1)
    y = np.clip(uv[:, 1] * h - 0.5, 0, h - 1)
    x0, y0 = np.minimum(x.astype(np.int64), w - 2), np.minimum(y.astype(np.int64), h - 2)
    fx, fy = (x - x0)[:, None].astype(np.float32), (y - y0)[:, None].astype(np.float32)
    top = texels[y0, x0] * (1 - fx) + texels[y0, x0 + 1] * fx
    bottom = texels[y0 + 1, x0] * (1 - fx) + texels[y0 + 1, x0 + 1] * fx
    sampled: npt.NDArray[np.float32] = top * (1 - fy) + bottom * fy
    return sampled


def transfer_texture(
    old: Primitive, new: Primitive, texels: npt.NDArray[np.float32], options: SeamHeavyOptions
) -> npt.NDArray[np.uint8]:
    """The atlas of ``new`` filled from ``texels`` through ``old``'s UVs of the same face: every
    texel centre inside a new chart triangle takes the old texture's bilinear sample at the same
    barycentric point. The surface is unchanged, so no nearest-surface search is needed."""
    assert old.uvs is not None and new.uvs is not None
    n = options.atlas_px
    image = np.zeros((n * n, 3), dtype=np.float32)
    filled = np.zeros(n * n, dtype=bool)
    faces = new.indices.astype(np.int64)
    for start in range(0, len(faces), 20_000):  # bounded memory: ~20k triangles of texels at a time
        chunk = faces[start : start + 20_000]
        texel, owner, bary = rasterise_triangles(new.uvs[chunk].astype(np.float64) * n, n)
        source_uv = np.einsum("pk,pkj->pj", bary, old.uvs[chunk[owner]].astype(np.float64))
        image[texel] = _bilinear(texels, source_uv)
        filled[texel] = True
    grid, charts = image.reshape(n, n, 3), filled.reshape(n, n)
    dist, (iy, ix) = ndimage.distance_transform_edt(~charts, return_indices=True)
    near = dist <= options.gutter
    grid[near] = grid[iy[near], ix[near]]
    return np.asarray(np.round(grid * 255).clip(0, 255), dtype=np.uint8)


def build_seam_heavy_input(source: Path, work: Path, options: SeamHeavyOptions = SeamHeavyOptions()) -> Path:
    """``source`` (a one-primitive textured glTF folder) re-unwrapped into thousands of small
    charts and its texture transferred into a fresh ``atlas_px`` atlas, written as a plain GLB
    with a JPEG of the source's own quantisation tables and subsampling; built once, then reused."""
    path = work / f"{source.name}-charts{options.charts}-{options.atlas_px}px.glb"
    if path.exists():
        return path
    primitive, image_path = _textured_primitive(source, "re-unwrap")
    unwrapped, old = unwrap_into_charts(primitive, options)
    with Image.open(image_path) as scan_image:
        if not isinstance(scan_image, JpegImagePlugin.JpegImageFile):
            raise SystemExit(f"{image_path}: expected the scan's JPEG atlas")
        texels = (np.asarray(scan_image.convert("RGB")) / 255).astype(np.float32)
        quality = {
            "qtables": scan_image.quantization,
            "subsampling": JpegImagePlugin.get_sampling(scan_image),
        }
    atlas = Image.fromarray(transfer_texture(old, unwrapped, texels, options), "RGB")
    jpeg = io.BytesIO()
    atlas.save(jpeg, format="JPEG", **quality)
    work.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    write_plain_glb(unwrapped, partial, jpeg.getvalue(), "image/jpeg")
    partial.rename(path)
    return path
