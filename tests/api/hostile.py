"""Malformed and hostile bundles, each with the file and the words its refusal must name."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import trimesh

from tests.api.bundles import bundle_files, make_zip, marker_png, scene_doc


@dataclass(frozen=True)
class Hostile:
    id: str
    body: Callable[[], bytes]
    file: str  # the file the refusal must name ("" = the bundle itself)
    problem: str  # words the refusal must contain
    status: int = 400
    content_type: str = "application/zip"


def _zip_with(**changes: bytes | None) -> bytes:
    files: dict[str, bytes] = bundle_files()
    for name, data in changes.items():
        name = name.replace("__", "/").replace("_DOT_", ".")
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    return make_zip(files)


def _with_files(extra: dict[str, bytes], scene: dict[str, object] | None = None) -> bytes:
    files = bundle_files(**(scene or {}))
    files.update(extra)
    return make_zip(files)


def _raw_entries(*entries: tuple[zipfile.ZipInfo, bytes]) -> Callable[[], bytes]:
    def build() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in bundle_files().items():
                archive.writestr(name, data)
            for info, data in entries:
                archive.writestr(info, data)
        return out.getvalue()

    return build


def _symlink() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("models/link.glb")
    info.external_attr = 0o120777 << 16  # S_IFLNK: the entry's data is the link target
    return info


def _encrypted() -> bytes:
    """zipfile cannot encrypt, so set the 'encrypted' flag (APPNOTE §4.4.4 bit 0) in both headers."""
    data = bytearray(_raw_entries((zipfile.ZipInfo("models/secret.glb"), b"x"))())
    name = b"models/secret.glb"
    for signature, flag_offset, name_offset in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_offset : start + name_offset + len(name)] == name:
                data[start + flag_offset] |= 0x1
            start += 4
    return bytes(data)


def _scene(**changes: object) -> bytes:
    return _zip_with(scene_DOT_json=json.dumps(scene_doc(**changes)).encode())


def _scene_without(key: str) -> bytes:
    doc = scene_doc()
    del doc[key]
    return _zip_with(scene_DOT_json=json.dumps(doc).encode())


# A one-triangle glTF with its buffer in models/tower.bin; cases break one thing each.
TRIANGLE = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)


def _gltf(change: Callable[[dict[str, Any]], None], huge: str = "") -> Callable[[], bytes]:
    """The triangle glTF with ``change`` made; the string value ``huge`` becomes a 5 001-digit integer."""

    def build() -> bytes:
        doc: dict[str, Any] = {
            "asset": {"version": "2.0"},
            "buffers": [{"uri": "tower.bin", "byteLength": len(TRIANGLE)}],
            "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(TRIANGLE)}],
            "accessors": [
                {
                    "bufferView": 0,
                    "componentType": 5126,
                    "count": 3,
                    "type": "VEC3",
                    "min": [0, 0, 0],
                    "max": [1, 1, 0],
                }
            ],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
            "nodes": [{"mesh": 0}],
            "scenes": [{"nodes": [0]}],
        }
        change(doc)
        files = bundle_files(model={"file": "models/tower.gltf"})
        del files["models/tower.glb"]
        text = json.dumps(doc)
        files["models/tower.gltf"] = (text.replace(f'"{huge}"', "1" + "0" * 5000) if huge else text).encode()
        files["models/tower.bin"] = TRIANGLE
        return make_zip(files)

    return build


def _buffer_uri(uri: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["buffers"] = [{"uri": uri, "byteLength": len(TRIANGLE)}]

    return change


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        key, index, field = path.split(".")
        doc[key][int(index)][field] = value

    return change


def _glb_bad_magic() -> bytes:
    glb = bundle_files()["models/tower.glb"]
    return _zip_with(models__tower_DOT_glb=b"gLTF" + glb[4:])


def _glb_bad_length() -> bytes:
    glb = bundle_files()["models/tower.glb"]
    return _zip_with(models__tower_DOT_glb=glb[:8] + struct.pack("<I", len(glb) + 100) + glb[12:])


def _bomb_png() -> bytes:
    """A real PNG whose header claims 60000 × 60000 pixels (the data would decompress to 3.6 GB)."""
    png = bytearray(marker_png(16))
    png[16:24] = struct.pack(">II", 60000, 60000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


def _png_bomb() -> bytes:
    return _zip_with(markers__plaque_DOT_png=_bomb_png())


def _embedded_bomb(doc: dict[str, Any]) -> None:
    doc["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(_bomb_png()).decode()}]


def _glb_embedding(png: bytes) -> bytes:
    """A GLB whose BIN chunk holds the triangle, then ``png`` as a bufferView image."""
    blob = TRIANGLE + png + bytes(-len(png) % 4)
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": [
            {"buffer": 0, "byteLength": len(TRIANGLE)},
            {"buffer": 0, "byteOffset": len(TRIANGLE), "byteLength": len(png)},
        ],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"}],
        "images": [{"bufferView": 1, "mimeType": "image/png"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
    }
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    glb = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(blob), 0x004E4942) + blob
    return _zip_with(models__tower_DOT_glb=struct.pack("<III", 0x46546C67, 2, 12 + len(glb)) + glb)


def _scene_text(text: bytes) -> bytes:
    return _zip_with(scene_DOT_json=text)


def _wav_narration() -> bytes:
    files = bundle_files(narration={"vi": {"audio": "audio/vi.mp3"}, "en": {"audio": "audio/en.wav"}})
    del files["audio/en.mp3"], files["captions/vi.vtt"]
    files["audio/en.wav"] = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32)
    return make_zip(files)


def _ply_truncated() -> bytes:
    ply: bytes = trimesh.creation.box().export(file_type="ply")
    files = bundle_files(model={"file": "models/scan.ply"})
    del files["models/tower.glb"]
    # Cut inside the vertex data: the fixed-size part of the body is checked, list lengths are not.
    files["models/scan.ply"] = ply[: ply.index(b"end_header\n") + len(b"end_header\n") + 50]
    return make_zip(files)


def _obj_naming(library: str, texture: str) -> Callable[[], bytes]:
    """A textured OBJ in models/: its ``mtllib`` names ``library``, whose map_Kd names ``texture``."""

    def build() -> bytes:
        files = bundle_files(model={"file": "models/scan.obj"})
        del files["models/tower.glb"]
        obj = f"mtllib {library}\nusemtl a\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
        files["models/scan.obj"] = obj.encode()
        files["models/scan.mtl"] = f"newmtl a\nmap_Kd {texture}\n".encode()
        files["models/scan.png"] = marker_png(32)
        return make_zip(files)

    return build


def _declares_millions() -> bytes:
    """A small archive whose end-of-central-directory record claims 65,000 entries."""
    data = bytearray(make_zip(bundle_files()))
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 65000, 65000)
    return bytes(data)


def _too_many() -> bytes:
    files = bundle_files()
    files.update({f"extra/{i}.txt": b"x" for i in range(20)})
    return make_zip(files)


HOSTILE = [
    Hostile("not-a-zip", lambda: b"this is not an archive", "", "not a zip archive"),
    Hostile("empty-zip", lambda: make_zip({}), "", "holds no files"),
    Hostile("zip-slip", _raw_entries((zipfile.ZipInfo("../evil.sh"), b"rm -rf /")), "../evil.sh", "zip slip"),
    Hostile(
        "zip-slip-nested",
        _raw_entries((zipfile.ZipInfo("models/../../x"), b"x")),
        "models/../../x",
        "zip slip",
    ),
    Hostile(
        "absolute-path",
        _raw_entries((zipfile.ZipInfo("/etc/cron.d/x"), b"x")),
        "/etc/cron.d/x",
        "absolute path",
    ),
    Hostile(
        "drive-path",
        _raw_entries((zipfile.ZipInfo("C:/Windows/x.dll"), b"x")),
        "C:/Windows/x.dll",
        "absolute path",
    ),
    Hostile("symlink-entry", _raw_entries((_symlink(), b"/etc/passwd")), "models/link.glb", "symbolic link"),
    Hostile("encrypted-entry", _encrypted, "models/secret.glb", "encrypted"),
    Hostile(
        "zip-bomb-ratio",
        lambda: _with_files({"models/padding.bin": bytes(1024 * 1024)}),
        "models/padding.bin",
        "zip bomb",
        413,
    ),
    Hostile(
        "total-uncompressed-cap",
        # Hex text compresses only 2:1, so no entry looks like a bomb, but together they pass the cap.
        lambda: make_zip(
            {**bundle_files(), **{f"big/{i}.txt": os.urandom(950 * 1024).hex().encode() for i in range(5)}}
        ),
        "",
        "add up to",
        413,
    ),
    Hostile(
        "oversize-file",
        lambda: make_zip({**bundle_files(), "models/huge.bin": os.urandom(3584 * 1024)}, zipfile.ZIP_STORED),
        "models/huge.bin",
        "3670016 bytes uncompressed (at most 3145728)",
        413,
    ),
    Hostile("too-many-entries", _too_many, "", "files in the archive (at most 20)"),
    Hostile("declared-entry-count", _declares_millions, "", "the archive declares 65000 entries"),
    Hostile(
        "duplicate-name", lambda: _with_files({"Models/Tower.glb": b"x"}), "Models/Tower.glb", "appears twice"
    ),
    Hostile("scene-json-missing", lambda: _zip_with(scene_DOT_json=None), "scene.json", "missing"),
    Hostile(
        "scene-json-invalid",
        lambda: _zip_with(scene_DOT_json=b'{"title": "x",'),
        "scene.json",
        "invalid JSON at line 1",
    ),
    Hostile(
        "scene-no-title", lambda: _scene_without("title"), "scene.json", "'title' is a required property"
    ),
    Hostile(
        "scene-nan",
        lambda: _scene(placement={"scale": float("nan")}),
        "scene.json",
        "NaN is not a JSON number",
    ),
    Hostile(
        "scene-infinite",
        lambda: _scene_text(json.dumps(scene_doc()).replace('"title": ', '"x": 1e999, "title": ').encode()),
        "scene.json",
        "the number 1e999 is out of range",
    ),
    Hostile(
        "scene-lone-surrogate",
        lambda: _scene(title="Tháp \ud800"),
        "scene.json",
        "holds an unpaired surrogate \\ud800",
    ),
    Hostile(
        "scene-deep", lambda: _scene_text(b"[" * 30000 + b"]" * 30000), "scene.json", "nested too deeply"
    ),
    Hostile(
        "file-and-folder",
        lambda: _with_files({"models/tower.glb/readme.txt": b"x"}),
        "models/tower.glb/readme.txt",
        "both a file and a folder",
    ),
    Hostile(
        "folder-and-file",
        lambda: _with_files({"notes/a.txt": b"x", "notes": b"y"}),
        "notes",
        "both a file and a folder",
    ),
    Hostile(
        "name-too-long-in-bytes",
        lambda: _with_files({"models/" + "ệ" * 90 + ".bin": b"x"}),
        "models/" + "ệ" * 53 + "…",
        "a file or folder name is 274 bytes in UTF-8 (at most 240)",
    ),
    Hostile(
        "scene-scale-text",
        lambda: _scene(placement={"scale": "big"}),
        "scene.json",
        "placement.scale: 'big' is not of type",
    ),
    Hostile(
        "scene-rotation-3",
        lambda: _scene(placement={"rotation": [0, 0, 1]}),
        "scene.json",
        "placement.rotation",
    ),
    Hostile("scene-extra-key", lambda: _scene(script="alert(1)"), "scene.json", "'script' was unexpected"),
    Hostile("scene-no-vietnamese", lambda: _scene(languages=["en"]), "scene.json", "languages"),
    Hostile(
        "file-name-with-accents",
        lambda: _scene(model={"file": "models/Tháp Phước Duyên.glb"}),
        "scene.json",
        "model.file: 'models/Tháp Phước Duyên.glb' is not a bundle file name: ASCII letters, digits",
    ),
    Hostile(
        "annotation-id-upper-case",
        lambda: _scene(annotations=[{"id": "Tower", "position": [0, 0, 0], "text": {}}]),
        "scene.json",
        "annotations[0].id: 'Tower' is not an id: lower-case ASCII letters",
    ),
    Hostile(
        "unknown-language",
        lambda: _scene(languages=["vi", "en", "xx"]),
        "scene.json",
        "languages[2]: 'xx' is not one of",
    ),
    Hostile(
        "missing-translation",
        lambda: _scene(annotations=[{"id": "t", "position": [0, 0, 0], "text": {"vi": {"title": "Tháp"}}}]),
        "scene.json",
        "annotations[0].text: missing translation for declared language 'en'",
    ),
    Hostile(
        "undeclared-narration-language",
        lambda: _scene(
            languages=["vi"],
            annotations=[],
            narration={"vi": {"audio": "audio/vi.mp3"}, "fr": {"audio": "audio/en.mp3"}},
        ),
        "scene.json",
        "narration: language 'fr' is not declared",
    ),
    Hostile(
        "model-absent", lambda: _zip_with(models__tower_DOT_glb=None), "models/tower.glb", "not in the bundle"
    ),
    Hostile(
        "unreferenced-file",
        lambda: _with_files({"notes/todo.txt": b"later"}),
        "notes/todo.txt",
        "not referenced",
    ),
    Hostile(
        "gltf-buffer-parent", _gltf(_buffer_uri("../secret.bin")), "models/tower.gltf", "is not in the bundle"
    ),
    Hostile(
        "gltf-buffer-escape", _gltf(_buffer_uri("../../secret.bin")), "models/tower.gltf", "leaves the bundle"
    ),
    Hostile(
        "gltf-file-uri",
        _gltf(_buffer_uri("file:///etc/passwd")),
        "models/tower.gltf",
        "points outside the bundle",
    ),
    Hostile(
        "gltf-ssrf-uri",
        _gltf(_buffer_uri("http://169.254.169.254/latest/meta-data/")),
        "models/tower.gltf",
        "nothing is fetched",
    ),
    Hostile(
        "gltf-data-uri-over-limit",
        _gltf(_buffer_uri("data:application/octet-stream;base64," + base64.b64encode(bytes(4000)).decode())),
        "models/tower.gltf",
        "data: URI holds about 4002 bytes (at most 1024",
        413,
    ),
    Hostile(
        "gltf-accessor-past-view",
        _gltf(_set("accessors.0.count", 4)),
        "models/tower.gltf",
        "accessor 0 reads past the end of bufferView 0 (needs bytes 0–48, the view has 36)",
    ),
    Hostile(
        "gltf-view-past-buffer",
        _gltf(_set("bufferViews.0.byteOffset", 12)),
        "models/tower.gltf",
        "bufferView 0 reads past the end of buffer 0 (bytes 12–48, the buffer has 36)",
    ),
    Hostile(
        "gltf-bad-component",
        _gltf(_set("accessors.0.componentType", 5130)),
        "models/tower.gltf",
        "unknown componentType 5130",
    ),
    Hostile(
        "gltf-component-array",
        _gltf(_set("accessors.0.componentType", [5126])),
        "models/tower.gltf",
        "unknown componentType [5126]",
    ),
    Hostile(
        "gltf-huge-integer",
        _gltf(_set("accessors.0.count", "COUNT"), huge="COUNT"),
        "models/tower.gltf",
        "an integer has 5001 digits (at most 40)",
    ),
    Hostile("gltf-data-image-bomb", _gltf(_embedded_bomb), "models/tower.gltf", "image 0: image dimensions"),
    Hostile(
        "glb-buffer-view-image-bomb", lambda: _glb_embedding(_bomb_png()), "models/tower.glb", "(image bomb)"
    ),
    Hostile(
        "glb-buffer-view-image-cut-short",
        lambda: _glb_embedding(marker_png(256)[:-400]),
        "models/tower.glb",
        "image 0: damaged PNG",
    ),
    Hostile("glb-bad-magic", _glb_bad_magic, "models/tower.glb", "bad GLB magic"),
    Hostile("glb-bad-length", _glb_bad_length, "models/tower.glb", "GLB header says"),
    Hostile("ply-truncated", _ply_truncated, "models/scan.ply", "its elements need at least"),
    Hostile(
        "image-is-executable",
        lambda: _zip_with(markers__plaque_DOT_png=b"MZ\x90\x00" + bytes(200)),
        "markers/plaque.png",
        "its content is executable, not PNG image",
    ),
    Hostile("image-bomb", _png_bomb, "markers/plaque.png", "image bomb"),
    Hostile(
        "image-cut-short",
        lambda: _zip_with(markers__plaque_DOT_png=marker_png()[:-200]),
        "markers/plaque.png",
        "damaged PNG image: Truncated File Read; export the image again",
    ),
    Hostile(
        "image-header-cut",
        lambda: _zip_with(markers__plaque_DOT_png=marker_png()[:12]),
        "markers/plaque.png",
        "unreadable PNG image: its header is damaged or cut short",
    ),
    Hostile(
        "audio-is-elf",
        lambda: _zip_with(audio__vi_DOT_mp3=b"\x7fELF\x02\x01\x01" + bytes(100)),
        "audio/vi.mp3",
        "its content is executable, not MP3 audio",
    ),
    Hostile(
        "audio-is-text",
        lambda: _zip_with(audio__en_DOT_mp3=b"just some words"),
        "audio/en.mp3",
        "its content is text, not MP3 audio",
    ),
    Hostile(
        "audio-wav",
        _wav_narration,
        "audio/en.wav",
        "must be .mp3, .oga, .ogg",
    ),
    Hostile(
        "vtt-without-header",
        lambda: _zip_with(captions__vi_DOT_vtt=b"00:00.000 --> 00:02.000\nhello\n"),
        "captions/vi.vtt",
        "'WEBVTT' header",
    ),
    Hostile(
        "wrong-content-type",
        lambda: b"{}",
        "",
        "unsupported Content-Type 'text/plain'",
        content_type="text/plain",
    ),
    Hostile(
        "mtl-texture-leaves-the-bundle",
        _obj_naming("scan.mtl", "-s 1 1 1 ../../etc/passwd"),
        "models/scan.mtl",
        "texture '../../etc/passwd' leaves the bundle",
    ),
    Hostile(
        "mtl-texture-absolute",
        _obj_naming("scan.mtl", "/etc/passwd"),
        "models/scan.mtl",
        "texture '/etc/passwd' is an absolute path or a URL",
    ),
    Hostile(
        "mtl-texture-url",
        _obj_naming("scan.mtl", "http://169.254.169.254/latest/meta-data"),
        "models/scan.mtl",
        "is an absolute path or a URL",
    ),
    Hostile(
        "mtllib-windows-drive",
        _obj_naming("C:\\scans\\scan.mtl", "scan.png"),
        "models/scan.obj",
        "mtllib 'C:\\\\scans\\\\scan.mtl' is an absolute path or a URL",
    ),
]
