"""The calibration image set: real photos plus generated poor ones; run as a module to print the table.

Real photos: scikit-image's bundled data (licences in each loader's docstring: public domain, CC0 or
the photographer's permission as listed there) and /work/shared/data/qr-photos (Apache-2.0).
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from markers.calibrate import calibrate, markdown_table
from markers.images import LoadedImage, load_image

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
# scikit-image photos whose docstrings give a free licence (public domain / CC0 / permission noted there).
SKIMAGE_PHOTOS = (
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "moon",
    "page",
    "text",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "clock",
    "brick",
    "grass",
    "gravel",
)


def _loaded(name: str, array: npt.NDArray[np.uint8]) -> LoadedImage:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return load_image(buffer.getvalue(), name=name)


def _photo(name: str) -> npt.NDArray[np.uint8]:
    from skimage import data  # test dependency only

    return np.asarray(getattr(data, name)(), dtype=np.uint8)


def real_photos() -> list[LoadedImage]:
    images = [_loaded(name, _photo(name)) for name in SKIMAGE_PHOTOS]
    qr_dir = SHARED / "qr-photos"
    if qr_dir.is_dir():
        images += [load_image(p) for p in sorted(qr_dir.glob("*.png"))[:4]]
    return images


def poor_images() -> list[LoadedImage]:
    astronaut = _photo("astronaut")
    rng = np.random.default_rng(7)
    tile = rng.integers(0, 255, (32, 32), dtype=np.uint8)
    return [
        _loaded("generated: blank", np.full((600, 800, 3), 200, dtype=np.uint8)),
        _loaded(
            "generated: astronaut blurred σ=8",
            np.asarray(cv2.GaussianBlur(astronaut, (0, 0), 8), dtype=np.uint8),
        ),
        _loaded(
            "generated: astronaut contrast ×0.08",
            (128 + (astronaut.astype(np.float64) - 128) * 0.08).astype(np.uint8),
        ),
        _loaded("generated: repetitive tiles", np.tile(tile, (20, 25))),
        _loaded(
            "generated: top half blank",
            np.vstack([np.full((256, 512, 3), 230, np.uint8), astronaut[256:, :]]),
        ),
    ]


if __name__ == "__main__":
    print(markdown_table(calibrate(real_photos() + poor_images())))
