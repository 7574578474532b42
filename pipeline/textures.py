"""Texture images: safe decoding, per-level resizing, WebP/JPEG encoding and GPU memory estimates."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError, WebPImagePlugin  # noqa: F401 - see below

from hue_errors import InvalidInput, TooLarge
from pipeline.identity_cache import IdentityCache
from pipeline.model import Model, Texture

# Scans ship 8K atlases (67 Mpx, 256 MiB decoded as RGBA). Anything larger, or longer than
# 16384 px (the largest texture WebGL2 devices accept), is refused from the header alone,
# before a pixel is decoded; Pillow's own bomb check (89 Mpx by default) stays as a second guard.
MAX_TEXTURE_SIDE = 16384
MAX_TEXTURE_PIXELS = 8192 * 8192

# A level of N px is resized from at least 2N (Lanczos, after _fit's box reduce) and a re-bake into
# an N² atlas samples a ≥ 2N image: a run decodes a JPEG no larger than that (decode_image).
SOURCE_HEADROOM = 2

# WebP is registered by the import above: Pillow's first save in a format it has not registered
# imports all of its ~40 image plugins (50 ms, holding the GIL) to look for it.
TextureFormat = Literal["webp", "jpeg"]
MIME_TYPES: dict[str, str] = {"webp": "image/webp", "jpeg": "image/jpeg"}
_T = TypeVar("_T")


@dataclass(frozen=True)
class TextureOptions:
    """How textures are encoded (their size is set by :func:`resize_textures` per level)."""

    format: TextureFormat = "webp"
    quality: int = 85  # encoder quality, 1–100


ImageEncoder = Callable[[Texture, TextureOptions], tuple[bytes, str]]  # bytes and MIME type


def decode_image(data: bytes, name: str, longest_px: int | None = None) -> Texture:
    """Decode image bytes, refusing bombs and garbage with InvalidInput naming ``name``.

    With ``longest_px``, a JPEG is decoded at the smallest of libjpeg's DCT scales (1/2, 1/4,
    1/8) whose longest side is still ≥ ``longest_px`` (Pillow's draft mode): a 4096² atlas for
    a 1024 px level decodes at 2048² in 0.034 s instead of 0.058 and its resize takes 0.039 s
    instead of 0.057. The mask level's colour error stays 4.88 of 255; the seam-heavy re-bake's,
    which samples the texels it finds, drops from 6.15 to 5.87 (the DCT's scaling filters them)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width > MAX_TEXTURE_SIDE or height > MAX_TEXTURE_SIDE or width * height > MAX_TEXTURE_PIXELS:
                raise TooLarge(
                    f"ingest: {name}: image is {width}×{height} "
                    f"(expected ≤ {MAX_TEXTURE_SIDE} per side and ≤ {MAX_TEXTURE_PIXELS} pixels)"
                )
            if longest_px is not None and image.format == "JPEG":
                scale = longest_px / max(width, height)
                image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise TooLarge(f"ingest: {name}: image too large to decode ({exc})") from exc
    except UnidentifiedImageError as exc:  # its message names the in-memory stream, not the file
        raise InvalidInput(f"ingest: {name}: not a readable image (no format Pillow reads)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"ingest: {name}: not a readable image ({exc})") from exc
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    stored = (width, height) if image.size != (width, height) else None
    return Texture(image=image if image.mode == mode else image.convert(mode), name=name, stored_size=stored)


def resize_textures(model: Model, max_px: int) -> Model:
    """A copy of ``model`` whose textures fit in ``max_px`` (Lanczos, aspect kept, never upscaled)."""
    return _with_textures(model, lambda texture: _fit(texture, max_px))


def _with_textures(model: Model, change: Callable[[Texture], Texture]) -> Model:
    """A copy of ``model`` with ``change`` applied to each base-colour texture."""
    materials = [
        replace(m, base_color_texture=None if m.base_color_texture is None else change(m.base_color_texture))
        for m in model.materials
    ]
    return Model(primitives=model.primitives, materials=materials, name=model.name, steps=list(model.steps))


def _fit(texture: Texture, max_px: int) -> Texture:
    """``texture`` scaled down to fit in ``max_px``, or itself if it does."""
    if max(texture.image.size) <= max_px:
        return texture
    width, height = texture.image.size
    scale = max_px / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap=2: a box reduce by an integer factor first, then Lanczos over the last
    # ≥ 2× (2.5× faster from 4096 to 1024 px; mean difference 0.24 of 255 on the mask atlas).
    return Texture(
        image=texture.image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0), name=texture.name
    )


def encode_image(texture: Texture, options: TextureOptions) -> tuple[bytes, str]:
    """Encoded bytes and MIME type; WebP (EXT_texture_webp) keeps alpha, JPEG drops it."""
    buffer = io.BytesIO()
    if options.format == "webp":
        # method=4 is libwebp's default speed/size trade-off.
        texture.image.save(buffer, format="WEBP", quality=options.quality, method=4)
    else:
        texture.image.convert("RGB").save(
            buffer, format="JPEG", quality=options.quality, optimize=True, progressive=False
        )
    return buffer.getvalue(), MIME_TYPES[options.format]


class TextureWork:
    """Each texture resized and encoded once per (size, format, quality), on ``executor``: levels
    that share a size share the work, and a level's textures are made while its geometry is
    simplified (Pillow's resampling and libwebp release the GIL). A level waits for a resize
    before it is written, and for the encoding only once its geometry is encoded."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._made: IdentityCache[_Made] = IdentityCache()
        self._encoded: IdentityCache[Future[tuple[bytes, str]]] = IdentityCache()

    def prefetch(self, model: Model, max_px: int, options: TextureOptions) -> None:
        """Start on ``model``'s textures for a level of ``max_px`` encoded with ``options``."""
        for material in model.materials:
            if material.base_color_texture is not None:
                self._make(material.base_color_texture, max_px, options)

    def resize(self, model: Model, max_px: int, options: TextureOptions) -> Model:
        """:func:`resize_textures` through the shared work; their encodings are kept for
        :meth:`encode`."""

        def resized(texture: Texture) -> Texture:
            made = self._make(texture, max_px, options)
            small = made.texture.result()
            self._encoded.get(small, options, lambda: made.encoded)
            return small

        return _with_textures(model, resized)

    def encode(self, texture: Texture, options: TextureOptions) -> tuple[bytes, str]:
        """:func:`encode_image`, made at most once per texture and options (here, for a texture
        that did not come from :meth:`resize`)."""
        return self._encoded.get(texture, options, lambda: _done(encode_image(texture, options))).result()

    def _make(self, texture: Texture, max_px: int, options: TextureOptions) -> _Made:
        def start() -> _Made:
            small = self._executor.submit(_fit, texture, max_px)
            # Queued behind its resize, so on the run's one background thread it never waits.
            return _Made(small, self._executor.submit(lambda: encode_image(small.result(), options)))

        return self._made.get(texture, (max_px, options), start)


def _done(value: _T) -> Future[_T]:
    """A future already holding ``value``."""
    made: Future[_T] = Future()
    made.set_result(value)
    return made


@dataclass(frozen=True)
class _Made:
    """One texture's resize for a level, and its encoding queued behind it."""

    texture: Future[Texture]
    encoded: Future[tuple[bytes, str]]


def nearest_texels(texels: npt.NDArray[np.uint8], uv: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """The texel (P, channels) of a (H, W, channels) image under each UV (P, 2): nearest, wrap =
    REPEAT, the glTF UV origin at the top left matching image row 0 (glTF 2.0 §3.8.4). A take from
    the flattened image: twice as fast as indexing it by row and column."""
    h, w = texels.shape[:2]
    x = np.floor((uv[:, 0] % 1.0) * w).astype(np.int64).clip(0, w - 1)
    y = np.floor((uv[:, 1] % 1.0) * h).astype(np.int64).clip(0, h - 1)
    taken: npt.NDArray[np.uint8] = np.take(texels.reshape(h * w, -1), y * w + x, axis=0)
    return taken


def texture_gpu_bytes(texture: Texture) -> int:
    """Bytes a browser uploads for the texture: RGBA8 plus a full mip chain (×4/3)."""
    width, height = texture.image.size
    return width * height * 4 * 4 // 3
