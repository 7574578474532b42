"""glTF 2.0 / GLB reader: JSON, binary chunk, accessors, node transforms, and compressed geometry.

Written here rather than taken from trimesh or pygltflib because it must decode
EXT_meshopt_compression and KHR_draco_mesh_compression input, dequantize KHR_mesh_quantization
data, and route every URI through :class:`Bundle` so nothing outside the upload is read.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

import DracoPy
import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput, TooLarge
from hue_json import MalformedJson, parse_json
from pipeline.bundle import MAX_FILE_BYTES, Bundle
from pipeline.meshopt_read import check_layout, decode_view
from pipeline.model import Material, Model, Primitive, Texture
from pipeline.textures import decode_image

GLB_MAGIC = 0x46546C67  # "glTF", glTF 2.0 §4.4.3
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
COMPONENT_TYPES: dict[int, npt.DTypeLike] = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
COMPONENT_COUNTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
INDEX_COMPONENT_TYPES = (5121, 5123, 5125)  # mesh.primitive.indices: unsigned byte, short, int
SUPPORTED_REQUIRED = {
    "KHR_mesh_quantization",
    "EXT_meshopt_compression",
    "KHR_draco_mesh_compression",
    "EXT_texture_webp",
    "KHR_materials_unlit",
    "KHR_texture_transform",
}
MAX_NODE_DEPTH = 64
# Once every mesh instance is placed (glTF 2.0 §3.7.4), a model holds no more triangles than a plain
# upload of MAX_FILE_BYTES can: 18 bytes a triangle (12 of uint32 indices, and a float32 position
# shared with about one other triangle), as in a binary PLY; decompressed data counts the same.
MAX_TRIANGLES = MAX_FILE_BYTES // 18
# Each placed primitive costs every stage a fixed overhead (10 000 take 6 s to inspect).
MAX_PRIMITIVES = 10_000


def split_glb(data: bytes, name: str) -> tuple[dict[str, Any], bytes | None]:
    """The JSON object and BIN chunk of a GLB (glTF 2.0 §4.4), validated against the file length."""
    if len(data) < 20:
        raise InvalidInput(f"ingest: {name}: truncated GLB ({len(data)} bytes, expected ≥ 20)")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2:
        raise InvalidInput(f"ingest: {name}: not a glTF 2.0 binary file (bad magic or version)")
    if length != len(data):
        raise InvalidInput(f"ingest: {name}: header says {length} bytes but the file has {len(data)}")
    offset, document, binary = 12, None, None
    while offset + 8 <= length:
        chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
        start, offset = offset + 8, offset + 8 + chunk_length
        if offset > length:
            raise InvalidInput(f"ingest: {name}: chunk at byte {start - 8} runs past the end of the file")
        if chunk_type == CHUNK_JSON and document is None:
            document = _parse_json(data[start:offset], name)
        elif chunk_type == CHUNK_BIN and binary is None:
            binary = data[start:offset]
    if document is None:
        raise InvalidInput(f"ingest: {name}: GLB has no JSON chunk")
    return document, binary


def _parse_json(data: bytes, name: str) -> dict[str, Any]:
    try:
        document = parse_json(data)
    except MalformedJson as exc:
        raise InvalidInput(f"ingest: {name}: not valid glTF JSON ({exc.message})") from exc
    asset = document.get("asset") if isinstance(document, dict) else None
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(document, dict) or not isinstance(version, str) or version.partition(".")[0] != "2":
        raise InvalidInput(f"ingest: {name}: not a glTF 2.0 document (asset.version must be 2.x)")
    return document


def _integer(value: Any) -> int | None:
    """``value`` as an int where glTF wants an integer: JSON may write one as ``3``, ``3.0`` or
    ``3e0``, never with a fraction (glTF 2.0 "JSON Encoding", item 5), and a double is exact only up
    to 2^53 (RFC 8259 §6); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    exact = isinstance(value, float) and value.is_integer() and abs(value) <= 2**53
    return int(value) if exact else None


@dataclass
class _Geometry:
    """A mesh primitive as stored, in its mesh's frame: what each node instancing the mesh places."""

    positions: npt.NDArray[Any]
    triangles: npt.NDArray[np.uint32]
    normals: npt.NDArray[Any] | None
    uvs: npt.NDArray[np.float32] | None
    colors: npt.NDArray[Any] | None
    material: int | None


class _Reader:
    def __init__(
        self,
        document: dict[str, Any],
        binary: bytes | None,
        bundle: Bundle,
        name: str,
        texture_px: int | None,
    ) -> None:
        self.doc, self.binary, self.bundle, self.name = document, binary, bundle, name
        self.texture_px = texture_px
        self._buffers: dict[int, bytes] = {}
        self._views: dict[int, bytes] = {}
        self._textures: dict[int, Texture] = {}
        unsupported = set(document.get("extensionsRequired", [])) - SUPPORTED_REQUIRED
        if unsupported:
            raise InvalidInput(f"ingest: {name}: requires unsupported extensions {sorted(unsupported)}")

    def item(self, kind: str, index: Any) -> dict[str, Any]:
        """``kind[index]``: indices are integers that point to existing elements (glTF 2.0 §3.3)."""
        items = self.doc.get(kind, [])
        count = len(items) if isinstance(items, list) else 0
        number = _integer(index)
        if number is None or not 0 <= number < count or not isinstance(items[number], dict):
            raise InvalidInput(
                f"ingest: {self.name}: {kind}[{index!r:.40}] does not exist "
                f"(expected an integer index below {count})"
            )
        return items[number]  # type: ignore[no-any-return]

    def integer(
        self, spec: dict[str, Any], key: str, where: str, default: int | None, minimum: int = 0
    ) -> int:
        """``spec[key]``, an integer ≥ ``minimum``; ``default`` when absent (None: the key is required)."""
        value = spec.get(key, default)
        number = _integer(value)
        if number is None or number < minimum:
            raise InvalidInput(
                f"ingest: {self.name}: {where}.{key} is {value!r:.40} (expected an integer ≥ {minimum})"
            )
        return number

    def array(self, spec: dict[str, Any], key: str, where: str) -> list[Any]:
        """``spec[key]``, a JSON array (empty when absent)."""
        value = spec.get(key, [])
        if not isinstance(value, list):
            raise InvalidInput(f"ingest: {self.name}: {where}.{key} is {value!r:.40} (expected an array)")
        return value

    def buffer(self, index: Any) -> bytes:
        spec = self.item("buffers", index)
        if index not in self._buffers:
            declared = self.integer(spec, "byteLength", f"buffers[{index}]", 0)
            uri = spec.get("uri")
            if uri is None:
                if index != 0 or self.binary is None:
                    raise InvalidInput(f"ingest: {self.name}: buffers[{index}] has no data")
                data = self.binary
            else:
                data = self.uri(str(uri), f"buffers[{index}]")
            if len(data) < declared:
                raise InvalidInput(
                    f"ingest: {self.name}: buffers[{index}] holds {len(data)} bytes, "
                    f"byteLength says {declared}"
                )
            self._buffers[index] = data
        return self._buffers[index]

    def uri(self, uri: str, what: str) -> bytes:
        if uri.startswith("data:"):
            header, _, payload = uri.partition(",")
            if not header.endswith(";base64"):
                raise InvalidInput(f"ingest: {self.name}: {what}: only base64 data URIs are supported")
            try:
                return base64.b64decode(payload, validate=True)
            except ValueError as exc:
                raise InvalidInput(f"ingest: {self.name}: {what}: bad base64 data URI") from exc
        target = self.bundle.resolve(uri, referenced_by=self.name, percent_encoded=True)
        return self.bundle.read(target, referenced_by=self.name)

    def view(self, index: Any) -> bytes:
        spec = self.item("bufferViews", index)
        if index not in self._views:
            where = f"bufferViews[{index}]"
            meshopt = spec.get("extensions", {}).get("EXT_meshopt_compression")
            if meshopt is not None:
                data = self._decode_meshopt(where, spec, meshopt)
            else:
                buffer = self.buffer(spec.get("buffer"))
                start = self.integer(spec, "byteOffset", where, 0)
                length = self.integer(spec, "byteLength", where, 0)
                if start + length > len(buffer):
                    raise InvalidInput(f"ingest: {self.name}: {where} reads past the end of its buffer")
                data = buffer[start : start + length]
            self._views[index] = data
        return self._views[index]

    def _decode_meshopt(self, where: str, view: dict[str, Any], ext: dict[str, Any]) -> bytes:
        # EXT_meshopt_compression §"Specifying compressed views": the source bytes live in
        # ext.buffer; the decoded view has count × byteStride bytes.
        what = f"{where}.extensions.EXT_meshopt_compression"
        buffer = self.buffer(ext.get("buffer"))
        start, length = self.integer(ext, "byteOffset", what, 0), self.integer(ext, "byteLength", what, None)
        if start + length > len(buffer):
            raise InvalidInput(f"ingest: {self.name}: {what} reads past the end of its buffer")
        count = self.integer(ext, "count", what, None, minimum=1)
        stride = self.integer(ext, "byteStride", what, None, minimum=1)
        mode: Any = ext.get("mode")
        unfilter: Any = ext.get("filter", "NONE")
        check_layout(f"{self.name}: {what}", count, stride, mode, unfilter)
        declared = self.integer(view, "byteLength", where, None)
        if declared != count * stride:
            raise InvalidInput(
                f"ingest: {self.name}: {where}: byteLength {declared} is not count {count} × byteStride "
                f"{stride} of its EXT_meshopt_compression (expected equal)"
            )
        if view.get("byteStride", stride) != stride:
            raise InvalidInput(
                f"ingest: {self.name}: {where}: byteStride {view['byteStride']!r:.40} is not the "
                f"byteStride {stride} of its EXT_meshopt_compression (expected equal)"
            )
        try:
            return decode_view(buffer[start : start + length], count, stride, mode, unfilter)
        except (ValueError, RuntimeError) as exc:
            raise InvalidInput(f"ingest: {self.name}: {where}: corrupt meshopt data ({exc})") from exc

    def accessor(self, index: Any) -> npt.NDArray[Any]:
        """Accessor data as float32 (normalized integers scaled, §3.11) or integers, shape (count, n)."""
        spec = self.item("accessors", index)
        where = f"accessors[{index}]"
        if "sparse" in spec:
            raise InvalidInput(f"ingest: {self.name}: {where}: sparse accessors are not supported")
        dtype = np.dtype(COMPONENT_TYPES.get(_integer(spec.get("componentType")) or 0, np.void))
        width = COMPONENT_COUNTS.get(str(spec.get("type")), 0)
        count = self.integer(spec, "count", where, None, minimum=1)
        if dtype == np.void or width == 0:
            raise InvalidInput(f"ingest: {self.name}: {where}: invalid type or componentType")
        if "bufferView" not in spec:
            raise InvalidInput(f"ingest: {self.name}: {where} has no bufferView")
        view_index = spec["bufferView"]
        data = self.view(view_index)
        element = dtype.itemsize * width
        view = self.item("bufferViews", view_index)
        stride = self.integer(view, "byteStride", f"bufferViews[{view_index}]", 0) or element
        offset = self.integer(spec, "byteOffset", where, 0)
        if stride < element or offset + stride * (count - 1) + element > len(data):
            raise InvalidInput(
                f"ingest: {self.name}: {where} reads past the end of bufferView {view_index} "
                f"(count {count}, stride {stride}, {len(data)} bytes)"
            )
        raw = np.ndarray(
            (count, width),
            dtype=dtype.newbyteorder("<"),
            buffer=data,
            offset=offset,
            strides=(stride, dtype.itemsize),
        )
        if spec.get("normalized") and dtype.kind in "iu":
            return np.maximum(raw.astype(np.float32) / np.iinfo(dtype).max, -1.0)
        return raw.astype(np.float32 if dtype.kind == "f" or spec.get("normalized") else np.int64)

    def indices(self, index: Any, where: str) -> npt.NDArray[Any]:
        """A primitive's vertex indices: SCALAR unsigned integers (glTF 2.0 mesh.primitive.indices)."""
        spec = self.item("accessors", index)
        if spec.get("type") != "SCALAR" or spec.get("componentType") not in INDEX_COMPONENT_TYPES:
            raise InvalidInput(
                f"ingest: {self.name}: {where}: indices accessor {index} is {spec.get('type')!r:.20} of "
                f"componentType {spec.get('componentType')!r:.20} (expected SCALAR of 5121, 5123 or 5125)"
            )
        return self.accessor(index).reshape(-1)

    def texture(self, index: Any) -> Texture:
        spec = self.item("textures", index)
        if index not in self._textures:
            source = spec.get("extensions", {}).get("EXT_texture_webp", {}).get("source", spec.get("source"))
            image = self.item("images", source)
            label = str(image.get("uri") or image.get("name") or f"images[{source}]")
            if "uri" in image:
                data = self.uri(str(image["uri"]), f"images[{source}]")
            elif "bufferView" in image:
                data = self.view(image["bufferView"])
            else:
                raise InvalidInput(f"ingest: {self.name}: images[{source}] has neither uri nor bufferView")
            self._textures[index] = decode_image(data, label, self.texture_px)
        return self._textures[index]

    def material(self, index: int) -> Material:
        spec = self.item("materials", index)
        where = f"materials[{index}].pbrMetallicRoughness"
        pbr = spec.get("pbrMetallicRoughness", {})
        color_ref = pbr.get("baseColorTexture")
        red, green, blue, alpha = self.factors(pbr, "baseColorFactor", where, [1.0, 1.0, 1.0, 1.0])
        return Material(
            name=str(spec.get("name", f"material_{index}")),
            base_color_factor=(red, green, blue, alpha),
            base_color_texture=self.texture(color_ref.get("index")) if color_ref else None,
            metallic_factor=self.factors(pbr, "metallicFactor", where, 1.0)[0],
            roughness_factor=self.factors(pbr, "roughnessFactor", where, 1.0)[0],
            double_sided=bool(spec.get("doubleSided", False)),
        )

    def factors(
        self, spec: dict[str, Any], key: str, where: str, default: float | list[float]
    ) -> list[float]:
        """``spec[key]`` (``default`` when absent): a number, or as many as a list ``default`` holds,
        each from 0 to 1, the range of every factor of material.pbrMetallicRoughness (glTF 2.0)."""
        value = spec.get(key, default)
        size = len(default) if isinstance(default, list) else 1
        values = value if isinstance(default, list) and isinstance(value, list) else [value]
        if len(values) != size or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in values
        ):
            expected = f"{size} numbers" if isinstance(default, list) else "a number"
            raise InvalidInput(
                f"ingest: {self.name}: {where}.{key} is {value!r:.60} (expected {expected} from 0 to 1)"
            )
        return [float(v) for v in values]

    def geometry(self, spec: dict[str, Any], where: str) -> _Geometry:
        """A mesh primitive's triangles and attributes, validated, before any node transform."""
        if self.integer(spec, "mode", where, 4) != 4:
            raise InvalidInput(f"ingest: {self.name}: {where}: only triangle lists (mode 4) are supported")
        draco = spec.get("extensions", {}).get("KHR_draco_mesh_compression")
        attributes: dict[str, npt.NDArray[Any]]
        if draco is not None:
            attributes, indices = self._decode_draco(draco, spec.get("attributes", {}), where)
        else:
            names = spec.get("attributes", {})
            if "POSITION" not in names:
                raise InvalidInput(f"ingest: {self.name}: {where} has no POSITION attribute")
            attributes = {
                key: self.accessor(names[key])
                for key in ("POSITION", "NORMAL", "TEXCOORD_0", "COLOR_0")
                if key in names
            }
            count = len(attributes["POSITION"])
            indices = self.indices(spec["indices"], where) if "indices" in spec else np.arange(count)
        positions = attributes["POSITION"]
        if positions.shape[1] != 3 or len(indices) % 3:
            raise InvalidInput(
                f"ingest: {self.name}: {where}: POSITION must be VEC3 and indices a multiple of 3"
            )
        if len(indices) and (indices.min() < 0 or indices.max() >= len(positions)):
            raise InvalidInput(f"ingest: {self.name}: {where}: an index points past the last vertex")
        for key, values in attributes.items():
            if len(values) != len(positions):
                raise InvalidInput(f"ingest: {self.name}: {where}: {key} count differs from POSITION count")
        colors = attributes.get("COLOR_0")
        if colors is not None and colors.shape[1] == 3:
            colors = np.concatenate([colors, np.ones((len(colors), 1), np.float32)], axis=1)
        material = spec.get("material")
        if material is not None:
            self.item("materials", material)
        return _Geometry(
            positions=positions,
            triangles=indices.reshape(-1, 3).astype(np.uint32),
            normals=attributes.get("NORMAL"),
            uvs=None
            if "TEXCOORD_0" not in attributes
            else self._transformed_uvs(attributes["TEXCOORD_0"], material),
            colors=colors,
            material=_integer(material),
        )

    def _transformed_uvs(self, uvs: npt.NDArray[Any], material: Any) -> npt.NDArray[np.float32]:
        """UVs with the base colour texture's KHR_texture_transform baked in (offset · rotation ·
        scale, per the extension's README), as gltfpack writes for quantized texture coordinates."""
        if material is None:
            return uvs.astype(np.float32)
        ref = self.item("materials", material).get("pbrMetallicRoughness", {}).get("baseColorTexture", {})
        transform = ref.get("extensions", {}).get("KHR_texture_transform")
        if not transform:
            return uvs.astype(np.float32)
        sx, sy = (float(v) for v in transform.get("scale", (1, 1)))
        angle = float(transform.get("rotation", 0.0))
        cos, sin = np.cos(angle), np.sin(angle)
        linear = np.array([[cos, sin], [-sin, cos]]) @ np.diag([sx, sy])
        offset = np.asarray(transform.get("offset", (0, 0)), dtype=np.float64)
        transformed: npt.NDArray[np.float64] = uvs.astype(np.float64) @ linear.T + offset
        return transformed.astype(np.float32)

    def _decode_draco(
        self, ext: dict[str, Any], accessors: dict[str, Any], where: str
    ) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
        data = self.view(ext.get("bufferView"))
        try:
            mesh = DracoPy.decode(data)
        except Exception as exc:  # DracoPy raises its own bare exception types on corrupt input
            raise InvalidInput(f"ingest: {self.name}: {where}: corrupt Draco data ({exc})") from exc
        attributes: dict[str, npt.NDArray[Any]] = {}
        unique_ids = ext.get("attributes", {})
        for key in ("POSITION", "NORMAL", "TEXCOORD_0", "COLOR_0"):
            if key not in unique_ids:
                continue
            unique_id = self.integer(unique_ids, key, f"{where}: KHR_draco_mesh_compression.attributes", None)
            found = mesh.get_attribute_by_unique_id(unique_id)
            if found is None:
                raise InvalidInput(f"ingest: {self.name}: {where}: Draco attribute {key} missing")
            values = np.asarray(found["data"])
            accessor = self.item("accessors", accessors.get(key))
            if accessor.get("normalized") and values.dtype.kind in "iu":
                # Draco returns the stored integers; the accessor says they are normalized (§3.11).
                values = values.astype(np.float32) / np.iinfo(values.dtype).max
            attributes[key] = values.astype(np.float32).reshape(len(mesh.points), -1)
        if "POSITION" not in attributes:
            attributes["POSITION"] = np.asarray(mesh.points, dtype=np.float32).reshape(-1, 3)
        return attributes, np.asarray(mesh.faces, dtype=np.int64).reshape(-1)

    def mesh(self, index: Any) -> list[_Geometry]:
        where = f"meshes[{index}]"
        primitives = self.array(self.item("meshes", index), "primitives", where)
        return [self.geometry(spec, f"{where}.primitives[{p}]") for p, spec in enumerate(primitives)]

    def roots(self) -> list[Any]:
        """The root nodes of the scene to show (glTF 2.0 §3.5.1), or of every tree when there is none."""
        if self.doc.get("scenes"):
            return self.array(self.item("scenes", self.doc.get("scene", 0)), "nodes", "scene")
        children = {c for node in self.doc.get("nodes", []) for c in node.get("children", [])}
        return [i for i in range(len(self.doc.get("nodes", []))) if i not in children]

    def instances(self) -> list[tuple[Any, npt.NDArray[np.float64]]]:
        """(mesh, world matrix) of each visible node with a mesh. The hierarchy must be disjoint
        strict trees (glTF 2.0 §3.5.2), so this walks each node once: sharing a child between two
        parents would double the instances below it at each level. Placed primitives are counted
        before any geometry is decoded."""
        stack = [(root, np.eye(4), 0) for root in reversed(self.roots())]
        seen: set[Any] = set()
        found: list[tuple[Any, npt.NDArray[np.float64]]] = []
        placed = 0
        while stack:
            index, parent, depth = stack.pop()
            if depth > MAX_NODE_DEPTH:
                raise InvalidInput(f"ingest: {self.name}: node hierarchy deeper than {MAX_NODE_DEPTH}")
            node = self.item("nodes", index)
            if index in seen:
                raise InvalidInput(
                    f"ingest: {self.name}: nodes[{index}] is reached twice (a node has at most one parent "
                    "and no cycle, glTF 2.0 §3.5.2): give each instance of a mesh its own node"
                )
            seen.add(index)
            world = parent @ _local_matrix(node)
            if not np.isfinite(world).all():
                raise InvalidInput(f"ingest: {self.name}: nodes[{index}] has a non-finite transform")
            # A zero scale hides a node (glTF 2.0 §3.5.3): nothing of it is visible, so skip it.
            if "mesh" in node and np.linalg.det(world[:3, :3]) != 0:
                placed += len(
                    self.array(self.item("meshes", node["mesh"]), "primitives", f"meshes[{node['mesh']}]")
                )
                if placed > MAX_PRIMITIVES:
                    raise TooLarge(
                        f"ingest: {self.name}: the scene places more than {MAX_PRIMITIVES:,} mesh primitives "
                        "(expected fewer): merge meshes, or instance them on fewer nodes"
                    )
                found.append((node["mesh"], world))
            stack.extend(
                (c, world, depth + 1) for c in reversed(self.array(node, "children", f"nodes[{index}]"))
            )
        return found

    def model(self) -> Model:
        instances = self.instances()
        meshes = {mesh: self.mesh(mesh) for mesh in dict.fromkeys(mesh for mesh, _ in instances)}
        triangles = sum(len(g.triangles) for mesh, _ in instances for g in meshes[mesh])
        if triangles > MAX_TRIANGLES:
            raise TooLarge(
                f"ingest: {self.name}: the scene places {triangles:,} triangles "
                f"(expected ≤ {MAX_TRIANGLES:,}): simplify the meshes, or instance them on fewer nodes"
            )
        placements = [(g, world) for mesh, world in instances for g in meshes[mesh]]
        last = {id(g): i for i, (g, _) in enumerate(placements)}  # takes the decoded arrays themselves
        primitives = [_place(g, world, own=last[id(g)] == i) for i, (g, world) in enumerate(placements)]
        materials = [self.material(i) for i in range(len(self.doc.get("materials", [])))]
        return Model(primitives=primitives, materials=materials, name=self.name.rsplit(".", 1)[0])


def _place(geometry: _Geometry, matrix: npt.NDArray[np.float64], *, own: bool) -> Primitive:
    """One instance of a mesh primitive, in the frame of the node ``matrix`` places it with. Its
    arrays are its own, so a stage that edits one instance leaves the others alone: copies, unless
    ``own`` (the mesh's last placement, so a mesh placed once is never copied)."""
    linear, translation = matrix[:3, :3], matrix[:3, 3]
    mirrored = np.linalg.det(linear) < 0  # a mirroring node flips the winding (glTF 2.0 §3.7.4)
    triangles = geometry.triangles[:, ::-1] if mirrored else geometry.triangles
    normals = geometry.normals
    if normals is not None:
        normals = normals @ np.linalg.inv(linear)
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    # Overflowing values become inf here and are refused, with the file named, by validate_model.
    with np.errstate(over="ignore", invalid="ignore"):
        placed = (geometry.positions @ linear.T + translation).astype(np.float32)
    return Primitive(
        positions=placed,
        indices=np.ascontiguousarray(triangles) if own else triangles.copy(),
        material=geometry.material,
        normals=None if normals is None else normals.astype(np.float32),
        uvs=geometry.uvs if own or geometry.uvs is None else geometry.uvs.copy(),
        colors=None if geometry.colors is None else geometry.colors.astype(np.float32, copy=not own),
    )


def _local_matrix(node: dict[str, Any]) -> npt.NDArray[np.float64]:
    """A node's local transform: ``matrix`` (column-major) or T·R·S (glTF 2.0 §3.5.3)."""
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=np.float64).reshape(4, 4).T
    x, y, z, w = (float(v) for v in node.get("rotation", (0, 0, 0, 1)))
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(node.get("scale", (1, 1, 1)), dtype=np.float64)
    matrix[:3, 3] = np.asarray(node.get("translation", (0, 0, 0)), dtype=np.float64)
    return matrix


def read_gltf(bundle: Bundle, name: str, texture_px: int | None = None) -> Model:
    """Read ``name`` (.gltf or .glb) from the bundle into a Model in the file's own frame;
    ``texture_px`` as for :func:`pipeline.textures.decode_image`."""
    data = bundle.read(name)
    if data[:4] == b"glTF":
        document, binary = split_glb(data, name)
    else:
        document, binary = _parse_json(data, name), None
    try:
        return _Reader(document, binary, bundle, name, texture_px).model()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # Malformed JSON structure (wrong types, missing keys) anywhere in the document.
        raise InvalidInput(f"ingest: {name}: malformed glTF ({type(exc).__name__}: {exc})") from exc
