"""Browser-suite fixtures: Playwright, MindAR availability and a scratch directory served to the harness."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.mind_site import mindar_missing


@pytest.fixture
def mindar_ready() -> None:
    """Skip (with the reason printed) when chromium or the pinned mind-ar package is absent."""
    reason = mindar_missing()
    if reason is not None:
        print(f"skipping MindAR browser check: {reason}")
        pytest.skip(reason)


@pytest.fixture
def site_files(tmp_path: Path) -> Path:
    files = tmp_path / "site"
    files.mkdir()
    return files


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright driving Debian's chromium; skipped, with the reason, where it is not installed."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running
