"""Tourist benchmark: a phone on a mobile network scans the sample site's QR, sees the model, then the plaque.

Run: ``.venv/bin/python benchmarks/tourist_bench.py`` (needs Debian's ``chromium`` and the built viewer,
``make viewer``). The sample site is imported and processed by the real jobs into a scratch instance and
served by waitress on 127.0.0.1; Chromium (390×844, touch, a fake camera filming the plaque artwork under
perspective and motion) gets its network shaped through CDP for each profile. Per profile and for a cold and
a warm (second) visit it prints: time and bytes to the page being readable, to the first model frame and to
the marker found, and how many requests reached our server. Goals from the tourist-path issue are printed
beside the figures. Times and bytes come from the page's own clock and Resource Timing (transfer sizes up to
each moment; our server does not compress, so a gzip-ing proxy would send fewer); origin requests are the
GETs that reached our server. JSON goes to ``benchmarks/out/tourist_bench.json``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ar_service import create_app  # noqa: E402 - after the path setup above
from ar_service.db import upgrade  # noqa: E402
from ar_service.importer import import_site  # noqa: E402
from ar_service.settings import Settings  # noqa: E402
from tests.browser.camera import render_clip, write_y4m  # noqa: E402
from tests.browser.viewer_support import CHROMIUM_ARGS  # noqa: E402

SAMPLE = REPO / "assets" / "sample-mask"
OUT = REPO / "benchmarks" / "out"
# (name, download Mbit/s, round-trip ms): the 4G-ish and weak-3G profiles.
PROFILES = [("9 Mbit/s, 150 ms", 9.0, 150), ("1.6 Mbit/s, 150 ms", 1.6, 150)]
GOAL_FIRST_FRAME_S = {"9 Mbit/s, 150 ms": 3.0, "1.6 Mbit/s, 150 ms": 8.0}
GOAL_BYTES_FIRST_FRAME = 1.5e6
# Checked on every animation frame in the page, so the time is the page's own, not a polling delay.
FIRST_FRAME_PROBE = """
const probe = () => {
  const viewer = document.querySelector("model-viewer");
  if (viewer && viewer.modelIsVisible) {
    window.firstFrameAt = performance.now();
    window.firstFrameLevel = window.hueViewer.state.model;
  } else requestAnimationFrame(probe);
};
requestAnimationFrame(probe);
"""
# Bytes over the network up to a moment of the page's clock, from Resource Timing (same origin: exact sizes).
BYTES_BY = """moment => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .filter(entry => entry.responseEnd <= moment)
  .reduce((sum, entry) => sum + entry.transferSize, 0)"""


@dataclass
class Visit:
    profile: str
    cache: str  # cold | warm
    readable_s: float
    readable_bytes: int
    first_frame_s: float
    first_frame_bytes: int
    first_level: str
    marker_found_s: float | None
    total_bytes: int
    origin_requests: int


class CountingApp:
    """WSGI middleware counting the GET requests that reach the server (what a repeat visit costs us)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.gets = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET":  # beacons (POST) are analytics, not loading
            self.gets += 1
        return self.app(environ, start_response)


def serve(instance: Path) -> tuple[str, str, CountingApp]:
    settings = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(instance), "HUE_AR_WORKER_MODE": "immediate"})
    upgrade(settings.database_url)
    app = create_app(settings)
    services = app.extensions["hue_ar"]
    with services.session_factory.begin() as session:
        code = import_site(
            session, services.storage, services.queue, SAMPLE, publish=True, actor_id=None
        ).site.code
    from waitress import create_server

    counting = CountingApp(app)
    server = create_server(counting, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", code, counting


def visit(
    context: Any, base: str, code: str, profile: tuple[str, float, int], cache: str, counting: CountingApp
) -> Visit:
    name, mbps, rtt = profile
    page = context.new_page()
    page.add_init_script(FIRST_FRAME_PROBE)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    throughput = mbps * 1e6 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": rtt,
            "downloadThroughput": throughput,
            "uploadThroughput": throughput / 4,
        },
    )
    gets = counting.gets
    page.goto(f"{base}/q/{code}", wait_until="domcontentloaded")
    page.locator("h1").wait_for()
    readable_ms = page.evaluate('performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd')
    page.wait_for_function("window.firstFrameAt !== undefined", timeout=120_000)
    origin_requests = counting.gets - gets
    # The page's own clock: navigation start (the /q/ request) to model-viewer's first visible frame.
    first_ms = page.evaluate("window.firstFrameAt")
    first_level = str(page.evaluate("window.firstFrameLevel"))
    marker_found_s = None
    page.locator('[data-action="start-ar"]').click()
    try:
        page.wait_for_function("window.hueViewer.state.markerFound", timeout=60_000)
        marker_found_s = page.evaluate("performance.now()") / 1000
    except Exception as error:  # a miss is a result to print, not a crash of the benchmark
        print(f"  marker not found ({cache}, {name}): {error.__class__.__name__}")
    readable_bytes, first_bytes, total = (
        int(page.evaluate(BYTES_BY, moment)) for moment in (readable_ms, first_ms, 1e12)
    )
    page.close()
    return Visit(
        name,
        cache,
        readable_ms / 1000,
        readable_bytes,
        first_ms / 1000,
        first_bytes,
        first_level,
        marker_found_s,
        total,
        origin_requests,
    )


def main() -> None:
    if shutil.which("chromium") is None:
        sys.exit("Debian's chromium is not installed: apt-get install chromium")
    if not (REPO / "ar_service" / "static" / "viewer" / ".vite" / "manifest.json").exists():
        sys.exit("the viewer is not built: make viewer")
    from playwright.sync_api import sync_playwright

    visits: list[Visit] = []
    with tempfile.TemporaryDirectory(prefix="hue-ar-tourist-") as scratch:
        root = Path(scratch)
        base, code, counting = serve(root / "instance")
        with Image.open(SAMPLE / "marker.jpg") as artwork:
            clip = render_clip(artwork.convert("RGB"), seconds=3, fps=15, seed=1)
        video = write_y4m(root / "plaque.y4m", clip.frames, 15)
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=args, ignore_default_args=["--headless"]
            )
            phone: dict[str, Any] = {
                "viewport": {"width": 390, "height": 844},
                "is_mobile": True,
                "has_touch": True,
            }
            for profile in PROFILES:
                # Cold: service workers blocked, so that every byte of a first visit goes through the
                # shaped network (a worker's own fetches would escape the page's CDP emulation).
                cold = browser.new_context(**phone, locale="vi-VN", service_workers="block")
                visits.append(visit(cold, base, code, profile, "cold", counting))
                cold.close()
                # Warm: a second visit after a first one installed the service worker and filled caches.
                warm = browser.new_context(**phone, locale="vi-VN")
                visit(warm, base, code, profile, "first", counting)
                visits.append(visit(warm, base, code, profile, "warm", counting))
                warm.close()
            browser.close()

    print(
        f"{'profile':20} {'cache':5} {'readable':>14} {'first frame':>17} {'level':>6} {'marker':>7} "
        f"{'total MB':>8} {'origin req':>10}"
    )
    for v in visits:
        marker = f"{v.marker_found_s:.1f}s" if v.marker_found_s is not None else "-"
        print(
            f"{v.profile:20} {v.cache:5} {v.readable_s:5.2f}s {v.readable_bytes / 1e3:6.0f} KB "
            f"{v.first_frame_s:6.2f}s {v.first_frame_bytes / 1e6:6.2f} MB {v.first_level:>6} {marker:>7} "
            f"{v.total_bytes / 1e6:8.2f} {v.origin_requests:10d}"
        )
    print("goals: ≤ 1.5 MB before the first model frame; first frame ≤ 3 s (9 Mbit/s), ≤ 8 s (1.6 Mbit/s);")
    print("       a repeat visit makes 1 origin request (GETs up to the first model frame)")
    for v in visits:
        if v.cache != "cold":
            continue
        frame_ok = v.first_frame_s <= GOAL_FIRST_FRAME_S[v.profile]
        bytes_ok = v.first_frame_bytes <= GOAL_BYTES_FIRST_FRAME
        verdicts = f"first frame {'met' if frame_ok else 'MISSED'}, bytes {'met' if bytes_ok else 'MISSED'}"
        print(f"  {v.profile}: {verdicts}")
    for v in visits:
        if v.cache == "warm":
            verdict = "met" if v.origin_requests <= 1 else "MISSED"
            print(f"  {v.profile} warm: {v.origin_requests} origin requests ({verdict})")
    OUT.mkdir(exist_ok=True)
    (OUT / "tourist_bench.json").write_text(json.dumps([asdict(v) for v in visits], indent=2) + "\n")


if __name__ == "__main__":
    main()
