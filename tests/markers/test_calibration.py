from __future__ import annotations

import pytest

from markers.calibrate import calibrate, markdown_table
from tests.markers.calibration_set import poor_images, real_photos


@pytest.mark.slow
def test_score_separates_found_from_lost_markers() -> None:
    pytest.importorskip("skimage.data", reason="scikit-image (test dependency) provides the real photos")
    rows = calibrate(real_photos() + poor_images())
    assert len(rows) >= 20
    high = [r for r in rows if r.report.score >= 3.5]
    low = [r for r in rows if r.report.score < 3.5]
    assert high and low
    # Measured: 7 of 12 at ≥ 3.5 (fine uniform textures and the QR photos, found in 83–92 % of shots,
    # are the misses), none below; see docs/marker_calibration.md.
    assert sum(r.detected for r in high) / len(high) >= 0.5
    assert not any(r.detected for r in low)
    assert markdown_table(rows).count("\n") == len(rows) + 1
