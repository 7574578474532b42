"""Tourist benchmark: a phone on a mobile network scans the sample site's QR, sees the model, then the plaque.

Run: ``.venv/bin/python benchmarks/tourist_bench.py`` (needs Debian's ``chromium`` and the built viewer,
``make viewer``). The sample site is imported and processed by the real jobs (pipeline, marker compiler)
into a scratch instance and served by waitress on 127.0.0.1. Chromium (390×844, touch, a fake camera
filming the plaque artwork under perspective and motion) has its network shaped through CDP: the page
with ``Network.emulateNetworkConditions`` (which also sets ``navigator.connection``, read by the viewer)
and the service worker, whose own fetches escape the page's emulation, with
``Network.emulateNetworkConditionsByRule``.

Per profile, a cold visit (fresh context, QR URL) then a warm one (second visit in the same context, site
URL, once the page's and the manifest's ``max-age`` has run out, as for a tourist coming back later): time
to the page readable (DOMContentLoaded and poster loaded), to the first model frame (``hueViewer.state.model``
set and ``modelIsVisible``) and to the marker found after tapping "Start AR"; bytes Chromium received from
the network (``encodedDataLength``: headers and bodies, page and worker) by the page readable, before the
first frame and in all (the service sends the viewer's files precompressed, brotli, and compresses pages and
manifests); the requests that reached our server, the visit's batched beacon included (sent as the tourist
leaves). Goals from the tourist-path issue are printed beside the figures; JSON goes to
``benchmarks/out/tourist_bench.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ar_service.app import create_app  # noqa: E402 - after the path setup above
from ar_service.db import upgrade  # noqa: E402
from ar_service.importer import import_site  # noqa: E402
from ar_service.settings import Settings  # noqa: E402
from tests.browser.camera import render_clip, write_y4m  # noqa: E402
from tests.browser.chromium import hide_page, launch  # noqa: E402
from tests.browser.viewer_support import CHROMIUM_ARGS  # noqa: E402

SAMPLE = REPO / "assets" / "sample-mask"
OUT = REPO / "benchmarks" / "out"
GOAL_BYTES_FIRST_FRAME = 1.5e6
GOAL_REPEAT_REQUESTS = 1


@dataclass(frozen=True)
class Profile:
    name: str
    down_mbps: float
    rtt_ms: int
    goal_first_frame_s: float

    def conditions(self) -> dict[str, Any]:
        throughput = self.down_mbps * 1e6 / 8
        return {"latency": self.rtt_ms, "downloadThroughput": throughput, "uploadThroughput": throughput}


PROFILES = [Profile("9 Mbit/s 150 ms", 9.0, 150, 3.0), Profile("1.6 Mbit/s 150 ms", 1.6, 150, 8.0)]


@dataclass
class OriginRequest:
    method: str
    path: str
    status: str = ""
    cache_control: str = ""


class OriginLog:
    """WSGI middleware: every request that reaches our server, with its status and caching."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests: list[OriginRequest] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING")
        entry = OriginRequest(
            environ["REQUEST_METHOD"], environ["PATH_INFO"] + (f"?{query}" if query else "")
        )

        def recording_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            entry.status = status.split()[0]
            entry.cache_control = {k.lower(): v for k, v in headers}.get("cache-control", "")
            return start_response(status, headers, *args)

        with self.lock:
            self.requests.append(entry)
        return self.app(environ, recording_start)

    def since(self, start: int) -> list[OriginRequest]:
        with self.lock:
            return list(self.requests[start:])

    def max_age_s(self, prefixes: tuple[str, ...]) -> int:
        """The longest ``max-age`` our server gave a path starting with one of ``prefixes``."""
        found = (
            re.search(r"max-age=(\d+)", r.cache_control) for r in self.since(0) if r.path.startswith(prefixes)
        )
        return max((int(age[1]) for age in found if age), default=0)


@dataclass
class Transfer:
    key: str
    url: str
    start: float  # epoch seconds
    end: float | None = None
    bytes: int = 0
    source: str = "network"  # network | worker (answered by the service worker) | cache


class NetworkLog:
    """Chromium's Network events for the page and its service worker, as transfers with epoch times."""

    def __init__(self) -> None:
        self.transfers: dict[str, Transfer] = {}
        self.clock: dict[str, tuple[float, float]] = {}  # request id → (wallTime, monotonic timestamp)
        self.shaped: set[str] = set()  # requests a network-conditions rule applied to
        self.worker_scripts: set[str] = set()  # fetched by the browser before their worker can be shaped
        self.lock = threading.Lock()

    def _epoch(self, key: str, timestamp: float) -> float:
        wall, mono = self.clock[key]
        return wall + (timestamp - mono)

    def on_event(self, origin: str, method: str, params: dict[str, Any]) -> None:
        key = f"{origin}:{params.get('requestId')}"
        with self.lock:
            if method == "Network.requestWillBeSentExtraInfo" and params.get("appliedNetworkConditionsId"):
                self.shaped.add(key)
            elif method == "Network.requestWillBeSent":
                redirect = params.get("redirectResponse")
                if redirect is not None and key in self.transfers:
                    # A redirect reuses the request id: close the 3xx as its own transfer.
                    done = self.transfers.pop(key)
                    done.end = self._epoch(key, params["timestamp"])
                    done.bytes = int(redirect.get("encodedDataLength", 0))
                    self.transfers[f"{key}:{done.url}"] = done
                if not params["request"]["url"].startswith("http"):
                    return  # data: and blob: URLs never reach the network
                self.clock[key] = (params["wallTime"], params["timestamp"])
                self.transfers[key] = Transfer(key, params["request"]["url"], params["wallTime"])
            elif key not in self.transfers:
                return
            elif method == "Network.responseReceived":
                response = params["response"]
                if response.get("fromServiceWorker"):
                    self.transfers[key].source = "worker"
                elif response.get("fromDiskCache") or response.get("fromPrefetchCache"):
                    self.transfers[key].source = "cache"
            elif method == "Network.requestServedFromCache":
                self.transfers[key].source = "cache"
            elif method in ("Network.loadingFinished", "Network.loadingFailed"):
                transfer = self.transfers[key]
                transfer.end = self._epoch(key, params["timestamp"])
                if method == "Network.loadingFinished" and transfer.source == "network":
                    transfer.bytes = int(params["encodedDataLength"])

    def mark(self) -> int:
        with self.lock:
            return len(self.transfers)

    def since(self, start: int) -> list[Transfer]:
        with self.lock:
            return list(self.transfers.values())[start:]

    def unshaped_worker_fetches(self, transfers: list[Transfer]) -> list[str]:
        """Service-worker fetches that reached the network without the profile's conditions applied."""
        with self.lock:
            return [
                urlsplit(t.url).path
                for t in transfers
                if t.key.startswith("worker")
                and t.source == "network"
                and t.bytes
                and t.key not in self.shaped
                and t.url not in self.worker_scripts
            ]

    def add_worker_script(self, url: str) -> None:
        with self.lock:
            self.worker_scripts.add(url)

    def pending(self) -> int:
        with self.lock:
            return sum(1 for t in self.transfers.values() if t.end is None)


class WorkerShaper:
    """Shapes the fetches of the workers a page uses (its service worker included) like the page's own.

    The page's session auto-attaches to them paused and not flattened, so that their messages go through
    it; each then gets ``Network.enable``, the profile as a rule (ignored if it comes before the enable has
    completed), and only then runs: none of its fetches escapes the shaping.
    """

    ENABLE, SHAPE, RUN = 1, 2, 3  # message ids of the three steps

    def __init__(self, cdp: Any, profile: Profile, log: NetworkLog, source: str) -> None:
        self.cdp, self.profile, self.log, self.source = cdp, profile, log, source
        cdp.on("Target.attachedToTarget", self._attached)
        cdp.on("Target.receivedMessageFromTarget", self._message)
        cdp.send(
            "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False}
        )

    def _send(self, session: str, step: int, method: str, params: dict[str, Any]) -> None:
        message = json.dumps({"id": step, "method": method, "params": params})
        with contextlib.suppress(PlaywrightError):  # the page or the worker has closed meanwhile
            self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": message})

    def _attached(self, event: dict[str, Any]) -> None:
        if event["targetInfo"]["type"] in ("service_worker", "worker"):
            self.log.add_worker_script(event["targetInfo"]["url"])
            self._send(event["sessionId"], self.ENABLE, "Network.enable", {})
        else:
            self._send(event["sessionId"], self.RUN, "Runtime.runIfWaitingForDebugger", {})

    def _message(self, event: dict[str, Any]) -> None:
        session, message = event["sessionId"], json.loads(event["message"])
        if message.get("id") == self.ENABLE:
            rule = {"urlPattern": "", "offline": False, **self.profile.conditions()}
            self._send(
                session,
                self.SHAPE,
                "Network.emulateNetworkConditionsByRule",
                {"matchedNetworkConditions": [rule]},
            )
        elif message.get("id") == self.SHAPE:
            self._send(session, self.RUN, "Runtime.runIfWaitingForDebugger", {})
        elif str(message.get("method", "")).startswith("Network."):
            self.log.on_event(f"worker-{self.source}-{session}", message["method"], message["params"])


# Marks on the page's clock (ms since navigation start): poster loaded, first model frame, AR tap, marker.
MARKS_SCRIPT = """
window.__bench = {};
const mark = (name) => { if (!(name in window.__bench)) window.__bench[name] = performance.now(); };
const on = (type, selector, name) => document.addEventListener(type, (e) => {
  if (e.target.closest && e.target.closest(selector)) mark(name);
}, true);
on("load", "img.poster", "poster");
on("click", '[data-action="start-ar"]', "tap");
document.addEventListener("hue-viewer:state", (e) => {
  if (e.detail.markerFound) mark("marker");
  if (!e.detail.model || "frame" in window.__bench) return;
  const viewer = document.querySelector("model-viewer");
  const level = e.detail.model;
  const look = () => {
    if (!viewer || !viewer.modelIsVisible) return requestAnimationFrame(look);
    mark("frame");
    window.__bench.level = level;
  };
  look();
});
"""


@dataclass
class Visit:
    profile: str
    cache: str  # cold | warm
    url: str
    readable_s: float
    bytes_readable: int
    first_frame_s: float
    network_done_s: float  # the last byte received before the first frame
    first_level: str
    marker_found_s: float | None
    marker_after_tap_s: float | None
    bytes_first_frame: int
    bytes_total: int
    origin_gets: int
    origin_posts: int
    origin_requests: list[str] = field(default_factory=list)
    before_first_frame: list[str] = field(default_factory=list)
    unshaped_worker_fetches: list[str] = field(default_factory=list)


def _settle(log: NetworkLog, quiet_s: float = 1.0, limit_s: float = 60.0) -> None:
    """Waits until no transfer has been pending for `quiet_s`: a visit's tail stays out of the next."""
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if log.pending():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        time.sleep(0.1)


def visit(context: Any, url: str, profile: Profile, cache: str, origin: OriginLog, log: NetworkLog) -> Visit:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile.conditions()})
    first_request, first_transfer = len(origin.since(0)), log.mark()
    source = f"page{first_transfer}"  # request ids are unique per page, not across pages
    WorkerShaper(cdp, profile, log, source)
    for event in (
        "requestWillBeSent",
        "responseReceived",
        "requestServedFromCache",
        "loadingFinished",
        "loadingFailed",
    ):
        cdp.on(f"Network.{event}", lambda params, m=f"Network.{event}": log.on_event(source, m, params))
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("window.__bench && 'frame' in window.__bench", timeout=120_000, polling=100)
    page.locator('[data-action="start-ar"]').click()
    try:
        page.wait_for_function("'marker' in window.__bench", timeout=60_000, polling=100)
    except Exception as error:  # a miss is a figure to print, not a crash of the benchmark
        print(f"  marker not found ({profile.name}, {cache}): {error.__class__.__name__}")
    marks = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {...window.__bench, dcl: n.domContentLoadedEventEnd, origin: performance.timeOrigin}; })()"
    )
    _settle(log)
    # The tourist walks on (switches app, locks the phone): the page is hidden and its batched beacon
    # leaves, counted with the visit.
    hide_page(page)
    time.sleep(1.0)
    page.close()
    start, readable_s = marks["origin"] / 1000, max(marks["dcl"], marks.get("poster", 0.0)) / 1000
    frame_epoch = start + marks["frame"] / 1000
    transfers = log.since(first_transfer)
    received = [t for t in transfers if t.source == "network" and t.end is not None]
    before_frame = [t for t in received if t.end is not None and t.end <= frame_epoch]
    requests = origin.since(first_request)
    return Visit(
        profile=profile.name,
        cache=cache,
        url=urlsplit(url).path,
        readable_s=readable_s,
        bytes_readable=sum(t.bytes for t in received if t.end is not None and t.end <= start + readable_s),
        first_frame_s=marks["frame"] / 1000,
        network_done_s=max((t.end for t in before_frame if t.end is not None), default=start) - start,
        first_level=str(marks["level"]),
        marker_found_s=marks["marker"] / 1000 if "marker" in marks else None,
        marker_after_tap_s=(marks["marker"] - marks["tap"]) / 1000 if "marker" in marks else None,
        bytes_first_frame=sum(t.bytes for t in before_frame),
        bytes_total=sum(t.bytes for t in received),
        origin_gets=sum(1 for r in requests if r.method == "GET"),
        origin_posts=sum(1 for r in requests if r.method != "GET"),
        origin_requests=[f"{r.method} {r.path} {r.status}" for r in requests],
        before_first_frame=[
            f"{urlsplit(t.url).path} {t.bytes} B at {t.end - start:.2f} s"
            for t in before_frame
            if t.end is not None
        ],
        unshaped_worker_fetches=log.unshaped_worker_fetches(received),
    )


def serve(instance: Path) -> tuple[str, str, OriginLog]:
    """The sample site imported, processed by the real jobs and published, served by waitress."""
    from waitress import create_server

    settings = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(instance), "HUE_AR_WORKER_MODE": "immediate"})
    upgrade(settings.database_url)
    app = create_app(settings)
    services = app.extensions["hue_ar"]
    with services.session_factory.begin() as session:
        imported = import_site(session, services.storage, services.queue, SAMPLE, publish=True, actor_id=None)
        code = imported.site.code
    origin = OriginLog(app)
    server = create_server(origin, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", code, origin


def report(visits: list[Visit]) -> None:
    print(
        f"{'profile':17} {'cache':5} {'readable':>8} {'KB':>4} {'net done':>8} {'1st frame':>9} {'level':>6}"
        f" {'marker (tap+)':>14} {'MB to frame':>11} {'MB total':>8} {'origin GET+POST':>15}"
    )
    for v in visits:
        marker = "missed"
        if v.marker_found_s is not None and v.marker_after_tap_s is not None:
            marker = f"{v.marker_found_s:.2f}s ({v.marker_after_tap_s:.1f})"
        megabytes = f"{v.bytes_first_frame / 1e6:11.2f} {v.bytes_total / 1e6:8.2f}"
        print(
            f"{v.profile:17} {v.cache:5} {v.readable_s:7.2f}s {v.bytes_readable / 1e3:4.0f}"
            f" {v.network_done_s:7.2f}s"
            f" {v.first_frame_s:8.2f}s {v.first_level:>6} {marker:>14} {megabytes}"
            f" {v.origin_gets:>11} + {v.origin_posts}"
        )
    for v in visits:
        if v.unshaped_worker_fetches:
            escaped = ", ".join(v.unshaped_worker_fetches)
            print(f"  warning: service-worker fetches escaped shaping ({v.profile}, {v.cache}): {escaped}")
    print("\ngoals (cold visits for bytes and first frame, warm visits for origin requests):")
    profiles = {p.name: p for p in PROFILES}
    for v in visits:
        if v.cache == "cold":
            goal = profiles[v.profile].goal_first_frame_s
            print(
                f"  {v.profile}: first frame {v.first_frame_s:.2f} s vs ≤ {goal:.0f} s"
                f" {'met' if v.first_frame_s <= goal else 'NOT MET'};"
                f" {v.bytes_first_frame / 1e6:.2f} MB before it vs ≤ 1.5 MB"
                f" {'met' if v.bytes_first_frame <= GOAL_BYTES_FIRST_FRAME else 'NOT MET'}"
            )
        else:
            count = v.origin_gets
            print(
                f"  {v.profile} repeat visit: {count} origin request to load vs {GOAL_REPEAT_REQUESTS}"
                f" {'met' if count <= GOAL_REPEAT_REQUESTS else 'NOT MET'}, plus {v.origin_posts} analytics"
                f" beacon(s): {', '.join(v.origin_requests)}"
            )


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()  # --help, no options
    if shutil.which("chromium") is None:
        sys.exit("Debian's chromium is not installed: apt-get install chromium")
    if not (REPO / "ar_service" / "static" / "viewer" / ".vite" / "manifest.json").exists():
        sys.exit("the viewer is not built: make viewer")
    visits: list[Visit] = []
    with tempfile.TemporaryDirectory(prefix="hue-ar-tourist-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        base, code, origin = serve(root / "instance")
        print(f"sample site imported and processed in {time.perf_counter() - started:.1f} s")
        with Image.open(SAMPLE / "marker.jpg") as artwork:
            clip = render_clip(artwork.convert("RGB"), seconds=3, fps=15, seed=1)
        video = write_y4m(root / "plaque.y4m", clip.frames, 15)
        camera = ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
        with sync_playwright() as playwright:
            browser = launch(playwright, [*CHROMIUM_ARGS, *camera])
            log = NetworkLog()
            for profile in PROFILES:
                context = browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN"
                )
                context.add_init_script(MARKS_SCRIPT)
                cold_at = time.monotonic()
                visits.append(visit(context, f"{base}/q/{code}", profile, "cold", origin, log))
                # Back later: once the page and its manifest are stale (content-hashed files never are).
                stale_after = origin.max_age_s(("/s/", "/api/v1/sites/"))
                time.sleep(max(0.0, cold_at + stale_after + 1 - time.monotonic()))
                visits.append(visit(context, f"{base}/s/sample-mask", profile, "warm", origin, log))
                context.close()
            browser.close()
    report(visits)
    OUT.mkdir(exist_ok=True)
    (OUT / "tourist_bench.json").write_text(json.dumps([asdict(v) for v in visits], indent=2) + "\n")


if __name__ == "__main__":
    main()
