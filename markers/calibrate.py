"""Score calibration: trackability score against whether the photograph check finds the marker."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from markers.images import LoadedImage
from markers.photo_check import PhotoCheckOptions, check_plaque
from markers.plaque import PlaqueSpec
from markers.qr import QrCode, make_qr, qr_url
from markers.score import TrackabilityReport, score_image

CALIBRATION_CODE = "K7MQ3T"


@dataclass(frozen=True)
class CalibrationOptions:
    # A lighter grid than the full check: still every light and both blur levels, at near and far distance.
    check: PhotoCheckOptions = field(
        default_factory=lambda: PhotoCheckOptions(distance_fractions=(0.5, 1.0), angles_deg=(0.0, 45.0))
    )
    base_url: str = "https://hue.example"


@dataclass(frozen=True)
class CalibrationRow:
    name: str
    report: TrackabilityReport
    marker_rate: float
    detected: bool  # the photograph check found the marker in ≥ the required share of shots


def calibrate(
    images: list[LoadedImage], options: CalibrationOptions = CalibrationOptions()
) -> list[CalibrationRow]:
    """One row per image, best score first. Images are checked in one process per core: each
    check is seeded on its own, so the rows do not depend on how many run at once (the
    photograph check's numpy work holds the GIL: threads would take turns)."""
    qr: QrCode = make_qr(qr_url(options.base_url, CALIBRATION_CODE))
    workers = max(1, min(len(images), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        rows = list(pool.map(_row, images, [qr] * len(images), [options] * len(images)))
    return sorted(rows, key=lambda r: (-r.report.score, r.name))


def _row(image: LoadedImage, qr: QrCode, options: CalibrationOptions) -> CalibrationRow:
    spec = PlaqueSpec("Ảnh thử", "Test image", CALIBRATION_CODE, "hue.example", qr, image)
    check = check_plaque(spec, options.check)
    return CalibrationRow(
        name=image.name,
        report=score_image(image.gray),
        marker_rate=check.marker_rate,
        detected=check.marker_rate >= options.check.required_rate,
    )


def markdown_table(rows: list[CalibrationRow]) -> str:
    lines = [
        "| image | score | features | coverage | contrast | blur | repetitive | marker found | detected |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.report
        lines.append(
            f"| {row.name} | {r.score:.1f} | {r.features} | {r.coverage:.2f} | {r.contrast:.2f} "
            f"| {r.blur:.0f} "
            f"| {r.repetitiveness:.2f} | {row.marker_rate:.0%} | {'yes' if row.detected else 'no'} |"
        )
    return "\n".join(lines)
