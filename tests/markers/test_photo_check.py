from __future__ import annotations

import io

import numpy as np
from PIL import Image

from markers.images import LoadedImage, load_image
from markers.photo_check import PhotoCheckOptions, check_plaque
from markers.plaque import PlaqueSpec
from markers.qr import make_qr, qr_url

CODE = "K7MQ3T"
SMALL_GRID = PhotoCheckOptions(distance_fractions=(0.5, 1.0), angles_deg=(0.0, 40.0), blur_sigmas=(0.0,))


def _spec(marker: LoadedImage) -> PlaqueSpec:
    return PlaqueSpec(
        "Ngọ Môn", "Meridian Gate", CODE, "hue.example", make_qr(qr_url("https://hue.example", CODE)), marker
    )


def test_good_artwork_passes_the_photograph_check(astronaut: LoadedImage) -> None:
    report = check_plaque(_spec(astronaut), SMALL_GRID)
    assert len(report.rows) == 2 * 2 * 1 * 3
    assert {row.light for row in report.rows} == {"daylight", "glare", "low"}
    assert report.qr_rate >= 0.95 and report.marker_rate >= 0.95
    assert report.passed


def test_blank_artwork_is_never_found() -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((480, 640, 3), 210, dtype=np.uint8)).save(buffer, format="PNG")
    report = check_plaque(_spec(load_image(buffer.getvalue(), name="blank.png")), SMALL_GRID)
    assert report.marker_rate == 0.0
    assert not report.passed
    assert report.qr_rate >= 0.95  # the QR code alone still scans
