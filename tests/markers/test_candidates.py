from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput
from markers.candidates import CandidateOptions, photos_in, rank_candidates


def test_textured_photo_ranks_above_blank_ones(tmp_path: Path, astronaut_png: bytes) -> None:
    (tmp_path / "b-astronaut.png").write_bytes(astronaut_png)
    Image.fromarray(np.full((300, 400, 3), 180, dtype=np.uint8)).save(tmp_path / "a-blank.jpg")
    (tmp_path / "notes.txt").write_text("not a photo")
    ranked = rank_candidates(photos_in(tmp_path), CandidateOptions(top=5))
    assert [c.path.name for c in ranked] == ["b-astronaut.png", "a-blank.jpg"]
    left, top, width, height = ranked[0].box
    assert left + width <= 512 and top + height <= 512 and ranked[0].report.score >= 3


def test_empty_folder_and_list_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no images"):
        photos_in(tmp_path)
    with pytest.raises(InvalidInput, match="no photos given"):
        rank_candidates([])


def test_unreadable_photo_is_skipped_when_asked(tmp_path: Path, astronaut_png: bytes) -> None:
    (tmp_path / "astronaut.png").write_bytes(astronaut_png)
    (tmp_path / "cut.jpg").write_bytes(astronaut_png[:200])
    skipped: list[InvalidInput] = []
    ranked = rank_candidates(photos_in(tmp_path), skip=skipped.append)
    assert [c.path.name for c in ranked] == ["astronaut.png"]
    assert len(skipped) == 1 and "cut.jpg: corrupt or truncated" in skipped[0].message
    with pytest.raises(InvalidInput, match=r"cut\.jpg: corrupt or truncated"):
        rank_candidates(photos_in(tmp_path))


def test_no_readable_photo_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_text("not a photo")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(InvalidInput, match="none of the 2 photos is readable"):
        rank_candidates(photos_in(tmp_path), skip=lambda error: None)
