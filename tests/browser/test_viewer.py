"""The built viewer in Chromium: 3D view, LODs, camera refusal, in-app browsers, beacons, offline, AR."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.browser.artwork import textured_artwork
from tests.browser.chromium import hide_page, launch
from tests.browser.viewer_support import (
    CHROMIUM_ARGS,
    ViewerSite,
    compile_mind_target,
    meshopt_glb,
    require_viewer_build,
    serve,
    textured_box_glb,
    write_camera_video,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


STRINGS = {
    "camera_denied": "Bạn đã từ chối quyền camera, đây là chế độ xem 3D.",
    "view_3d": "Xem 3D",
}
ZALO_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 "
    "Zalo android/12100725 ZaloTheme/light ZaloLanguage/vi"
)
FACEBOOK_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.41.106;FBBV/613436163;FBDV/iPhone15,2;FBMD/iPhone;"
    "FBSN/iOS;FBSV/17.5;FBLC/vi_VN]"
)


def _scene(
    models: list[dict[str, Any]], *, marker: bool, target: str = "/files/sha256/mind/target.mind"
) -> dict[str, Any]:
    return {
        "version": 1,
        "placement": {"translation": [0, 0, 0], "rotation": [0, 0, 0, 1], "scale": 1.0},
        "models": models,
        "usdz": None,
        "poster": {"url": "/files/sha256/poster/poster.png", "bytes": 1},
        "marker": {"target_url": target, "bytes": 1, "image_url": "", "width_m": 0.2} if marker else None,
        "annotations": [
            {
                "id": "gate",
                "position": [0, 0.5, 0.5],
                "normal": [0, 0, 1],
                # No Vietnamese text: the manifest gives the English one, and says so.
                "title": "Gate",
                "text": "The main gate",
                "language": "en",
            }
        ],
        "audio": None,
        "captions": None,
        "alt": "Một hộp kẻ ô đỏ và xanh",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewerSite]:
    require_viewer_build()
    root = tmp_path_factory.mktemp("viewer-site")
    work = tmp_path_factory.mktemp("viewer-models")
    viewer_site = ViewerSite(root=root)
    poster = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 110, 90)).save(poster, "PNG")
    viewer_site.add_file("/files/sha256/poster/poster.png", poster.getvalue())
    plain = textured_box_glb(work / "box.glb")
    packed = meshopt_glb(plain, work / "box-meshopt.glb")
    heavy = textured_box_glb(work / "box-1k.glb", texture_px=1024)
    models = []
    levels = (("thumb", plain, None), ("ar", packed, "meshopt"), ("medium", heavy, None))
    for level, file, compression in levels:
        url = viewer_site.add_file(f"/files/sha256/{level}/{file.name}", file.read_bytes())
        models.append({"level": level, "url": url, "bytes": file.stat().st_size, "compression": compression})
    viewer_site.add_site("box", _scene([models[0], models[2]], marker=True), strings=STRINGS)
    viewer_site.add_site("packed", _scene([models[1]], marker=False), strings=STRINGS)
    viewer_site.add_site(
        "box-left", _scene([models[0], models[2]], marker=True), strings=STRINGS, beacon_quiet_ms=600_000
    )
    with serve(viewer_site) as served:
        yield served


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    launched = launch(playwright, CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def ar_browser(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, bytes]]:
    """Chromium whose camera (no permission prompt) films the test plaque; yields (browser, plaque PNG)."""
    plaque = textured_artwork(seed=7)
    video = write_camera_video(tmp_path_factory.mktemp("camera") / "plaque.y4m", plaque)
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    launched = launch(playwright, args)
    png = io.BytesIO()
    plaque.save(png, "PNG")
    yield launched, png.getvalue()
    launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 800, "height": 900})
    yield ctx
    ctx.close()


# (download Mbit/s, latency ms) given to Chromium's network emulation, which navigator.connection reports.
FAST = (50.0, 20)
SLOW_3G = (0.4, 400)


def _open(context: Any, site: ViewerSite, slug: str, network: tuple[float, int] = FAST) -> Any:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    mbps, latency = network
    throughput = mbps * 1e6 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": throughput,
            "uploadThroughput": throughput,
        },
    )
    page.goto(f"{site.origin}/sites/{slug}/")
    page.wait_for_function("window.hueViewer && window.hueViewer.state", timeout=15_000)
    return page


def _wait_model(page: Any, level: str) -> None:
    page.wait_for_function(
        "level => window.hueViewer.state.model === level"
        " && document.querySelector('model-viewer').modelIsVisible",
        arg=level,
        timeout=30_000,
    )


def _wait_beacon(page: Any, site: ViewerSite, event: str, since: int) -> None:
    """Until a beacon holding ``event`` has arrived after the first ``since`` (sent once events pause)."""
    for _ in range(100):
        if event in site.beacon_events()[since:]:
            return
        page.wait_for_timeout(100)


def _centre_differs(page: Any) -> float:
    """Share of the stage's central pixels that differ clearly from its corner (the background)."""
    shot = Image.open(io.BytesIO(page.locator(".hue-stage").screenshot())).convert("RGB")
    pixels = np.asarray(shot).astype(int)
    h, w, _ = pixels.shape
    centre = pixels[int(h * 0.4) : int(h * 0.6), int(w * 0.4) : int(w * 0.6)]
    background = pixels[2, 2]
    return float((np.abs(centre - background).max(axis=2) > 40).mean())


def test_3d_view_renders_the_model_after_the_poster(context: Any, site: ViewerSite) -> None:
    page = _open(context, site, "box")
    _wait_model(page, "medium")
    page.wait_for_timeout(300)
    assert _centre_differs(page) > 0.5
    assert page.locator("img.poster").is_hidden()
    assert page.evaluate("window.hueViewer.state.mode") == "3d"
    assert page.evaluate("window.hueViewer.state.errors") == []


def test_meshopt_model_renders_with_its_annotation_marked_in_its_language(
    context: Any, site: ViewerSite
) -> None:
    page = _open(context, site, "packed")
    _wait_model(page, "ar")
    page.wait_for_timeout(300)
    assert _centre_differs(page) > 0.5
    assert page.evaluate("window.hueViewer.state.errors") == []
    # The annotation (English, in a Vietnamese page) is marked as English on its hotspot and panel.
    assert page.locator(".hue-hotspot").get_attribute("lang") == "en"
    page.evaluate("document.querySelector('.hue-hotspot').click()")
    assert page.locator(".hue-note h3").text_content() == "Gate"
    assert page.locator(".hue-note h3").get_attribute("lang") == "en"
    assert page.locator(".hue-note p").get_attribute("lang") == "en"


def test_lightest_model_loads_before_the_heavier_one_on_a_fast_network(
    context: Any, site: ViewerSite
) -> None:
    first = len(site.requests)
    page = _open(context, site, "box")
    _wait_model(page, "medium")
    glbs = [path for method, path, _ in site.requests[first:] if path.endswith(".glb") and method == "GET"]
    assert glbs == ["/files/sha256/thumb/box.glb", "/files/sha256/medium/box-1k.glb"]


def test_slow_network_gets_only_the_lightest_model(context: Any, site: ViewerSite) -> None:
    first = len(site.requests)
    page = _open(context, site, "box", network=SLOW_3G)
    _wait_model(page, "thumb")
    page.wait_for_timeout(1000)
    glbs = [path for method, path, _ in site.requests[first:] if path.endswith(".glb") and method == "GET"]
    assert glbs == ["/files/sha256/thumb/box.glb"]
    assert page.evaluate("window.hueViewer.state.model") == "thumb"


def test_refused_camera_falls_back_to_3d_view_with_the_message(context: Any, site: ViewerSite) -> None:
    before = len(site.beacons)
    page = _open(context, site, "box")
    _wait_model(page, "medium")
    start = page.locator('[data-action="start-ar"]')
    start.click()
    page.wait_for_function(
        "window.hueViewer.state.errors.some(e => e.code === 'camera_denied')", timeout=30_000
    )
    assert page.evaluate("window.hueViewer.state.mode") == "3d"
    assert page.locator(".hue-status").inner_text() == STRINGS["camera_denied"]
    assert page.locator("model-viewer").is_visible()
    _wait_beacon(page, site, "error", before)
    assert {"event": "error", "detail": "camera_denied"}.items() <= next(
        b for b in site.beacons[before:] if b["event"] == "error"
    ).items()


@pytest.mark.parametrize(
    ("user_agent", "app", "expect_intent"), [(ZALO_ANDROID, "zalo", True), (FACEBOOK_IOS, "facebook", False)]
)
def test_in_app_browser_gets_open_in_browser_guidance_on_a_phone(
    browser: Any, site: ViewerSite, user_agent: str, app: str, expect_intent: bool
) -> None:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, user_agent=user_agent, is_mobile=True, has_touch=True
    )
    try:
        page = _open(ctx, site, "box")
        guidance = page.locator(f'.hue-inapp[data-app="{app}"]')
        guidance.wait_for(timeout=15_000)
        link = guidance.locator("a")
        if expect_intent:
            href = link.get_attribute("href") or ""
            assert href.startswith("intent://127.0.0.1:")
            assert "package=com.android.chrome" in href
        else:
            assert link.count() == 0
            assert "Safari" in guidance.inner_text()
        _wait_model(page, "medium")
        for button in page.locator(".hue-viewer button:visible, .hue-viewer a.hue-button").all():
            box = button.bounding_box()
            assert box is not None
            assert box["width"] >= 48
            assert box["height"] >= 48
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        ctx.close()


def test_a_visit_sends_one_beacon_without_identifiers_when_hidden(context: Any, site: ViewerSite) -> None:
    before, posts_before = len(site.beacons), len([r for r in site.requests if r[0] == "POST"])
    page = _open(context, site, "box-left")  # its beacons wait for the page to be left
    page.wait_for_function("window.hueViewer.state.model !== null", timeout=30_000)
    page.wait_for_timeout(300)
    assert len(site.beacons) == before  # nothing sent while the tourist is looking
    hide_page(page)
    _wait_beacon(page, site, "page", before)
    beacon = site.beacons[before]
    assert beacon["event"] == "page"
    assert beacon["site"] == "box-left"
    assert beacon["language"] == "vi"
    assert beacon["device"] == "desktop-linux"
    assert set(beacon) == {"site", "event", "language", "device", "detail"}
    posts = [headers for method, path, headers in site.requests if method == "POST"][posts_before:]
    assert len(posts) == 1
    assert all("cookie" not in headers for headers in posts)


def test_all_requests_stay_on_our_origin(context: Any, site: ViewerSite) -> None:
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    page = _open(context, site, "box")
    _wait_model(page, "medium")
    # Starting AR loads the AR runtime (MindAR + tfjs) before the camera is asked for (and refused here).
    page.locator('[data-action="start-ar"]').click()
    page.wait_for_function("window.hueViewer.state.errors.length > 0", timeout=30_000)
    foreign = [u for u in urls if not u.startswith((site.origin + "/", "data:", "blob:"))]
    assert any("/assets/mindar-" in u for u in urls)
    assert foreign == []


def test_saved_site_opens_with_the_network_off(context: Any, site: ViewerSite) -> None:
    page = _open(context, site, "box")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    _wait_model(page, "medium")
    page.locator('[data-action="save-offline"]').click()
    page.wait_for_function("window.hueViewer.state.offline === 'saved'", timeout=30_000)
    assert page.locator(".hue-progress").evaluate("p => p.value") == 1
    context.set_offline(True)
    page.reload()
    page.wait_for_function("window.hueViewer && window.hueViewer.state", timeout=15_000)
    _wait_model(page, "medium")
    page.wait_for_timeout(300)
    assert _centre_differs(page) > 0.5


def test_marker_ar_tracks_the_plaque_with_the_camera(ar_browser: tuple[Any, bytes], site: ViewerSite) -> None:
    browser, plaque = ar_browser
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        image_url = site.add_file("/files/sha256/plaque/plaque.png", plaque)
        target = site.add_file("/files/sha256/plaque/target.mind", compile_mind_target(ctx, site, image_url))
        packed = next(
            m for m in json.loads((site.root / "api/v1/sites/packed/scene").read_text())["scene"]["models"]
        )
        site.add_site("plaque", _scene([packed], marker=True, target=target), strings=STRINGS)
        before = len(site.beacons)
        page = _open(ctx, site, "plaque")
        _wait_model(page, "ar")
        page.locator('[data-action="start-ar"]').click()
        page.wait_for_function("window.hueViewer.state.markerFound", timeout=30_000)
        state = page.evaluate("window.hueViewer.state")
        assert state["mode"] == "marker"
        assert state["errors"] == []
        pose = np.array(state["lastPose"]).reshape(4, 4).T  # three.js matrices are column-major
        normal = pose[:3, 2] / np.linalg.norm(pose[:3, 2])
        # The plaque faces the camera: its normal points back along the view axis.
        assert normal[2] > 0.99
        # One anchor unit is the plaque's width; the video shows it 240 px wide at MindAR's focal length
        # (45° vertical FOV of 480 px), so the pinhole model fixes its distance and centres it on the axis.
        focal = 240 / np.tan(np.radians(22.5))
        width = np.linalg.norm(pose[:3, 0])
        assert -pose[2, 3] == pytest.approx(width * focal / 240, rel=0.03)
        assert abs(pose[0, 3]) < 0.02 * width
        assert abs(pose[1, 3]) < 0.02 * width
        _wait_beacon(page, site, "marker_found", before)
        assert "marker_found" in site.beacon_events()[before:]
        assert {"event": "ar_started", "detail": "marker"}.items() <= next(
            b for b in site.beacons[before:] if b["event"] == "ar_started"
        ).items()
    finally:
        ctx.close()


def test_android_chrome_offers_ground_ar_through_scene_viewer(browser: Any, site: ViewerSite) -> None:
    android = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
    )
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=android, is_mobile=True)
    try:
        before = len(site.beacons)
        page = _open(ctx, site, "packed")
        _wait_model(page, "ar")
        ground = page.locator('[data-action="ar-ground"]')
        ground.wait_for(state="visible", timeout=10_000)
        ground.click()
        page.wait_for_function("window.hueViewer.state.mode === 'ground'", timeout=10_000)
        _wait_beacon(page, site, "ar_started", before)
        started = [b for b in site.beacons[before:] if b["event"] == "ar_started"]
        assert started
        assert started[0]["detail"] == "ground"
        assert started[0]["device"] == "mobile-android"
    finally:
        ctx.close()
