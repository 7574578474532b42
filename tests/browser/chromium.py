"""How every browser test starts Debian's chromium: headless, WebGL 2 in software (SwiftShader)."""

from __future__ import annotations

import shutil
from typing import Any

# No GL flag: `--use-gl=swiftshader` leaves no WebGL context (see shared WEBAR_NOTES).
HEADLESS_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Any, args: list[str]) -> Any:
    """Debian's chromium with ``args`` (which carry their own ``--headless=new``)."""
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium"), args=args, ignore_default_args=["--headless"]
    )


def hide_page(page: Any) -> None:
    """What a phone's browser does when the tourist switches app or locks the screen (headless
    Chromium keeps every page visible): the page becomes hidden and is told so."""
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });"
        " document.dispatchEvent(new Event('visibilitychange'))"
    )
