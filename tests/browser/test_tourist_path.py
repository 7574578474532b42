"""A tourist's visit through the real service and the pipeline's real outputs of the sample site:
QR URL → site page → AR on the plaque (fake camera filming the printed marker), camera refused,
language switch, and the saved site opened with the network cut."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from werkzeug.serving import make_server

from ar_service.app import create_app
from ar_service.db import upgrade
from ar_service.importer import import_site
from ar_service.models import EventKind, Job, ScanEvent
from ar_service.services import Services
from tests.browser.camera import render_clip, write_y4m
from tests.browser.chromium import launch
from tests.browser.viewer_support import CHROMIUM_ARGS, require_viewer_build
from tests.conftest import REPO, embedded_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = REPO / "assets" / "sample-mask"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@dataclass(frozen=True)
class Served:
    base: str
    code: str
    services: Services


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample site imported, processed by the real jobs (pipeline, marker compiler) and published."""
    require_viewer_build()
    settings = embedded_settings(tmp_path_factory.mktemp("tourist") / "instance")
    upgrade(settings.database_url)
    app = create_app(settings)
    services: Services = app.extensions["hue_ar"]
    with services.session_factory.begin() as session:
        imported = import_site(session, services.storage, services.queue, SAMPLE, publish=True, actor_id=None)
        code, job_ids = imported.site.code, [job.id for job in imported.jobs]
    with services.session_factory() as session:
        jobs = list(session.scalars(select(Job).where(Job.id.in_(job_ids))))
        assert sorted(job.kind for job in jobs) == ["marker.compile", "model.process"]
        assert all(job.state == "succeeded" for job in jobs), [(j.kind, j.error_message) for j in jobs]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield Served(f"http://127.0.0.1:{http.server_port}", code, services)
    http.shutdown()
    thread.join(timeout=10)
    services.close()


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """A camera exists but permission is never granted: what a tourist who taps "Block" gets."""
    launched = launch(playwright, CHROMIUM_ARGS)
    yield launched
    launched.close()


@dataclass(frozen=True)
class Camera:
    browser: Any
    corners: np.ndarray  # frames × 4 corners × xy, in video pixels


@pytest.fixture(scope="module")
def camera(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Camera]:
    """Chromium whose camera (permission granted) films the plaque's artwork under perspective and motion."""
    with Image.open(SAMPLE / "marker.jpg") as artwork:
        clip = render_clip(artwork.convert("RGB"), seconds=3, fps=15, seed=1)
    video = write_y4m(tmp_path_factory.mktemp("camera") / "plaque.y4m", clip.frames, 15)
    launched = launch(
        playwright,
        [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"],
    )
    yield Camera(launched, clip.corners)
    launched.close()


def _wait_model(page: Any) -> None:
    page.wait_for_function(
        "window.hueViewer && window.hueViewer.state.model !== null"
        " && document.querySelector('model-viewer') && document.querySelector('model-viewer').modelIsVisible",
        timeout=60_000,
    )


def _stage_pixels(page: Any) -> np.ndarray:
    shot = Image.open(io.BytesIO(page.locator(".hue-stage").screenshot())).convert("RGB")
    return np.asarray(shot).astype(int)


def _events(served: Served, kind: EventKind) -> int:
    with served.services.session_factory() as session:
        return len(list(session.scalars(select(ScanEvent).where(ScanEvent.kind == kind))))


def test_scanned_plaque_shows_the_model_anchored_on_it(served: Served, camera: Camera) -> None:
    context = camera.browser.new_context(**PHONE, locale="vi-VN")
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    targets: list[tuple[str, str | None]] = []
    context.on(
        "response",
        lambda r: targets.append((r.url, r.headers.get("content-encoding"))) if ".mind" in r.url else None,
    )
    scans, found = _events(served, EventKind.SCAN), _events(served, EventKind.MARKER_FOUND)
    try:
        page = context.new_page()
        page.goto(f"{served.base}/q/{served.code.lower()}")
        assert page.url.startswith(f"{served.base}/s/sample-mask")
        assert page.locator("h1").inner_text() == "Mặt nạ Bali (hiện vật mẫu)"
        _wait_model(page)
        page.locator('[data-action="start-ar"]').click()
        page.wait_for_function("window.hueViewer.state.markerFound", timeout=60_000)
        state = page.evaluate("window.hueViewer.state")
        assert state["mode"] == "marker" and state["errors"] == []
        # The compiled target travels gzip-encoded and MindAR reads it as the browser inflates it.
        assert targets and all(url.endswith(".mind.gz") and coding == "gzip" for url, coding in targets)
        page.wait_for_timeout(500)

        # The model as drawn: the stage with the overlay shown minus the stage with it hidden,
        # the camera picture hidden in both so that its motion does not count.
        page.evaluate("document.querySelector('.hue-camera').style.visibility = 'hidden'")
        with_model = _stage_pixels(page)
        page.evaluate("document.querySelector('.hue-overlay').style.visibility = 'hidden'")
        without = _stage_pixels(page)
        drawn = np.abs(with_model - without).max(axis=2) > 40
        assert drawn.mean() > 0.005, "the model covers no visible part of the stage"

        # Where the plaque is on screen: the marker's corners over the clip, mapped from video
        # pixels to the stage as the video is shown ("object-fit: cover"), in screenshot pixels.
        geometry = page.evaluate(
            "(() => { const v = document.querySelector('.hue-camera');"
            " const r = document.querySelector('.hue-stage').getBoundingClientRect();"
            " return [v.videoWidth, v.videoHeight, r.width, r.height]; })()"
        )
        video_w, video_h, stage_w, stage_h = geometry
        ratio = drawn.shape[1] / stage_w
        cover = max(stage_w / video_w, stage_h / video_h)
        offset = np.array([(stage_w - video_w * cover) / 2, (stage_h - video_h * cover) / 2])
        on_screen = (camera.corners.reshape(-1, 2) * cover + offset) * ratio
        left, top = on_screen.min(axis=0)
        right, bottom = on_screen.max(axis=0)
        ys, xs = np.nonzero(drawn)
        inside = (xs >= left) & (xs <= right) & (ys >= top) & (ys <= bottom)
        # The mask stands up from the plaque's centre: most of it is drawn over the plaque, and it is
        # centred on it left to right (the clip's motion is why the plaque's whole sweep is the region).
        assert inside.mean() > 0.5
        assert abs(xs.mean() - (left + right) / 2) < 0.2 * (right - left)

        own = (served.base + "/", "data:", "blob:")
        assert [url for url in urls if not url.startswith(own)] == []
        assert _events(served, EventKind.SCAN) == scans + 1
        # The visit's events leave together once they pause (5 s).
        for _ in range(150):
            if _events(served, EventKind.MARKER_FOUND) > found:
                break
            page.wait_for_timeout(100)
        assert _events(served, EventKind.MARKER_FOUND) > found
    finally:
        context.close()


def test_refused_camera_leads_to_the_3d_view_with_a_message_in_french(served: Served, browser: Any) -> None:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{served.base}/s/sample-mask?lang=fr")
        _wait_model(page)
        page.locator('[data-action="start-ar"]').click()
        page.wait_for_function(
            "window.hueViewer.state.errors.some(e => e.code === 'camera_denied')", timeout=60_000
        )
        assert page.evaluate("window.hueViewer.state.mode") == "3d"
        assert page.locator(".hue-status").inner_text().startswith("L'accès à la caméra a été refusé")
        assert page.locator("model-viewer").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_language_follows_the_browser_then_the_tourists_choice(served: Served, browser: Any) -> None:
    context = browser.new_context(**PHONE, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{served.base}/q/{served.code}")
        assert page.evaluate("document.documentElement.lang") == "ja"
        assert page.locator("h1").inner_text() == "バリの仮面（サンプル資料）"
        page.locator('nav.langs a[hreflang="vi"]').click()
        page.wait_for_url("**lang=vi")
        assert page.evaluate("document.documentElement.lang") == "vi"
        assert page.locator('[data-action="start-ar"]').inner_text().startswith("Bắt đầu AR")
    finally:
        context.close()


def test_saved_site_opens_with_the_network_cut(served: Served, browser: Any) -> None:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{served.base}/s/sample-mask?lang=en")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        _wait_model(page)
        page.locator('[data-action="save-offline"]').click()
        page.wait_for_function("window.hueViewer.state.offline === 'saved'", timeout=60_000)
        context.set_offline(True)
        page.reload()
        assert page.locator("h1").inner_text() == "Mask from Bali (sample object)"
        _wait_model(page)
        page.wait_for_timeout(300)
        pixels = _stage_pixels(page)
        h, w, _ = pixels.shape
        centre = pixels[int(h * 0.3) : int(h * 0.7), int(w * 0.3) : int(w * 0.7)]
        assert (np.abs(centre - pixels[2, 2]).max(axis=2) > 40).mean() > 0.2  # the mask, not the backdrop
    finally:
        context.close()


def test_the_service_worker_keeps_tourist_pages_but_no_workspace_page(served: Served, browser: Any) -> None:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{served.base}/s/sample-mask?lang=en")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now through the worker
        page.goto(f"{served.base}/admin/login")
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        kept = page.evaluate(
            "caches.open('hue-ar-v1').then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))"
        )
        assert "/s/sample-mask" in kept
        assert not [path for path in kept if path.startswith("/admin")], kept
        context.set_offline(True)
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
            page.goto(f"{served.base}/admin/login")  # the worker serves no kept copy
    finally:
        context.close()
