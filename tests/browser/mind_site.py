"""A local static site for the MindAR harness and a Chromium launcher with a fake camera."""

from __future__ import annotations

import base64
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.browser.chromium import HEADLESS_ARGS

REPO = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).parent / "harness"
MINDAR_DIST = REPO / "tools" / "mindar" / "node_modules" / "mind-ar" / "dist"

# A fake camera whose permission is granted without a prompt.
CHROMIUM_ARGS = [*HEADLESS_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


class _Handler(SimpleHTTPRequestHandler):
    """Serves the harness at /, MindAR's dist at /mindar/ and test files at /files/."""

    extensions_map = {  # noqa: RUF012 - overrides the stdlib's class attribute, never mutated
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mind": "application/octet-stream",
    }

    def __init__(self, *args: Any, files: Path, **kwargs: Any) -> None:
        self._files = files
        super().__init__(*args, directory=str(HARNESS), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0]
        for prefix, root in (("/mindar/", MINDAR_DIST), ("/files/", self._files)):
            if clean.startswith(prefix):
                return str(root / clean[len(prefix) :].lstrip("/"))
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serve(files: Path) -> Iterator[str]:
    """Serve on 127.0.0.1 at a free port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, files=files))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str | None:
    return shutil.which("chromium")


def mindar_missing() -> str | None:
    """Why the MindAR browser checks cannot run here, or None."""
    if chromium_path() is None:
        return "Debian chromium is not installed (apt-get install chromium)"
    if not (MINDAR_DIST / "mindar-image.prod.js").exists():
        return "mind-ar not installed: run `cd tools/mindar && npm ci --ignore-scripts`"
    return None


@contextmanager
def chromium_page(camera: Path | None = None) -> Iterator[Any]:
    """A Playwright page in Debian's chromium; `camera` is the y4m clip the fake webcam plays in a loop."""
    from playwright.sync_api import sync_playwright

    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, ignore_default_args=["--headless"], args=args
        )
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            yield page
        finally:
            browser.close()


@dataclass(frozen=True)
class Detection:
    """What the harness saw: tfjs backend, seconds from `processVideo` start to first found, which target,
    and the anchor corners in video pixels (TL, TR, BR, BL) sampled every 0.1 s while it settled."""

    backend: str | None
    found_after_s: float | None
    target: int | None
    corners: list[list[list[float]]]
    error: str | None


def detect(
    mind: bytes, camera: Path, files: Path, *, timeout_s: float = 8.0, settle_s: float = 1.0
) -> Detection:
    """Load `mind` in MindAR with `camera` as the webcam; wait ≤ `timeout_s` for a find, then `settle_s`."""
    (files / "target.mind").write_bytes(mind)
    with serve(files) as base, chromium_page(camera) as page:
        page.goto(f"{base}/mind.html")
        page.wait_for_function("window.harnessReady === true")
        page.evaluate("window.mindTrack('/files/target.mind')")  # resolves only when processing ends
        page.wait_for_function("['running', 'error'].includes(window.mind.phase)", timeout=60_000)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and page.evaluate(
            "window.mind.foundAt === null && window.mind.phase === 'running'"
        ):
            time.sleep(0.1)
        samples = []
        if page.evaluate("window.mind.foundAt !== null"):
            settled = time.monotonic() + settle_s
            while time.monotonic() < settled:
                if (corners := page.evaluate("window.mind.corners")) is not None:
                    samples.append(corners)
                time.sleep(0.1)
        state = page.evaluate("window.mind")
    found = state["foundAt"]
    return Detection(
        backend=state["backend"],
        found_after_s=None if found is None else (found - state["startedAt"]) / 1000,
        target=state.get("target"),
        corners=samples,
        error=state["error"],
    )


def mindar_compile(image_png: Path, files: Path) -> tuple[float, bytes]:
    """MindAR's own in-page compiler on `image_png`: (seconds, .mind bytes)."""
    shutil.copy(image_png, files / "reference.png")
    with serve(files) as base, chromium_page() as page:
        page.goto(f"{base}/mind.html")
        page.wait_for_function("window.harnessReady === true")
        result = page.evaluate("window.mindCompile('/files/reference.png')")
    return float(result["seconds"]), base64.b64decode(result["base64"])
