"""Short site codes and their QR codes, each decoded back before it is returned."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import qrcode
import qrcode.constants
import qrcode.image.svg
from PIL import Image

from hue_errors import InvalidInput
from markers.images import GrayImage

# 32 symbols, all in the QR alphanumeric set (ISO/IEC 18004 §7.4.4), without 0/O and 1/I,
# which are misread when a code is typed from the plaque.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BODY_LENGTH = 5
QUIET_ZONE = 4  # modules, the minimum of ISO/IEC 18004 §6.3.8

ErrorCorrection = Literal["L", "M", "Q", "H"]
_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def check_character(body: str) -> str:
    """Luhn mod N check symbol over ``ALPHABET``: catches every single substitution and adjacent swap."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def make_short_code(n: int = BODY_LENGTH) -> str:
    """A random code of ``n`` symbols plus one check symbol, e.g. ``"K7MQ3X"``."""
    if n < 1:
        raise InvalidInput(f"qr: short code length {n} must be ≥ 1")
    body = "".join(secrets.choice(ALPHABET) for _ in range(n))
    return body + check_character(body)


def validate_short_code(code: str) -> str:
    """Return ``code`` normalised to upper case, or raise InvalidInput saying what is wrong."""
    normal = code.strip().upper()
    if len(normal) < 2:
        raise InvalidInput(f"qr: short code {code!r} is too short")
    bad = sorted({c for c in normal if c not in ALPHABET})
    if bad:
        raise InvalidInput(f"qr: short code {code!r} has characters outside {ALPHABET}: {''.join(bad)}")
    if check_character(normal[:-1]) != normal[-1]:
        raise InvalidInput(f"qr: short code {code!r} fails its check character (mistyped?)")
    return normal


def qr_url(base_url: str, code: str) -> str:
    """``HTTPS://HOST/Q/CODE``, all upper case so the whole URL fits the alphanumeric mode."""
    base = base_url.strip().rstrip("/")
    if not base.lower().startswith(("https://", "http://")):
        raise InvalidInput(f"qr: public base URL {base_url!r} must start with https:// or http://")
    return f"{base}/q/{validate_short_code(code)}".upper()


@dataclass(frozen=True)
class QrOptions:
    error_correction: ErrorCorrection = "Q"
    box_size: int = 10  # PNG pixels per module


@dataclass(frozen=True)
class QrCode:
    payload: str
    png: bytes
    svg: bytes
    version: int
    modules: int  # side in modules, without the quiet zone
    matrix: tuple[tuple[bool, ...], ...]  # dark modules, without the quiet zone


def make_qr(payload: str, options: QrOptions = QrOptions()) -> QrCode:
    """Encode ``payload`` at the smallest version and check it decodes back with OpenCV."""
    if not payload:
        raise InvalidInput("qr: payload is empty")
    builder = qrcode.QRCode(
        version=None,
        error_correction=_LEVELS[options.error_correction],
        box_size=options.box_size,
        border=QUIET_ZONE,
    )
    builder.add_data(payload, optimize=0)
    builder.make(fit=True)
    full = builder.get_matrix()
    matrix = tuple(
        tuple(bool(v) for v in row[QUIET_ZONE:-QUIET_ZONE]) for row in full[QUIET_ZONE:-QUIET_ZONE]
    )
    png = _png(builder)
    svg_buffer = io.BytesIO()
    builder.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(svg_buffer)
    code = QrCode(
        payload=payload,
        png=png,
        svg=svg_buffer.getvalue(),
        version=int(builder.version),
        modules=len(matrix),
        matrix=matrix,
    )
    decoded = decode_qr(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.uint8))
    if decoded != payload:
        raise InvalidInput(f"qr: {payload!r} did not decode back (got {decoded!r})")
    return code


def _png(builder: qrcode.QRCode) -> bytes:
    buffer = io.BytesIO()
    builder.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def decode_qr(gray: GrayImage) -> str | None:
    """The first QR payload OpenCV finds in a grayscale image, or None.

    OpenCV's classic detector misses about one clean code in ten (seen on generated short-code URLs);
    its ArUco-based detector, tried second, finds those.
    """
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, points, _ = detector.detectAndDecode(gray)
        if points is not None and text:
            return str(text)
    return None
