"""Content types by file name, including the 3D and AR formats mimetypes does not know."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from ar_service.storage.base import ENCODED_SUFFIX

CONTENT_TYPES = {
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".usdz": "model/vnd.usdz+zip",
    ".mind": "application/octet-stream",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".zip": "application/zip",
    ".json": "application/json",
}


def content_type_for(name: str) -> str:
    """The type of the content, for a gzip-encoded ``NAME.gz`` the type of ``NAME``."""
    name = name.removesuffix(ENCODED_SUFFIX)
    suffix = PurePosixPath(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
