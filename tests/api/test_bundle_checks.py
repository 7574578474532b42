"""The bundle checks on their own (no app): glTF layout rules, sniffing, limits, images."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ar_service.bundles import BundleInvalid, BundleLimits, gltf
from ar_service.bundles.gltf import BinChunk, check_document
from ar_service.bundles.media import check_embedded_image, check_image
from ar_service.bundles.sniff import Kind, sniff_bytes
from ar_service.bundles.uris import resolve_uri

LIMITS = BundleLimits()


def _doc(accessor: dict[str, Any], view_length: int, stride: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"buffer": 0, "byteLength": view_length}
    if stride:
        view["byteStride"] = stride
    return {
        "asset": {"version": "2.0"},
        "buffers": [{"uri": "data:application/octet-stream;base64,", "byteLength": 1}],
        "bufferViews": [view],
        "accessors": [accessor],
    }


def _check(doc: dict[str, Any], buffer_bytes: int) -> None:
    doc["buffers"][0] = {
        "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(buffer_bytes)).decode(),
        "byteLength": buffer_bytes,
    }
    check_document("m.gltf", doc, lambda name: None, LIMITS)


def test_mat3_of_bytes_is_padded_to_four_byte_columns() -> None:
    """glTF 2.0 §3.6.2.4: a MAT3 of unsigned bytes takes 12 bytes, not 9."""
    accessor = {"bufferView": 0, "componentType": 5121, "count": 2, "type": "MAT3"}
    _check(_doc(accessor, 24), 24)
    with pytest.raises(BundleInvalid, match="needs bytes 0–24, the view has 23"):
        _check(_doc(accessor, 23), 23)


def test_interleaved_stride_counts_for_all_but_the_last_element() -> None:
    accessor = {"bufferView": 0, "byteOffset": 12, "componentType": 5126, "count": 3, "type": "VEC3"}
    _check(_doc(accessor, 2 * 24 + 12 + 12, stride=24), 72)
    with pytest.raises(BundleInvalid, match="accessor 0 reads past the end of bufferView 0"):
        _check(_doc(accessor, 2 * 24 + 12 + 11, stride=24), 72)


def test_sparse_values_are_bounds_checked() -> None:
    accessor = {
        "componentType": 5126,
        "count": 10,
        "type": "SCALAR",
        "sparse": {
            "count": 4,
            "indices": {"bufferView": 0, "componentType": 5121},
            "values": {"bufferView": 0, "byteOffset": 4},
        },
    }
    _check(_doc(accessor, 20), 20)
    with pytest.raises(BundleInvalid, match="sparse reads past the end of bufferView 0"):
        _check(_doc(accessor, 19), 19)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://example.com/a.bin", "points outside the bundle"),
        ("//example.com/a.bin", "points outside the bundle"),
        ("/etc/passwd", "absolute path"),
        ("textures\\a.png", "holds a backslash \\(a URI separates folders with '/'\\)"),
        ("..%2F..%2Fsecret.bin", "leaves the bundle"),
        ("data:application/octet-stream;base64,@@@@", "not valid base64"),
    ],
)
def test_uri_outside_the_bundle_is_refused(uri: str, message: str) -> None:
    with pytest.raises(BundleInvalid, match=message):
        resolve_uri("models/m.gltf", "buffer 0", uri, 1024)


def test_percent_encoded_relative_uri_names_the_bundle_file() -> None:
    assert resolve_uri("models/m.gltf", "image 0", "tex/fuze%20uv.jpg", 0).path == "models/tex/fuze uv.jpg"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xfb\x90\xc4", Kind.MP3),
        (b"\xff\xf1\x50\x80", Kind.UNKNOWN),  # AAC ADTS: layer bits 00, not MPEG audio
        (b"OggS\x00\x02", Kind.OGG),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", Kind.WEBP),
        (b"\xcf\xfa\xed\xfe\x07\x00", Kind.EXECUTABLE),
        ("WEBVTT\n\nchú thích".encode(), Kind.TEXT),
    ],
)
def test_sniffing_reads_the_bytes_not_the_name(head: bytes, kind: Kind) -> None:
    assert sniff_bytes(head) is kind


def test_glb_bin_chunk_may_back_only_buffer_zero(tmp_path: Path) -> None:
    doc = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": 4}, {"byteLength": 4}]}
    with pytest.raises(BundleInvalid, match="buffer 1: has no uri"):
        check_document("m.glb", doc, lambda name: None, LIMITS, glb_bin=BinChunk(tmp_path / "m.glb", 28, 8))


@pytest.mark.parametrize(("pillow_format", "suffix"), [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_an_image_cut_short_is_refused_whatever_its_format_file_or_embedded(
    tmp_path: Path, pillow_format: str, suffix: str
) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, pillow_format)
    path = tmp_path / f"plaque{suffix}"
    path.write_bytes(encoded.getvalue())
    assert check_image(path.name, path, LIMITS) == (400, 300)
    assert check_embedded_image("m.glb", "image 0", io.BytesIO(encoded.getvalue()), LIMITS) == (400, 300)
    cut = encoded.getvalue()[: len(encoded.getvalue()) * 3 // 4]
    path.write_bytes(cut)
    with pytest.raises(BundleInvalid, match=rf"plaque\{suffix}: (damaged|unreadable) "):
        check_image(path.name, path, LIMITS)
    with pytest.raises(BundleInvalid, match=r"m\.glb: image 0: (damaged|unreadable) "):
        check_embedded_image("m.glb", "image 0", io.BytesIO(cut), LIMITS)


def test_an_image_in_a_glb_is_read_through_a_part_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, "JPEG", quality=95)
    image = encoded.getvalue()
    assert len(image) > 2 * gltf.PART_BUFFER_BYTES
    path = tmp_path / "m.glb"
    path.write_bytes(bytes(28) + image)  # the BIN chunk's data starts at byte 28
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(image)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(image)}],
        "images": [{"bufferView": 0, "mimeType": "image/jpeg"}],
    }
    reads: list[int] = []
    file_reader = gltf._file_reader

    def counted(*args: Any) -> Any:
        read = file_reader(*args)

        def count(start: int, length: int) -> bytes:
            reads.append(length)
            return read(start, length)

        return count

    monkeypatch.setattr(gltf, "_file_reader", counted)
    check_document("m.glb", doc, lambda name: None, LIMITS, glb_bin=BinChunk(path, 28, len(image)))
    assert max(reads) <= gltf.PART_BUFFER_BYTES and sum(reads) >= len(image)
    path.write_bytes(bytes(28) + image[: len(image) // 2])  # cut short
    with pytest.raises(BundleInvalid, match=r"m\.glb: image 0: damaged JPEG"):
        check_document("m.glb", doc, lambda name: None, LIMITS, glb_bin=BinChunk(path, 28, len(image)))
