"""glTF 2.0 / GLB reader: JSON, binary chunk, accessors, node transforms, and compressed geometry.

Written here rather than taken from trimesh or pygltflib because it must decode
EXT_meshopt_compression and KHR_draco_mesh_compression input, dequantize KHR_mesh_quantization
data, and route every URI through :class:`Bundle` so nothing outside the upload is read.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import DracoPy
import meshoptimizer
import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline import meshopt_abi  # noqa: F401  (declares the filter decoders' C signatures)
from pipeline.bundle import Bundle
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
SUPPORTED_REQUIRED = {
    "KHR_mesh_quantization",
    "EXT_meshopt_compression",
    "KHR_draco_mesh_compression",
    "EXT_texture_webp",
    "KHR_materials_unlit",
    "KHR_texture_transform",
}
MAX_NODE_DEPTH = 64


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
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"ingest: {name}: not valid glTF JSON ({exc})") from exc
    if not isinstance(document, dict) or not str(document.get("asset", {}).get("version", "")).startswith(
        "2"
    ):
        raise InvalidInput(f"ingest: {name}: not a glTF 2.0 document (asset.version must be 2.x)")
    return document


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
        items = self.doc.get(kind, [])
        if not isinstance(index, int) or not 0 <= index < len(items) or not isinstance(items[index], dict):
            raise InvalidInput(f"ingest: {self.name}: {kind}[{index}] does not exist")
        return items[index]  # type: ignore[no-any-return]

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            spec = self.item("buffers", index)
            uri = spec.get("uri")
            if uri is None:
                if index != 0 or self.binary is None:
                    raise InvalidInput(f"ingest: {self.name}: buffers[{index}] has no data")
                data = self.binary
            else:
                data = self.uri(str(uri), f"buffers[{index}]")
            if len(data) < int(spec.get("byteLength", 0)):
                raise InvalidInput(
                    f"ingest: {self.name}: buffers[{index}] holds {len(data)} bytes, "
                    f"byteLength says {spec.get('byteLength')}"
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

    def view(self, index: int) -> bytes:
        if index not in self._views:
            spec = self.item("bufferViews", index)
            meshopt = spec.get("extensions", {}).get("EXT_meshopt_compression")
            if meshopt is not None:
                data = self._decode_meshopt(index, meshopt)
            else:
                buffer = self.buffer(int(spec.get("buffer", -1)))
                start, length = int(spec.get("byteOffset", 0)), int(spec.get("byteLength", 0))
                if start < 0 or length < 0 or start + length > len(buffer):
                    raise InvalidInput(
                        f"ingest: {self.name}: bufferViews[{index}] reads past the end of its buffer"
                    )
                data = buffer[start : start + length]
            self._views[index] = data
        return self._views[index]

    def _decode_meshopt(self, index: int, ext: dict[str, Any]) -> bytes:
        # EXT_meshopt_compression §"Specifying compressed views": the source bytes live in
        # ext.buffer; the decoded view has count × byteStride bytes.
        buffer = self.buffer(int(ext.get("buffer", -1)))
        start, length = int(ext.get("byteOffset", 0)), int(ext.get("byteLength", 0))
        count, stride, mode = int(ext.get("count", 0)), int(ext.get("byteStride", 0)), ext.get("mode")
        if start < 0 or start + length > len(buffer) or count < 0 or not 0 < stride <= 256:
            raise InvalidInput(
                f"ingest: {self.name}: bufferViews[{index}]: invalid EXT_meshopt_compression range"
            )
        source = buffer[start : start + length]
        try:
            if mode == "ATTRIBUTES":
                decoded = meshoptimizer.decode_vertex_buffer(count, stride, source).view(np.uint8).reshape(-1)
                decoded = self._unfilter(decoded, ext.get("filter", "NONE"), count, stride)
                return decoded.tobytes()
            if mode in ("TRIANGLES", "INDICES"):
                decode = (
                    meshoptimizer.decode_index_buffer
                    if mode == "TRIANGLES"
                    else meshoptimizer.decode_index_sequence
                )
                indices = decode(count, 4, source)
                return indices.astype(np.uint16 if stride == 2 else np.uint32).tobytes()  # type: ignore[no-any-return]
        except (ValueError, RuntimeError) as exc:
            raise InvalidInput(
                f"ingest: {self.name}: bufferViews[{index}]: corrupt meshopt data ({exc})"
            ) from exc
        raise InvalidInput(f"ingest: {self.name}: bufferViews[{index}]: unknown meshopt mode {mode!r}")

    def _unfilter(
        self, data: npt.NDArray[np.uint8], name: str, count: int, stride: int
    ) -> npt.NDArray[np.uint8]:
        filters = {
            "OCTAHEDRAL": meshoptimizer.decode_filter_oct,
            "QUATERNION": meshoptimizer.decode_filter_quat,
            "EXPONENTIAL": meshoptimizer.decode_filter_exp,
        }
        if name == "NONE":
            return data
        if name not in filters:
            raise InvalidInput(f"ingest: {self.name}: unknown meshopt filter {name!r}")
        return np.asarray(filters[name](data, count, stride), dtype=np.uint8).reshape(-1)

    def accessor(self, index: int) -> npt.NDArray[Any]:
        """Accessor data as float32 (normalized integers scaled, §3.11) or integers, shape (count, n)."""
        spec = self.item("accessors", index)
        if "sparse" in spec:
            raise InvalidInput(f"ingest: {self.name}: accessors[{index}]: sparse accessors are not supported")
        dtype = np.dtype(COMPONENT_TYPES.get(int(spec.get("componentType", 0)), np.void))
        width = COMPONENT_COUNTS.get(str(spec.get("type")), 0)
        count = int(spec.get("count", -1))
        if dtype == np.void or width == 0 or count < 1:
            raise InvalidInput(
                f"ingest: {self.name}: accessors[{index}]: invalid type, componentType or count"
            )
        if "bufferView" not in spec:
            raise InvalidInput(f"ingest: {self.name}: accessors[{index}] has no bufferView")
        view_index = int(spec["bufferView"])
        data = self.view(view_index)
        element = dtype.itemsize * width
        stride = int(self.item("bufferViews", view_index).get("byteStride", 0)) or element
        offset = int(spec.get("byteOffset", 0))
        if offset < 0 or stride < element or offset + stride * (count - 1) + element > len(data):
            raise InvalidInput(
                f"ingest: {self.name}: accessors[{index}] reads past the end of bufferView {view_index} "
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

    def texture(self, index: int) -> Texture:
        if index not in self._textures:
            spec = self.item("textures", index)
            source = spec.get("extensions", {}).get("EXT_texture_webp", {}).get("source", spec.get("source"))
            image = self.item("images", source)
            label = str(image.get("uri") or image.get("name") or f"images[{source}]")
            if "uri" in image:
                data = self.uri(str(image["uri"]), f"images[{source}]")
            elif "bufferView" in image:
                data = self.view(int(image["bufferView"]))
            else:
                raise InvalidInput(f"ingest: {self.name}: images[{source}] has neither uri nor bufferView")
            self._textures[index] = decode_image(data, label, self.texture_px)
        return self._textures[index]

    def material(self, index: int) -> Material:
        spec = self.item("materials", index)
        pbr = spec.get("pbrMetallicRoughness", {})
        color_ref = pbr.get("baseColorTexture")
        factor = tuple(float(v) for v in pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)))
        if len(factor) != 4:
            raise InvalidInput(f"ingest: {self.name}: materials[{index}]: baseColorFactor needs 4 numbers")
        return Material(
            name=str(spec.get("name", f"material_{index}")),
            base_color_factor=(factor[0], factor[1], factor[2], factor[3]),
            base_color_texture=self.texture(int(color_ref["index"])) if color_ref else None,
            metallic_factor=float(pbr.get("metallicFactor", 1.0)),
            roughness_factor=float(pbr.get("roughnessFactor", 1.0)),
            double_sided=bool(spec.get("doubleSided", False)),
        )

    def primitive(self, spec: dict[str, Any], matrix: npt.NDArray[np.float64], where: str) -> Primitive:
        if spec.get("mode", 4) != 4:
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
                key: self.accessor(int(names[key]))
                for key in ("POSITION", "NORMAL", "TEXCOORD_0", "COLOR_0")
                if key in names
            }
            count = len(attributes["POSITION"])
            indices = (
                self.accessor(int(spec["indices"])).reshape(-1) if "indices" in spec else np.arange(count)
            )
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
        linear, translation = matrix[:3, :3], matrix[:3, 3]
        triangles = indices.reshape(-1, 3).astype(np.uint32)
        if np.linalg.det(linear) < 0:  # a mirroring node flips the winding (glTF 2.0 §3.7.4)
            triangles = triangles[:, ::-1].copy()
        normals = attributes.get("NORMAL")
        if normals is not None:
            normals = normals @ np.linalg.inv(linear)
            normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        colors = attributes.get("COLOR_0")
        if colors is not None and colors.shape[1] == 3:
            colors = np.concatenate([colors, np.ones((len(colors), 1), np.float32)], axis=1)
        material = spec.get("material")
        # Overflowing values become inf here and are refused, with the file named, by validate_model.
        with np.errstate(over="ignore", invalid="ignore"):
            placed = (positions @ linear.T + translation).astype(np.float32)
        return Primitive(
            positions=placed,
            indices=triangles,
            material=int(material) if material is not None else None,
            normals=None if normals is None else normals.astype(np.float32),
            uvs=None
            if "TEXCOORD_0" not in attributes
            else self._transformed_uvs(attributes["TEXCOORD_0"], material),
            colors=None if colors is None else colors.astype(np.float32),
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
        data = self.view(int(ext.get("bufferView", -1)))
        try:
            mesh = DracoPy.decode(data)
        except Exception as exc:  # DracoPy raises its own bare exception types on corrupt input
            raise InvalidInput(f"ingest: {self.name}: {where}: corrupt Draco data ({exc})") from exc
        attributes: dict[str, npt.NDArray[Any]] = {}
        for key, unique_id in ext.get("attributes", {}).items():
            if key not in ("POSITION", "NORMAL", "TEXCOORD_0", "COLOR_0"):
                continue
            found = mesh.get_attribute_by_unique_id(int(unique_id))
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

    def model(self) -> Model:
        scenes = self.doc.get("scenes", [])
        roots: list[Any]
        if scenes:
            roots = self.item("scenes", self.doc.get("scene", 0)).get("nodes", [])
        else:
            children = {c for node in self.doc.get("nodes", []) for c in node.get("children", [])}
            roots = [i for i in range(len(self.doc.get("nodes", []))) if i not in children]
        primitives: list[Primitive] = []
        stack = [(int(i), np.eye(4), 0) for i in reversed(roots)]
        while stack:
            index, parent, depth = stack.pop()
            if depth > MAX_NODE_DEPTH:
                raise InvalidInput(
                    f"ingest: {self.name}: node hierarchy deeper than {MAX_NODE_DEPTH} (a cycle?)"
                )
            node = self.item("nodes", index)
            world = parent @ _local_matrix(node)
            if not np.isfinite(world).all():
                raise InvalidInput(f"ingest: {self.name}: nodes[{index}] has a non-finite transform")
            # A zero scale hides a node (glTF 2.0 §3.5.3): nothing of it is visible, so skip it.
            if "mesh" in node and np.linalg.det(world[:3, :3]) != 0:
                mesh = self.item("meshes", node["mesh"])
                for p, spec in enumerate(mesh.get("primitives", [])):
                    primitives.append(self.primitive(spec, world, f"meshes[{node['mesh']}].primitives[{p}]"))
            stack.extend((int(c), world, depth + 1) for c in reversed(node.get("children", [])))
        materials = [self.material(i) for i in range(len(self.doc.get("materials", [])))]
        return Model(primitives=primitives, materials=materials, name=self.name.rsplit(".", 1)[0])


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
