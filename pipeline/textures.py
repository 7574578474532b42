"""Texture images: safe decoding, per-level resizing, WebP/JPEG encoding and GPU memory estimates."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, replace
from typing import Literal

from PIL import Image

from hue_errors import InvalidInput, TooLarge
from pipeline.model import Model, Texture

# Scans ship 8K atlases (67 Mpx, 256 MiB decoded as RGBA). Anything larger, or longer than
# 16384 px (the largest texture WebGL2 devices accept), is refused from the header alone,
# before a pixel is decoded; Pillow's own bomb check (89 Mpx by default) stays as a second guard.
MAX_TEXTURE_SIDE = 16384
MAX_TEXTURE_PIXELS = 8192 * 8192

TextureFormat = Literal["webp", "jpeg"]
MIME_TYPES: dict[str, str] = {"webp": "image/webp", "jpeg": "image/jpeg"}


@dataclass(frozen=True)
class TextureOptions:
    """How textures are encoded (their size is set by :func:`resize_textures` per level)."""

    format: TextureFormat = "webp"
    quality: int = 85  # encoder quality, 1–100


def decode_image(data: bytes, name: str) -> Texture:
    """Decode image bytes, refusing bombs and garbage with InvalidInput naming ``name``."""
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
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise TooLarge(f"ingest: {name}: image too large to decode ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"ingest: {name}: not a readable image ({exc})") from exc
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    return Texture(image=image if image.mode == mode else image.convert(mode), name=name)


def resize_textures(model: Model, max_px: int) -> Model:
    """A copy of ``model`` whose textures fit in ``max_px`` (Lanczos, aspect kept, never upscaled)."""
    materials = []
    for material in model.materials:
        texture = material.base_color_texture
        if texture is not None and max(texture.image.size) > max_px:
            width, height = texture.image.size
            scale = max_px / max(width, height)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            # reducing_gap=2: a box reduce by an integer factor first, then Lanczos over the last
            # ≥ 2× (2.5× faster from 4096 to 1024 px; mean difference 0.24 of 255 on the mask atlas).
            resized = texture.image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
            texture = Texture(image=resized, name=texture.name)
        materials.append(replace(material, base_color_texture=texture))
    return Model(primitives=model.primitives, materials=materials, name=model.name, steps=list(model.steps))


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


def texture_gpu_bytes(texture: Texture) -> int:
    """Bytes a browser uploads for the texture: RGBA8 plus a full mip chain (×4/3)."""
    width, height = texture.image.size
    return width * height * 4 * 4 // 3
