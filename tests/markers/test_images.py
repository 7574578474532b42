from __future__ import annotations

import io
import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput, TooLarge
from markers.images import load_image


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width×height`` RGB but whose IDAT holds one byte: decoding would fail."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00")
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def test_not_an_image_names_the_file() -> None:
    with pytest.raises(InvalidInput, match=r"notes\.txt: not a readable image"):
        load_image(b"hello, this is text", name="notes.txt")


def test_one_pixel_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"dot.png: 1×1 is too small"):
        load_image(_encode(Image.new("RGB", (1, 1)), "PNG"), name="dot.png")


def test_image_over_the_cap_is_refused_from_the_header() -> None:
    with pytest.raises(TooLarge, match=r"wide.png: 8000×6000 pixels exceeds the limit of 40,000,000"):
        load_image(_png_header_only(8000, 6000), name="wide.png")


def test_image_bomb_is_refused_from_the_header() -> None:
    # Only the header exists: any attempt to decode pixels would fail differently.
    with pytest.raises(TooLarge, match=r"bomb.png: .*exceeds the limit"):
        load_image(_png_header_only(30_000, 30_000), name="bomb.png")


def test_cmyk_jpeg_becomes_rgb() -> None:
    loaded = load_image(_encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG"), name="cmyk.jpg")
    assert loaded.rgb.shape == (48, 64, 3)
    red, green, blue = loaded.rgb[24, 32].astype(int)
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (32, 1))
    loaded = load_image(_encode(Image.fromarray(ramp), "PNG"), name="deep.png")
    assert loaded.gray[0, 0] == 0
    assert loaded.gray[0, -1] == 255
    assert 120 <= loaded.gray[0, 32] <= 135


def test_alpha_is_flattened_on_white() -> None:
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    loaded = load_image(_encode(rgba, "PNG"), name="alpha.png")
    assert (loaded.rgb == 255).all()


def test_palette_image_is_converted() -> None:
    loaded = load_image(_encode(Image.new("RGB", (40, 40), (10, 200, 30)).convert("P"), "PNG"), name="p.png")
    assert loaded.rgb.shape == (40, 40, 3)


def test_corrupt_jpeg_names_the_file() -> None:
    rng = np.random.default_rng(1)
    data = _encode(Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(InvalidInput, match=r"broken\.jpg: corrupt or truncated"):
        load_image(data[: len(data) // 3], name="broken.jpg")


def _broken_images() -> dict[str, bytes]:
    """Files Pillow fails on in ``Image.open`` itself, with OSError, ValueError, NotImplementedError…"""
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    dds = bytearray(_encode(noise, "DDS"))
    dds[80:84] = struct.pack("<I", 0x1F)  # DDS_PIXELFORMAT flags naming no format Pillow implements
    spider = bytearray(_encode(Image.new("F", (64, 48)), "SPIDER"))
    spider[104:108] = struct.pack("<f", 1.0)  # an image inside a stack, without the stack: AttributeError
    return {
        "cut.jpg": _encode(noise, "JPEG")[:200],
        "cut.webp": _encode(noise, "WEBP")[:40],
        "cut.jp2": _encode(noise, "JPEG2000")[:15],
        "bad.ppm": b"P6\n6\xc8 64\n255\n" + bytes(100),
        "odd.dds": bytes(dds),
        "odd.spi": bytes(spider),
    }


BROKEN_IMAGES = _broken_images()


@pytest.mark.parametrize("name", sorted(BROKEN_IMAGES))
def test_broken_header_is_refused_by_name(name: str) -> None:
    with pytest.raises(InvalidInput, match=rf"{re.escape(name)}: corrupt or truncated image data"):
        load_image(BROKEN_IMAGES[name], name=name)


def test_missing_file_names_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=r"absent\.png: cannot read"):
        load_image(tmp_path / "absent.png")
