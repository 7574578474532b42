"""Structural checks of glTF 2.0 files before anything reads their data: every index and byte range.

A malformed file must fail here with a message naming the object, not crash a loader later
(the Khronos glTF-Validator's ACCESSOR_TOO_LONG, BUFFER_VIEW_TOO_LONG, BUFFER_NON_FIRST_GLB,
BUFFER_EMBEDDED_BYTELENGTH_MISMATCH and GLB_* link and container errors, listed in its ISSUES.md).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ar_service.bundles.limits import BundleLimits
from ar_service.bundles.media import check_embedded_image
from ar_service.bundles.problems import BundleInvalid, refuse
from ar_service.bundles.uris import resolve_name, resolve_uri
from hue_json import MalformedJson, parse_json
from hue_obj import library_names, map_file

# glTF 2.0 §4.4.3–4.4.4: "glTF" magic, version 2, then a JSON chunk and an optional BIN chunk.
GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
# §3.6.2.2 componentType → bytes; §3.6.2.2 type → components.
COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
# §3.6.2.4: matrix columns start on 4-byte boundaries, which pads these small-component cases.
PADDED_MATRIX_BYTES = {("MAT2", 1): 8, ("MAT3", 1): 12, ("MAT3", 2): 24}
SPARSE_INDEX_TYPES = {5121, 5123, 5125}

PART_BUFFER_BYTES = 1 << 20  # an embedded image is read through a buffer of this size
Locate = Callable[[str], Path | None]  # where a bundle file is, None when absent
Read = Callable[[int, int], bytes]  # a buffer's bytes from an offset, at most a length


@dataclass(frozen=True)
class BinChunk:
    """Where a GLB's BIN chunk lies in its file (glTF 2.0 §4.4.3.2)."""

    path: Path
    offset: int
    length: int


def _bytes_reader(data: bytes) -> Read:
    return lambda start, length: data[start : start + length]


def _file_reader(path: Path, base: int = 0, size: int | None = None) -> Read:
    """Reads of the ``size`` bytes (to the end when None) from ``base`` in the file ``path``."""

    def read(start: int, length: int) -> bytes:
        with path.open("rb") as stream:
            stream.seek(base + start)
            return stream.read(length if size is None else min(length, size - start))

    return read


class _Part(io.RawIOBase):
    """``length`` bytes of a buffer from ``start``, as a file read as its reader asks: an embedded
    image is read through without holding it (the file limit is 512 MiB; Pillow's decoders ask
    for 64 KiB at a time, a PNG check for one chunk)."""

    def __init__(self, read: Read, start: int, length: int) -> None:
        super().__init__()
        self._read, self._start, self._length, self._at = read, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._length}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        wanted = max(0, min(len(buffer), self._length - self._at))
        data = self._read(self._start + self._at, wanted) if wanted else b""
        buffer[: len(data)] = data
        self._at += len(data)
        return len(data)


@dataclass(frozen=True)
class GltfCheck:
    """A model's bundle files beyond itself (external buffers and images)."""

    buffers: tuple[str, ...]
    images: tuple[str, ...]


def _list(doc: dict[str, Any], key: str, owner: str) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise refuse(owner, f"'{key}' must be an array of objects")
    return value


def _int(
    obj: dict[str, Any], key: str, owner: str, where: str, *, default: int | None = None, minimum: int = 0
) -> int:
    value = obj.get(key, default)
    if value is None:
        raise refuse(owner, f"{where}: '{key}' is required")
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise refuse(owner, f"{where}: '{key}' must be an integer ≥ {minimum} (got {value!r})")
    return value


def _index(obj: dict[str, Any], key: str, items: list[Any], owner: str, where: str, kind: str) -> int:
    index = _int(obj, key, owner, where)
    if index >= len(items):
        raise refuse(owner, f"{where}: {kind} {index} does not exist (there are {len(items)})")
    return index


def _one_of(value: Any, allowed: Collection[int | str]) -> bool:
    """Whether the JSON value is one of ``allowed`` (an array or object is never; true is not 1)."""
    return isinstance(value, int | str) and not isinstance(value, bool) and value in allowed


def _element_bytes(accessor: dict[str, Any], owner: str, where: str) -> int:
    component: Any = accessor.get("componentType")
    kind: Any = accessor.get("type")
    if not _one_of(component, COMPONENT_BYTES):
        raise refuse(owner, f"{where}: unknown componentType {component!r}")
    if not _one_of(kind, TYPE_COMPONENTS):
        raise refuse(owner, f"{where}: unknown type {kind!r}")
    size = COMPONENT_BYTES[component]
    return PADDED_MATRIX_BYTES.get((kind, size), size * TYPE_COMPONENTS[kind])


def _check_range(
    owner: str, where: str, view: dict[str, Any], view_index: int, offset: int, needed: int
) -> None:
    length = view["byteLength"]
    if offset + needed > length:
        raise refuse(
            owner,
            f"{where} reads past the end of bufferView {view_index} "
            f"(needs bytes {offset}–{offset + needed}, the view has {length})",
        )


def check_document(
    owner: str, doc: Any, locate: Locate, limits: BundleLimits, glb_bin: BinChunk | None = None
) -> GltfCheck:
    """Check buffers, bufferViews, accessors and images (the dimensions of embedded ones too) of a
    parsed glTF document."""
    if not isinstance(doc, dict):
        raise refuse(owner, "glTF JSON must be an object")
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise refuse(owner, "asset.version must be '2.0' (glTF 2.0 §5.2)")
    buffers = _list(doc, "buffers", owner)
    views = _list(doc, "bufferViews", owner)
    accessors = _list(doc, "accessors", owner)
    images = _list(doc, "images", owner)
    external_buffers: list[str] = []
    readers: list[Read] = []
    for i, buffer in enumerate(buffers):
        where = f"buffer {i}"
        declared = _int(buffer, "byteLength", owner, where, minimum=1)
        uri = buffer.get("uri")
        if uri is None:
            if glb_bin is None or i != 0:
                raise refuse(owner, f"{where}: has no uri (only buffer 0 of a .glb may use the BIN chunk)")
            available = glb_bin.length
            readers.append(_file_reader(glb_bin.path, glb_bin.offset, glb_bin.length))
        elif not isinstance(uri, str):
            raise refuse(owner, f"{where}: uri must be a string")
        else:
            ref = resolve_uri(owner, where, uri, limits.max_data_uri_bytes)
            if ref.data is not None:
                available = len(ref.data)
                if available != declared:
                    raise refuse(
                        owner, f"{where}: byteLength {declared} but the data: URI holds {available} bytes"
                    )
                readers.append(_bytes_reader(ref.data))
            else:
                assert ref.path is not None
                located = locate(ref.path)
                if located is None:
                    raise refuse(owner, f"{where}: '{ref.path}' is not in the bundle")
                available = located.stat().st_size
                external_buffers.append(ref.path)
                readers.append(_file_reader(located))
        if declared > available:
            raise refuse(owner, f"{where}: byteLength {declared} but only {available} bytes are present")
    for i, view in enumerate(views):
        where = f"bufferView {i}"
        buffer_index = _index(view, "buffer", buffers, owner, where, "buffer")
        offset = _int(view, "byteOffset", owner, where, default=0)
        length = _int(view, "byteLength", owner, where, minimum=1)
        stride = view.get("byteStride")
        if stride is not None and (
            isinstance(stride, bool) or not isinstance(stride, int) or not 4 <= stride <= 252
        ):
            raise refuse(owner, f"{where}: byteStride must be an integer 4–252 (got {stride!r})")
        buffer_length = buffers[buffer_index]["byteLength"]
        if offset + length > buffer_length:
            raise refuse(
                owner,
                f"{where} reads past the end of buffer {buffer_index} "
                f"(bytes {offset}–{offset + length}, the buffer has {buffer_length})",
            )
    for i, accessor in enumerate(accessors):
        where = f"accessor {i}"
        element = _element_bytes(accessor, owner, where)
        count = _int(accessor, "count", owner, where, minimum=1)
        if "bufferView" in accessor:
            view_index = _index(accessor, "bufferView", views, owner, where, "bufferView")
            view = views[view_index]
            offset = _int(accessor, "byteOffset", owner, where, default=0)
            stride = view.get("byteStride") or element
            _check_range(owner, where, view, view_index, offset, stride * (count - 1) + element)
        sparse = accessor.get("sparse")
        if sparse is not None:
            _check_sparse(owner, where, sparse, views, element, count)
    external_images: list[str] = []
    for i, image in enumerate(images):
        where = f"image {i}"
        if "bufferView" in image:
            view = views[_index(image, "bufferView", views, owner, where, "bufferView")]
            part = _Part(readers[view["buffer"]], view.get("byteOffset", 0), view["byteLength"])
            check_embedded_image(owner, where, io.BufferedReader(part, PART_BUFFER_BYTES), limits)
            continue
        uri = image.get("uri")
        if not isinstance(uri, str):
            raise refuse(owner, f"{where}: needs a uri or a bufferView")
        ref = resolve_uri(owner, where, uri, limits.max_data_uri_bytes)
        if ref.path is None:
            assert ref.data is not None, "a reference is a path or data"
            check_embedded_image(owner, where, io.BytesIO(ref.data), limits)
        elif locate(ref.path) is None:
            raise refuse(owner, f"{where}: '{ref.path}' is not in the bundle")
        else:
            external_images.append(ref.path)
    return GltfCheck(tuple(dict.fromkeys(external_buffers)), tuple(dict.fromkeys(external_images)))


def _check_sparse(
    owner: str, where: str, sparse: Any, views: list[dict[str, Any]], element: int, total: int
) -> None:
    where = f"{where} sparse"
    if (
        not isinstance(sparse, dict)
        or not isinstance(sparse.get("indices"), dict)
        or not isinstance(sparse.get("values"), dict)
    ):
        raise refuse(owner, f"{where}: needs 'count', 'indices' and 'values' (glTF 2.0 §3.6.2.3)")
    count = _int(sparse, "count", owner, where, minimum=1)
    if count > total:
        raise refuse(owner, f"{where}: count {count} exceeds the accessor's count {total}")
    indices, values = sparse["indices"], sparse["values"]
    if not _one_of(indices.get("componentType"), SPARSE_INDEX_TYPES):
        raise refuse(owner, f"{where}: indices componentType must be 5121, 5123 or 5125")
    for part, size in ((indices, COMPONENT_BYTES[indices["componentType"]]), (values, element)):
        view_index = _index(part, "bufferView", views, owner, where, "bufferView")
        offset = _int(part, "byteOffset", owner, where, default=0)
        _check_range(owner, where, views[view_index], view_index, offset, size * count)


def _parse_json(owner: str, raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except MalformedJson as exc:
        raise refuse(owner, f"glTF JSON: {exc.message}") from None


def check_gltf(owner: str, path: Path, locate: Locate, limits: BundleLimits) -> GltfCheck:
    return check_document(owner, _parse_json(owner, path.read_bytes()), locate, limits)


def check_glb(owner: str, path: Path, locate: Locate, limits: BundleLimits) -> GltfCheck:
    """GLB container (glTF 2.0 §4.4): header, chunk bounds, then the document inside."""
    actual = path.stat().st_size
    with path.open("rb") as stream:
        header = stream.read(12)
        if len(header) < 12:
            raise refuse(owner, f"GLB is {actual} bytes, shorter than its 12-byte header")
        magic, version, length = struct.unpack("<III", header)
        if magic != GLB_MAGIC:
            raise refuse(owner, f"bad GLB magic 0x{magic:08x} (expected 0x{GLB_MAGIC:08x} 'glTF')")
        if version != 2:
            raise refuse(owner, f"GLB version {version} (only glTF 2.0 is supported)")
        if length != actual:
            raise refuse(owner, f"GLB header says {length} bytes but the file has {actual}")
        chunk_head = stream.read(8)
        if len(chunk_head) < 8:
            raise refuse(owner, "GLB has no JSON chunk")
        json_length, json_type = struct.unpack("<II", chunk_head)
        if json_type != CHUNK_JSON:
            raise refuse(
                owner, f"first GLB chunk has type 0x{json_type:08x} (expected JSON 0x{CHUNK_JSON:08x})"
            )
        if 20 + json_length > length:
            raise refuse(owner, f"GLB JSON chunk ({json_length} bytes) runs past the end of the file")
        raw = stream.read(json_length)
        chunk: BinChunk | None = None
        rest = length - 20 - json_length
        if rest:
            if rest < 8:
                raise refuse(owner, f"GLB has {rest} stray bytes after the JSON chunk")
            chunk_length, chunk_type = struct.unpack("<II", stream.read(8))
            if 28 + json_length + chunk_length > length:
                raise refuse(owner, f"GLB chunk 1 ({chunk_length} bytes) runs past the end of the file")
            # Only a BIN chunk may follow JSON directly; unknown chunk types are skipped (§4.4.3).
            chunk = BinChunk(path, 28 + json_length, chunk_length) if chunk_type == CHUNK_BIN else None
    return check_document(owner, _parse_json(owner, raw.rstrip(b" \x00")), locate, limits, chunk)


def check_obj(owner: str, path: Path, locate: Locate) -> tuple[str, ...]:
    """Wavefront OBJ: UTF-8 text with vertices; returns the .mtl files and textures it names
    (read as the pipeline reads them: :mod:`hue_obj`)."""
    text = _read_text(owner, path)
    if not any(line.startswith("v ") for line in text.splitlines()):
        raise refuse(owner, "OBJ has no vertex ('v x y z') lines")
    found: list[str] = []
    for statement in _statements(text, ("mtllib",)):
        for name in library_names(statement, lambda whole: _names_a_file(owner, whole, locate)):
            mtl = _bundle_file(owner, name, "mtllib", locate)
            found.append(mtl)
            mtl_text = _read_text(mtl, locate(mtl) or path)
            for argument in _statements(mtl_text, MTL_MAPS):
                found.append(_bundle_file(mtl, map_file(argument), "texture", locate))
    return tuple(dict.fromkeys(found))


MTL_MAPS = ("map_Ka", "map_Kd", "map_Ks", "map_Ns", "map_d", "map_Bump", "bump", "norm", "disp")


def _read_text(owner: str, path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(owner, f"not a text file (byte {exc.start} is not UTF-8)") from None


def _statements(text: str, keywords: tuple[str, ...]) -> list[str]:
    """The rest of the line after each OBJ/MTL statement of ``keywords``."""
    names = []
    for line in text.splitlines():
        words = line.split(None, 1)  # a statement's keyword ends at a space or a tab
        if len(words) == 2 and words[0] in keywords and words[1].strip():
            names.append(words[1].strip())
    return names


def _names_a_file(owner: str, name: str, locate: Locate) -> bool:
    try:
        _bundle_file(owner, name, "mtllib", locate)
    except BundleInvalid:  # not in the bundle, or a name no bundle file can have
        return False
    return True


def _bundle_file(owner: str, name: str, what: str, locate: Locate) -> str:
    path = resolve_name(owner, what, name)
    if locate(path) is None:
        raise refuse(owner, f"{what} '{name}' is not in the bundle")
    return path
