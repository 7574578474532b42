from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from markers.images import LoadedImage, load_image
from markers.score import score_image


def test_real_photo_outscores_its_degraded_copies(astronaut: LoadedImage) -> None:
    good = score_image(astronaut.gray)
    blurred = score_image(np.asarray(cv2.GaussianBlur(astronaut.gray, (0, 0), 8), dtype=np.uint8))
    flat = score_image((128 + (astronaut.gray.astype(np.float64) - 128) * 0.08).astype(np.uint8))
    assert good.score >= 3.5
    assert blurred.score < good.score - 1.5
    assert any("blurred" in line for line in blurred.advice)
    assert flat.score < good.score
    assert any("low contrast" in line for line in flat.advice)


def test_blank_image_scores_near_zero() -> None:
    report = score_image(np.full((400, 600), 200, dtype=np.uint8))
    assert report.score <= 0.5
    assert report.features < 30


def test_repetitive_tiles_are_called_out() -> None:
    tile = np.random.default_rng(7).integers(0, 255, (32, 32), dtype=np.uint8)
    report = score_image(np.tile(tile, (20, 25)))
    assert report.repetitiveness > 0.4
    assert any("repeat" in line for line in report.advice)


def test_an_empty_bottom_quarter_is_named(astronaut: LoadedImage) -> None:
    gray = astronaut.gray.copy()
    gray[gray.shape[0] * 3 // 4 :] = 230
    report = score_image(gray)
    assert any("bottom quarter has no features" in line for line in report.advice)
    assert report.coverage < score_image(astronaut.gray).coverage


def test_small_and_elongated_images_are_penalised(coffee_png: bytes) -> None:
    coffee = load_image(coffee_png, name="coffee.png")
    strip = coffee.gray[150:250, :]
    small = np.asarray(Image.open(io.BytesIO(coffee_png)).convert("L").resize((200, 133)), dtype=np.uint8)
    assert any("aspect" in line for line in score_image(strip).advice)
    assert any("resolution" in line for line in score_image(small).advice)


def test_score_is_deterministic(astronaut: LoadedImage) -> None:
    assert score_image(astronaut.gray) == score_image(astronaut.gray)


def test_extreme_aspect_ratio_scores_with_advice_instead_of_failing() -> None:
    # 16×8000 is 1 px wide at the 640 px working size, where ORB's own pyramid used to fail.
    strip = np.random.default_rng(5).integers(0, 255, (8000, 16), dtype=np.uint8)
    report = score_image(strip)
    assert report.features == 0 and report.score <= 0.5
    assert any("aspect 500.0:1 is elongated" in line for line in report.advice)
