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
CORNER_TOLERANCE_PX = 6.0


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_finds_our_target_at_the_rendered_pose(tmp_path: Path, site_files: Path) -> None:
    marker = textured_artwork(21)
    clip = render_clip(marker, seconds=3, fps=FPS, seed=1)
    camera = write_y4m(tmp_path / "marker.y4m", clip.frames, FPS)

    seen = detect(compile_targets([marker]), camera, site_files, timeout_s=8.0)

    assert seen.error is None
    assert seen.backend == "webgl"
    assert seen.found_after_s is not None and seen.found_after_s < 5.0
    assert seen.corners is not None
    # The clip loops at an unknown phase: the anchor must match the pose of some frame.
    errors = np.abs(clip.corners - np.asarray(seen.corners)[None]).max(axis=2).max(axis=1)
    assert errors.min() < CORNER_TOLERANCE_PX


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_finds_the_second_target_of_a_two_target_file(tmp_path: Path, site_files: Path) -> None:
    first, second = textured_artwork(31), textured_artwork(32, (480, 360))
    clip = render_clip(second, seconds=3, fps=FPS, seed=4)
    camera = write_y4m(tmp_path / "second.y4m", clip.frames, FPS)

    seen = detect(compile_targets([first, second]), camera, site_files, timeout_s=8.0)

    assert seen.found_after_s is not None and seen.found_after_s < 5.0
    assert seen.target == 1
    assert seen.corners is not None
    errors = np.abs(clip.corners - np.asarray(seen.corners)[None]).max(axis=2).max(axis=1)
    assert errors.min() < CORNER_TOLERANCE_PX


@pytest.mark.usefixtures("mindar_ready")
def test_mindar_never_finds_our_target_in_a_video_of_another_image(tmp_path: Path, site_files: Path) -> None:
    clip = render_clip(textured_artwork(22), seconds=2, fps=FPS, seed=2)
    camera = write_y4m(tmp_path / "other.y4m", clip.frames, FPS)

    seen = detect(compile_targets([textured_artwork(21)]), camera, site_files, timeout_s=6.0)

    assert seen.error is None
    assert seen.backend == "webgl"
    assert seen.found_after_s is None
