"""A local site for the viewer's browser tests: built viewer, pages, manifests, GLBs, a beacon sink."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from tests.browser.camera import write_y4m
from tests.browser.chromium import HEADLESS_ARGS

REPO = Path(__file__).resolve().parents[2]
VIEWER_BUILD = REPO / "ar_service" / "static" / "viewer"
PAGE_TEMPLATE = Path(__file__).parent / "viewer_fixtures" / "page.html"
GLTFPACK = REPO / "tools" / "node" / "node_modules" / "gltfpack" / "cli.js"
MINDAR_DIST = REPO / "web" / "node_modules" / "mind-ar" / "dist"

# A fake camera exists, so a refused permission (not a missing device) is what the viewer sees.
CHROMIUM_ARGS = [*HEADLESS_ARGS, "--use-fake-device-for-media-stream"]

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".glb": "model/gltf-binary",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".mind": "application/octet-stream",
}


def require_viewer_build() -> Path:
    """The built viewer, or a skip that says how to build it."""
    if not (VIEWER_BUILD / ".vite" / "manifest.json").exists():
        pytest.skip("viewer not built: run `cd web && npm ci && npm run build`")
    return VIEWER_BUILD


def textured_box_glb(path: Path, *, texture_px: int = 128) -> Path:
    """A 1 m box with normals and a noisy red/blue checker (bigger textures weigh more), as plain GLB."""
    cells = (np.indices((8, 8)).sum(axis=0) % 2).astype(bool)
    pixels = np.where(cells[..., None], [200, 30, 30], [30, 60, 200]).astype(np.uint8)
    texture_pixels = pixels.repeat(texture_px // 8, axis=0).repeat(texture_px // 8, axis=1)
    grain = np.random.default_rng(3).integers(0, 24, texture_pixels.shape, dtype=np.uint8)
    texture = Image.fromarray(texture_pixels + grain)
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    # One quad per face with its own corners, so each face shows the whole checker.
    corners = box.vertices[box.faces].reshape(-1, 3)
    uv = np.tile([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], (len(box.faces), 1))
    mesh = trimesh.Trimesh(
        vertices=corners,
        faces=np.arange(len(corners)).reshape(-1, 3),
        visual=trimesh.visual.TextureVisuals(uv=uv, image=texture),  # type: ignore[no-untyped-call]
        process=False,
    )
    glb = trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh), include_normals=True)  # type: ignore[no-untyped-call]
    path.write_bytes(glb)
    return path


def meshopt_glb(source: Path, path: Path) -> Path:
    """`gltfpack -c` of `source`: EXT_meshopt_compression + KHR_mesh_quantization, as the pipeline ships."""
    node = shutil.which("node")
    if node is None or not GLTFPACK.exists():
        pytest.skip("gltfpack not installed: run `cd tools/node && npm ci`")
    subprocess.run(
        [node, str(GLTFPACK), "-i", str(source), "-o", str(path), "-c"], check=True, capture_output=True
    )
    return path


def write_camera_video(path: Path, marker: Image.Image, *, frames: int = 30) -> Path:
    """A still 640×480 y4m for Chromium's fake camera: the marker facing it, half the frame high, on grey."""
    frame = Image.new("RGB", (640, 480), (128, 128, 120))
    side = 240
    frame.paste(marker.convert("RGB").resize((side, side)), ((640 - side) // 2, (480 - side) // 2))
    return write_y4m(path, [np.asarray(frame)] * frames, fps=30)


COMPILE_PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
import { Compiler } from "/mindar-dist/mindar-image.prod.js";
window.compileTarget = async (src) => {
  const image = new Image();
  image.src = src;
  await image.decode();
  const compiler = new Compiler();
  await compiler.compileImageTargets([image], () => {});
  const bytes = new Uint8Array(await compiler.exportData());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
};
</script>"""


def compile_mind_target(context: Any, site: ViewerSite, marker_url: str) -> bytes:
    """The .mind file of the image at `marker_url`, compiled by MindAR's own compiler in the page."""
    site.add_file("/tools/compile.html", COMPILE_PAGE.encode())
    page = context.new_page()
    try:
        page.goto(f"{site.origin}/tools/compile.html")
        page.wait_for_function("typeof window.compileTarget === 'function'", timeout=30_000)
        encoded = page.evaluate("src => window.compileTarget(src)", marker_url)
    finally:
        page.close()
    return base64.b64decode(encoded)


@dataclass
class ViewerSite:
    """Files served at "/" plus what the browser sent back."""

    root: Path
    origin: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    beacons: list[dict[str, Any]] = field(default_factory=list)

    def add_file(self, url_path: str, data: bytes) -> str:
        target = self.root / url_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return url_path

    def add_site(
        self,
        slug: str,
        scene: dict[str, Any],
        *,
        strings: dict[str, str],
        lang: str = "vi",
        beacon_quiet_ms: int = 500,
    ) -> str:
        """Publishes a manifest and a page including the viewer as Flask does; returns the page URL.

        Beacons leave ``beacon_quiet_ms`` after a visit's last event (5 s on real pages)."""
        pack_urls = [m["url"] for m in scene["models"]] + (
            [scene["poster"]["url"]] if scene["poster"] else []
        )
        manifest = {
            "site": {"slug": slug, "code": "TEST01", "name": slug, "name_language": lang, "language": lang},
            "scene": scene,
            "pack": {
                "urls": pack_urls,
                "bytes": sum((self.root / u.lstrip("/")).stat().st_size for u in pack_urls),
            },
        }
        manifest_url = f"/api/v1/sites/{slug}/scene"
        self.add_file(manifest_url, json.dumps(manifest).encode())
        entries = json.loads((VIEWER_BUILD / ".vite" / "manifest.json").read_text()).values()
        entry = next(chunk for chunk in entries if chunk.get("isEntry"))
        page = PAGE_TEMPLATE.read_text().format(
            lang=lang,
            beacon_quiet_ms=beacon_quiet_ms,
            manifest_url=manifest_url,
            strings=json.dumps(strings, ensure_ascii=False).replace("'", "&#39;"),
            poster_url=scene["poster"]["url"] if scene["poster"] else "",
            alt=scene["alt"],
            styles="".join(
                f'<link rel="stylesheet" href="/static/viewer/{css}">' for css in entry.get("css", [])
            ),
            scripts=f'<script type="module" src="/static/viewer/{entry["file"]}"></script>',
        )
        return self.add_file(f"/sites/{slug}/index.html", page.encode()).removesuffix("index.html")

    def beacon_events(self) -> list[str]:
        return [str(beacon.get("event")) for beacon in self.beacons]


def _handler(site: ViewerSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _record(self) -> None:
            site.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))

        def do_POST(self) -> None:
            self._record()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/api/v1/beacons":
                data = json.loads(body)
                events = data.pop("events", None)  # a visit's events come together
                site.beacons.extend([data] if events is None else [{**data, **event} for event in events])
                self.send_response(204)
            else:
                self.send_response(405)
            self.end_headers()

        def do_GET(self) -> None:
            self._record()
            path = self.path.split("?", 1)[0]
            if path == "/sw.js":
                file = VIEWER_BUILD / "sw.js"
            elif path.startswith("/mindar-dist/"):
                # MindAR's own compiler, for building a test target in the page (not part of the viewer).
                file = MINDAR_DIST / path.removeprefix("/mindar-dist/")
            elif path.startswith("/static/viewer/"):
                file = VIEWER_BUILD / path.removeprefix("/static/viewer/")
            else:
                file = site.root / path.lstrip("/")
                if path.endswith("/"):
                    file = file / "index.html"
            file = file.resolve()
            if not file.is_file() or not any(
                file.is_relative_to(base) for base in (VIEWER_BUILD, site.root, MINDAR_DIST)
            ):
                self.send_error(404)
                return
            data = file.read_bytes()
            kind = (
                "application/json" if "/api/" in path else TYPES.get(file.suffix, "application/octet-stream")
            )
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            # Nothing in the HTTP cache: offline visits must come from the service worker's cache.
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve(site: ViewerSite) -> Iterator[ViewerSite]:
    """Serves `site` on 127.0.0.1 (a secure context, so service workers and the camera API exist)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
