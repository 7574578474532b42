"""Fixtures for the pipeline suite: sample scans, and the Khronos glTF-Validator via Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
FUZE = REPO / "tests" / "data" / "fuze"
NODE_TOOLS = REPO / "tools" / "node"

Validator = Callable[[Path], dict[str, Any]]


def shared_sample(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"sample scan {'/'.join(parts)} not found under ../shared/data")
    return path


@pytest.fixture
def bali_mask() -> Path:
    """The real photogrammetry mask, bundled as the demo's sample content (CC BY-SA 4.0)."""
    return REPO / "assets" / "sample-mask" / "model"


@pytest.fixture
def gargoyle() -> Path:
    return shared_sample("gargoyle-3dhop", "gargo.ply")


@pytest.fixture
def fuze(tmp_path: Path) -> Path:
    """A private copy of the fuze bottle folder (tests may add hostile files next to it)."""
    return Path(shutil.copytree(FUZE, tmp_path / "fuze"))


@pytest.fixture(scope="session")
def validate() -> Validator:
    """Run the Khronos glTF-Validator (tools/node, `npm ci`) on a GLB; returns its report."""
    node = shutil.which("node")
    if node is None or not (NODE_TOOLS / "node_modules" / "gltf-validator").is_dir():
        pytest.skip("glTF-Validator not installed: run `npm ci` in tools/node")

    def run(path: Path) -> dict[str, Any]:
        done = subprocess.run(
            [node, str(NODE_TOOLS / "validate.mjs"), str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        report: dict[str, Any] = json.loads(done.stdout.splitlines()[0])
        return report

    return run


def error_messages(report: dict[str, Any]) -> list[str]:
    return [
        f"{m['code']} {m.get('pointer')}: {m['message']}"
        for m in report["issues"]["messages"]
        if m["severity"] == 0
    ]
