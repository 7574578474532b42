"""Finding the built viewer's entry files (hashed names) in Vite's manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import url_for

VIEWER_DIR = Path(__file__).parent / "static" / "viewer"


@dataclass(frozen=True)
class ViewerAssets:
    scripts: list[str]
    styles: list[str]


@cache
def _entry_files() -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    manifest = VIEWER_DIR / ".vite" / "manifest.json"
    if not manifest.exists():
        return None
    chunks = json.loads(manifest.read_text())
    entries = [chunk for chunk in chunks.values() if chunk.get("isEntry")]
    scripts = tuple(chunk["file"] for chunk in entries)
    styles = tuple(css for chunk in entries for css in chunk.get("css", []))
    return scripts, styles


def viewer_assets() -> ViewerAssets | None:
    """URLs of the viewer's entry scripts and styles, or None when the front end is not built."""
    found = _entry_files()
    if found is None:
        return None
    scripts, styles = found
    return ViewerAssets(
        scripts=[url_for("static", filename=f"viewer/{name}") for name in scripts],
        styles=[url_for("static", filename=f"viewer/{name}") for name in styles],
    )
