"""MindAR 1.2.5 in headless Chromium finds targets from our compiler in a fake-camera clip, at the pose."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from markers.mind.compile import compile_targets
from tests.browser.artwork import textured_artwork
from tests.browser.camera import render_clip, write_y4m
from tests.browser.mind_site import detect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 15
# MindAR's own targets land within 2–6 px of the rendered corners on these clips (640×480).
CORNER_TOLERANCE_PX = 8.0


def _best_match_px(rendered: np.ndarray, seen: list[list[list[float]]]) -> float:
    """Smallest worst-corner distance between any reported anchor and any rendered frame's pose
    (the clip loops at an unknown phase, and tracking may be mid-correction on some samples)."""
    reported = np.asarray(seen)[:, None]  # samples × 1 × 4 corners × xy
    return float(np.abs(rendered[None] - reported).max(axis=3).max(axis=2).min())


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_finds_our_target_at_the_rendered_pose(tmp_path: Path, site_files: Path) -> None:
    # Artwork 21 is avoided here: on it MindAR's tracker settles about 22 px off in half the runs
    # with targets from MindAR's own compiler as much as with ours, so it cannot judge our compiler.
    marker = textured_artwork(23, (480, 360))
    clip = render_clip(marker, seconds=3, fps=FPS, seed=1)
    camera = write_y4m(tmp_path / "marker.y4m", clip.frames, FPS)

    seen = detect(compile_targets([marker]), camera, site_files, timeout_s=8.0)

    assert seen.error is None
    assert seen.backend == "webgl"
    assert seen.found_after_s is not None and seen.found_after_s < 5.0
    assert seen.corners
    assert _best_match_px(clip.corners, seen.corners) < CORNER_TOLERANCE_PX


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_finds_the_second_target_of_a_two_target_file(tmp_path: Path, site_files: Path) -> None:
    first, second = textured_artwork(31), textured_artwork(32, (480, 360))
    clip = render_clip(second, seconds=3, fps=FPS, seed=4)
    camera = write_y4m(tmp_path / "second.y4m", clip.frames, FPS)

    seen = detect(compile_targets([first, second]), camera, site_files, timeout_s=8.0)

    assert seen.found_after_s is not None and seen.found_after_s < 5.0
    assert seen.target == 1
    assert seen.corners
    assert _best_match_px(clip.corners, seen.corners) < CORNER_TOLERANCE_PX


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_never_finds_our_target_in_a_video_of_another_image(tmp_path: Path, site_files: Path) -> None:
    clip = render_clip(textured_artwork(22), seconds=2, fps=FPS, seed=2)
    camera = write_y4m(tmp_path / "other.y4m", clip.frames, FPS)

    seen = detect(compile_targets([textured_artwork(21)]), camera, site_files, timeout_s=6.0)

    assert seen.error is None
    assert seen.backend == "webgl"
    assert seen.found_after_s is None
