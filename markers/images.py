"""Safe image loading: dimensions are checked from the header before any pixel is decoded."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from hue_errors import InvalidInput, TooLarge

GrayImage = npt.NDArray[np.uint8]

MAX_PIXELS = 40_000_000
MIN_SIDE = 16


@dataclass(frozen=True)
class LoadedImage:
    """An 8-bit image as RGB and grayscale arrays, named for messages."""

    name: str
    rgb: npt.NDArray[np.uint8]
    gray: GrayImage


def load_image(source: Path | bytes, *, name: str | None = None, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode ``source`` into 8-bit RGB, refusing bombs, tiny and corrupt images.

    CMYK and palette images are converted to RGB, 16-bit samples are scaled to 8 bits
    and alpha is flattened onto white (a printed plaque has a white ground).
    """
    label = name or (source.name if isinstance(source, Path) else "image")
    image = decode_image(source, label, max_pixels=max_pixels)
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise InvalidInput(f"image: {label}: {width}×{height} is too small (each side must be ≥ {MIN_SIDE})")
    rgb = _to_rgb(image)
    array = np.asarray(rgb, dtype=np.uint8)
    gray = np.asarray(rgb.convert("L"), dtype=np.uint8)
    return LoadedImage(name=label, rgb=array, gray=gray)


def decode_image(source: Path | bytes, label: str, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Read and decode an untrusted image, its pixel count checked from the header before any decoding.

    Every failure is an ``InvalidInput`` naming ``label`` (``TooLarge`` over ``max_pixels``).
    """
    try:
        data = source.read_bytes() if isinstance(source, Path) else source
    except OSError as exc:
        raise InvalidInput(f"image: {label}: cannot read ({exc.strerror})") from exc
    try:
        with warnings.catch_warnings():
            # Pillow warns (DecompressionBombWarning) before our own, clearer check runs.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > max_pixels:
            raise TooLarge(f"image: {label}: {width}×{height} pixels exceeds the limit of {max_pixels:,}")
        image.load()
    except Image.DecompressionBombError as exc:
        # Pillow itself refuses headers far over its own limit; say so in our terms.
        raise TooLarge(f"image: {label}: pixel count exceeds the limit of {max_pixels:,} ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise InvalidInput(f"image: {label}: not a readable image") from exc
    except TooLarge:
        raise
    except Exception as exc:  # Pillow's format plugins raise many unrelated types on broken data
        raise InvalidInput(f"image: {label}: corrupt or truncated image data ({exc})") from exc
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale by the true maximum of the format, not the image, so tones are kept.
        samples = np.asarray(image, dtype=np.float64)
        scale = 255.0 / 65535.0
        return Image.fromarray(np.clip(samples * scale + 0.5, 0, 255).astype(np.uint8)).convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(ground, rgba).convert("RGB")
    return image.convert("RGB")
