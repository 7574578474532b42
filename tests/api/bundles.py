"""Building real scene bundles for the API tests: a GLB from trimesh, a PNG, MP3 frames, WebVTT."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image

VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nChùa Thiên Mụ\n"


def box_glb() -> bytes:
    data: bytes = trimesh.creation.box(extents=(1.0, 2.0, 0.5)).export(file_type="glb")
    return data


def marker_png(size: int = 256, seed: int = 7) -> bytes:
    """A high-contrast random block pattern: plenty of corners for an image target."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 2, (16, 16), dtype=np.uint8) * 255
    image = Image.fromarray(blocks, "L").resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def silent_mp3(frames: int = 20) -> bytes:
    """MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, mono: 417-byte frames (ISO/IEC 11172-3)."""
    header = bytes([0xFF, 0xFB, 0x90, 0xC4])
    return (header + bytes(417 - 4)) * frames


def scene_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "Tháp Phước Duyên",
        "languages": ["vi", "en"],
        "model": {"file": "models/tower.glb"},
        "marker": {"image": "markers/plaque.png", "width_m": 0.3},
        "placement": {"translation": [0, 0, -1], "rotation": [0, 0, 0, 1], "scale": 0.01},
        "annotations": [
            {
                "id": "tower",
                "position": [0, 1, 0],
                "text": {
                    "vi": {"title": "Tháp Phước Duyên", "text": "Bảy tầng."},
                    "en": {"title": "Phuoc Duyen tower", "text": "Seven storeys."},
                },
            }
        ],
        "narration": {
            "vi": {"audio": "audio/vi.mp3", "captions": "captions/vi.vtt"},
            "en": {"audio": "audio/en.mp3"},
        },
    }
    doc.update(overrides)
    return doc


def bundle_files(**overrides: Any) -> dict[str, bytes]:
    return {
        "scene.json": json.dumps(scene_doc(**overrides)).encode(),
        "models/tower.glb": box_glb(),
        "markers/plaque.png": marker_png(),
        "audio/vi.mp3": silent_mp3(),
        "audio/en.mp3": silent_mp3(25),
        "captions/vi.vtt": VTT.encode(),
    }


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """``files`` as a folder, as the pipeline reads an unpacked bundle."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def make_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
