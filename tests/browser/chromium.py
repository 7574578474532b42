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
