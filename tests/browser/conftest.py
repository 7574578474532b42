"""Browser-suite fixtures: MindAR availability and a scratch directory served to the harness."""

from __future__ import annotations

from pathlib import Path

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
