"""The built viewer: its entry files (hashed names) from Vite's manifest, and serving them precompressed."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from flask import request, send_file, url_for
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from ar_service.media_types import content_type_for
from ar_service.storage import IMMUTABLE_CACHE_CONTROL
from hue_errors import NotFound

VIEWER_DIR = Path(__file__).parent / "static" / "viewer"
# Siblings written by the build (web/vite.config.js), best first.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
SIBLINGS = tuple(suffix for _, suffix in ENCODINGS)
# Names that change whenever their bytes do: Vite's chunks and the content-named vendor folder.
HASHED_PREFIXES = ("assets/", "vendor-")
UNHASHED_MAX_AGE = "public, max-age=3600"


@dataclass(frozen=True)
class ViewerAssets:
    scripts: list[str]
    styles: list[str]
    preload: list[str]  # the 3D view's chunks, fetched beside the entry instead of after it
    draco: list[str]  # the Draco decoder's files, for a page whose first model needs them
    ar_runtime_bytes: int  # what marker AR adds to the 3D view's code, as sent (brotli)


def _sent_bytes(name: str) -> int:
    path = VIEWER_DIR / name
    best = path.with_name(path.name + SIBLINGS[0])
    return (best if best.is_file() else path).stat().st_size


@cache
def _build() -> ViewerAssets | None:
    """The viewer's files by name under VIEWER_DIR (viewer_assets turns them into URLs)."""
    manifest = VIEWER_DIR / ".vite" / "manifest.json"
    if not manifest.exists():
        return None
    chunks = json.loads(manifest.read_text())

    def files(key: str) -> list[str]:
        """A chunk's file after the files of the chunks it imports."""
        chunk = chunks.get(key, {})
        imported = [chunks[name]["file"] for name in chunk.get("imports", []) if name in chunks]
        return imported + ([chunk["file"]] if chunk else [])

    entries = [chunk for chunk in chunks.values() if chunk.get("isEntry")]
    scripts = [chunk["file"] for chunk in entries]
    preload = files("src/model_view.js")
    ar_runtime = set(files("src/marker_ar.js")) - set(preload) - set(scripts)
    return ViewerAssets(
        scripts=scripts,
        styles=[css for chunk in entries for css in chunk.get("css", [])],
        preload=preload,
        draco=[
            path.relative_to(VIEWER_DIR).as_posix()
            for path in sorted(VIEWER_DIR.glob("vendor-*/draco/*"))
            if path.suffix not in SIBLINGS
        ],
        ar_runtime_bytes=sum(_sent_bytes(name) for name in ar_runtime),
    )


def viewer_assets() -> ViewerAssets | None:
    """URLs of the viewer's entry scripts, styles and preloads, or None when the front end is not built."""
    build = _build()
    if build is None:
        return None

    def urls(names: list[str]) -> list[str]:
        return [url_for("public.viewer_file", name=name) for name in names]

    return replace(
        build,
        scripts=urls(build.scripts),
        styles=urls(build.styles),
        preload=urls(build.preload),
        draco=urls(build.draco),
    )


def send_viewer_file(name: str) -> Response:
    """A built file, as its brotli or gzip sibling when the client accepts one; hashed names are immutable."""
    if not VIEWER_DIR.is_dir():
        raise NotFound("the viewer is not built: run `make viewer`")
    path = safe_join(str(VIEWER_DIR), name)
    # Judged by the normalised name: "./.vite/manifest.json" and "sw.js.br/." are the files they name.
    normal = name if path is None else Path(path).relative_to(VIEWER_DIR).as_posix()
    if path is None or normal.startswith(".vite/") or normal.endswith(SIBLINGS) or not Path(path).is_file():
        raise NotFound(f"the viewer has no file {name!r}; reload the page to get the current viewer")
    name = normal
    encoding, chosen = next(
        (
            (coding, Path(path + suffix))
            for coding, suffix in ENCODINGS
            if request.accept_encodings[coding] and Path(path + suffix).is_file()
        ),
        (None, Path(path)),
    )
    response = send_file(chosen, mimetype=content_type_for(name), conditional=True, etag=True)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = (
        IMMUTABLE_CACHE_CONTROL if name.startswith(HASHED_PREFIXES) else UNHASHED_MAX_AGE
    )
    return response
