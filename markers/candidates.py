"""Marker candidates from a photo set: score whole photos and square-ish crops, best first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hue_errors import InvalidInput
from markers.images import load_image
from markers.score import ScoreOptions, TrackabilityReport, score_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


@dataclass(frozen=True)
class CandidateOptions:
    crop_fractions: tuple[float, ...] = (1.0, 0.75, 0.55)  # crop side / shortest image side
    top: int = 5
    score: ScoreOptions = field(default_factory=ScoreOptions)


@dataclass(frozen=True)
class Candidate:
    path: Path
    box: tuple[int, int, int, int]  # left, top, width, height in source pixels
    report: TrackabilityReport


def photos_in(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InvalidInput(f"candidates: {directory}: not a directory")
    photos = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not photos:
        raise InvalidInput(f"candidates: {directory}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return photos


def rank_candidates(
    paths: list[Path],
    options: CandidateOptions = CandidateOptions(),
    *,
    skip: Callable[[InvalidInput], None] | None = None,
) -> list[Candidate]:
    """Score each photo whole and as crops on a 3×3 lattice; the best crop per photo, best first.

    An unreadable photo raises its ``InvalidInput``, or, given ``skip``, is passed to it and left out;
    when every photo is left out, that is an error too.
    """
    if not paths:
        raise InvalidInput("candidates: no photos given")
    best: list[Candidate] = []
    for path in paths:
        try:
            image = load_image(path)
        except InvalidInput as error:
            if skip is None:
                raise
            skip(error)
            continue
        height, width = image.gray.shape
        options_for_photo: list[Candidate] = []
        for fraction in options.crop_fractions:
            side = int(min(width, height) * fraction)
            boxes = {(0, 0, width, height)} if fraction == 1.0 else set()
            for fx in (0.0, 0.5, 1.0):
                for fy in (0.0, 0.5, 1.0):
                    if fraction < 1.0:
                        boxes.add((int((width - side) * fx), int((height - side) * fy), side, side))
            for left, top, w, h in sorted(boxes):
                report = score_image(image.gray[top : top + h, left : left + w], options.score)
                options_for_photo.append(Candidate(path, (left, top, w, h), report))
        best.append(max(options_for_photo, key=lambda c: (c.report.score, c.box[2] * c.box[3])))
    if not best:
        raise InvalidInput(f"candidates: none of the {len(paths)} photos is readable (expected ≥ 1)")
    best.sort(key=lambda c: (-c.report.score, str(c.path)))
    return best[: options.top]
