"""Bytes on the wire: precompressed viewer files, compressed pages, immutable hashed names, preloads."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ar_service import viewer
from ar_service.models import Asset, AssetKind, AssetVersion, SceneVersion
from ar_service.services import Services
from tests.public.conftest import Published

BUILT = viewer.VIEWER_DIR
CHUNK = b"export const answer = 42;\n" * 200
INCOMPRESSIBLE = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(4700))  # 150 400 bytes


def fetch(client: FlaskClient, url: str, **headers: str) -> TestResponse:
    """A GET whose body is read and whose file is closed (send_file streams from an open file)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small viewer build laid out as web/vite.config.js writes it."""
    root = tmp_path / "viewer"
    files = {
        "assets/viewer-abc123.js": CHUNK,
        "assets/model_view-def456.js": CHUNK + b"// 3D view\n",
        "assets/three-789abc.js": CHUNK + b"// three\n",
        "assets/marker_ar-aaa111.js": CHUNK + b"// marker AR\n",
        "assets/mindar-bbb222.js": INCOMPRESSIBLE,
        "vendor-0123456789/draco/draco_decoder.wasm": b"\0asm" + bytes(4000),
        "vendor-0123456789/draco/draco_wasm_wrapper.js": CHUNK,
        "sw.js": b"self.addEventListener('fetch', () => {});\n" * 40,
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data))
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data))
    manifest = {
        "src/main.js": {"file": "assets/viewer-abc123.js", "isEntry": True, "css": []},
        "src/marker_ar.js": {"file": "assets/marker_ar-aaa111.js", "imports": ["_mindar.js", "_three.js"]},
        "_mindar.js": {"file": "assets/mindar-bbb222.js"},
        "src/model_view.js": {"file": "assets/model_view-def456.js", "imports": ["_three.js"]},
        "_three.js": {"file": "assets/three-789abc.js"},
    }
    (root / ".vite").mkdir()
    (root / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(viewer, "VIEWER_DIR", root)
    viewer._build.cache_clear()
    yield root
    viewer._build.cache_clear()


def test_viewer_files_come_brotli_then_gzip_then_plain(client: FlaskClient, built: Path) -> None:
    url = "/static/viewer/assets/viewer-abc123.js"
    br = fetch(client, url, **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == CHUNK
    assert len(br.data) < len(CHUNK) / 10
    gz = fetch(client, url, **{"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == CHUNK
    plain = fetch(client, url, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == CHUNK
    for response in (br, gz, plain):
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "Accept-Encoding" in response.headers["Vary"]
    assert len({br.headers["ETag"], gz.headers["ETag"], plain.headers["ETag"]}) == 3


def test_hashed_viewer_files_are_immutable_and_the_worker_is_not(client: FlaskClient, built: Path) -> None:
    chunk = fetch(client, "/static/viewer/assets/three-789abc.js")
    decoder = fetch(client, "/static/viewer/vendor-0123456789/draco/draco_decoder.wasm")
    assert chunk.headers["Cache-Control"] == decoder.headers["Cache-Control"]
    assert chunk.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert decoder.headers["Content-Type"] == "application/wasm"
    worker = fetch(client, "/sw.js", **{"Accept-Encoding": "br"})
    assert worker.headers["Cache-Control"] == "public, max-age=3600"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert brotli.decompress(worker.data).startswith(b"self.addEventListener")


@pytest.mark.parametrize(
    "name",
    [
        "../../settings.py",
        "%2e%2e/%2e%2e/settings.py",
        ".vite/manifest.json",
        "./.vite/manifest.json",
        "x/../.vite/manifest.json",
        "assets/viewer-abc123.js.br",
        "assets/viewer-abc123.js.br/.",
        "nope.js",
    ],
)
def test_viewer_route_serves_only_built_files(client: FlaskClient, built: Path, name: str) -> None:
    response = fetch(client, f"/static/viewer/{name}")
    assert response.status_code == 404
    assert b"class Settings" not in response.data


def test_an_unbuilt_viewer_says_how_to_build_it(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viewer, "VIEWER_DIR", tmp_path / "not-built")
    response = fetch(client, "/sw.js", Accept="application/json")
    assert response.status_code == 404
    assert "make viewer" in response.get_data(as_text=True)


def test_site_page_is_compressed_and_still_revalidates(client: FlaskClient, published: Published) -> None:
    plain = client.get("/s/thien-mu?lang=en", headers={"Accept-Encoding": "identity"})
    br = client.get("/s/thien-mu?lang=en", headers={"Accept-Encoding": "br, gzip"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == plain.data
    assert len(br.data) < len(plain.data) / 2
    again = client.get(
        "/s/thien-mu?lang=en", headers={"Accept-Encoding": "br, gzip", "If-None-Match": br.headers["ETag"]}
    )
    assert again.status_code == 304
    manifest = client.get("/api/v1/sites/thien-mu/scene?lang=en", headers={"Accept-Encoding": "gzip"})
    assert manifest.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(manifest.data))["site"]["slug"] == "thien-mu"


def test_site_page_carries_its_manifest(client: FlaskClient, published: Published) -> None:
    page = client.get("/s/thien-mu?lang=fr").get_data(as_text=True)
    embedded = re.search(r'<script type="application/json" id="hue-manifest">(.*?)</script>', page, re.S)
    assert embedded is not None
    api = client.get("/api/v1/sites/thien-mu/scene?lang=fr").get_json()
    assert json.loads(embedded[1]) == api


def test_site_page_preloads_the_3d_view_unless_saving_data(
    client: FlaskClient, published: Published, built: Path
) -> None:
    response = client.get("/s/thien-mu")
    page = response.get_data(as_text=True)
    # Low priority: the poster (high) is what the tourist reads first.
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)" fetchpriority="low">', page)
    assert preloads == ["/static/viewer/assets/three-789abc.js", "/static/viewer/assets/model_view-def456.js"]
    lightest = f'<link rel="preload" as="fetch" crossorigin href="/files/{published.glb_key}"'
    assert f'{lightest} fetchpriority="low">' in page
    assert 'fetchpriority="high"' in page.split('class="poster"')[1].split(">")[0]
    assert "draco" not in page  # the lightest level is meshopt: no Draco decoder
    assert "Save-Data" in response.headers["Vary"]
    saving = client.get("/s/thien-mu", headers={"Save-Data": "on"}).get_data(as_text=True)
    assert "modulepreload" not in saving and 'rel="preload"' not in saving


def test_start_ar_shows_what_ar_downloads(
    client: FlaskClient, services: Services, published: Published, built: Path
) -> None:
    def button() -> str:
        page = client.get("/s/thien-mu?lang=en").get_data(as_text=True)
        found = re.search(r'data-action="start-ar"[^>]*>([^<]+)</button>', page)
        assert found is not None
        return found[1]

    assert button() == "Start AR (0.1 MB)"  # the 10 KB model alone, shown as at least 0.1 MB
    with services.session_factory.begin() as session:
        marker = Asset(kind=AssetKind.MARKER, name="plaque")
        version = AssetVersion(
            asset=marker,
            number=1,
            storage_key=published.glb_key,
            sha256="0" * 64,
            byte_size=1,
            content_type="image/jpeg",
            filename="plaque.jpg",
            derivatives={"mind": {"key": published.glb_key, "bytes": 1_000_000}},
        )
        session.add(version)
        session.flush()
        scene_version = session.scalars(select(SceneVersion)).one()
        scene_version.marker_version_id = version.id
    # The 1 MB target, the AR runtime as sent (marker_ar.js compressed, MindAR not) and the 10 KB model:
    # 1.16 MB. three.js, which the 3D view has already loaded, does not count.
    assert button() == "Start AR (1.1 MB)"


def test_real_build_has_smaller_siblings_that_decode_to_each_file() -> None:
    if not (BUILT / ".vite" / "manifest.json").exists():
        pytest.skip("viewer not built: run `make viewer`")
    checked = 0
    for path in BUILT.rglob("*"):
        if path.suffix not in (".js", ".css", ".wasm") or path.stat().st_size < 1024:
            continue
        raw = path.read_bytes()
        br = path.with_name(path.name + ".br").read_bytes()
        gz = path.with_name(path.name + ".gz").read_bytes()
        assert brotli.decompress(br) == raw and gzip.decompress(gz) == raw
        assert len(br) < len(gz) < len(raw)
        checked += 1
    assert checked >= 5
