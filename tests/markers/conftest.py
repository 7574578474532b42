"""Real photos for the marker tests: scikit-image's bundled data (public domain / CC0, see its docstrings)."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from markers.images import LoadedImage, load_image


def _png(array: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut_png() -> bytes:
    data = pytest.importorskip(
        "skimage.data", reason="scikit-image (test dependency) provides the real photos"
    )
    return _png(np.asarray(data.astronaut()))


@pytest.fixture(scope="session")
def astronaut(astronaut_png: bytes) -> LoadedImage:
    return load_image(astronaut_png, name="astronaut.png")


@pytest.fixture(scope="session")
def coffee_png() -> bytes:
    data = pytest.importorskip(
        "skimage.data", reason="scikit-image (test dependency) provides the real photos"
    )
    return _png(np.asarray(data.coffee()))
