"""Checks for marker images, textures, narration audio and WebVTT captions."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from ar_service.bundles.limits import BundleLimits
from ar_service.bundles.problems import refuse
from ar_service.bundles.sniff import HEAD_BYTES, Kind, sniff, sniff_bytes

IMAGE_KINDS = {".png": Kind.PNG, ".jpg": Kind.JPEG, ".jpeg": Kind.JPEG, ".webp": Kind.WEBP}
AUDIO_KINDS = {".mp3": Kind.MP3, ".ogg": Kind.OGG, ".oga": Kind.OGG}
_PIL_FORMATS = {Kind.PNG: "PNG", Kind.JPEG: "JPEG", Kind.WEBP: "WEBP"}


def expect_kind(name: str, path: Path, allowed: dict[str, Kind], role: str) -> Kind:
    """The file's sniffed kind if its extension is allowed for ``role`` and its bytes agree."""
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise refuse(
            name, f"a {role} must be {', '.join(sorted(allowed))} (got '{suffix or 'no extension'}')"
        )
    found = sniff(path)
    if found is not allowed[suffix]:
        raise refuse(name, f"named {suffix} but its content is {found.value}, not {allowed[suffix].value}")
    return found


def check_image(name: str, path: Path, limits: BundleLimits, role: str = "image") -> tuple[int, int]:
    """Width and height of a PNG/JPEG/WebP image, read from its header before any pixel is
    decoded (a bomb is refused unread); then the whole file is read through once, so that one
    cut short or damaged is refused with the upload rather than failing the job that reads it."""
    kind = expect_kind(name, path, IMAGE_KINDS, role)
    with path.open("rb") as stream:
        return _check_decodes(name, "", stream, kind, limits)


def check_embedded_image(owner: str, where: str, stream: IO[bytes], limits: BundleLimits) -> tuple[int, int]:
    """``check_image`` of an image inside a model file (``stream``: its bytes, read as needed),
    refusals naming ``owner`` and ``where`` ("image 0")."""
    kind = sniff_bytes(stream.read(HEAD_BYTES))
    if kind not in _PIL_FORMATS:
        raise refuse(
            owner, f"{where}: an embedded texture must be PNG, JPEG or WebP (its content is {kind.value})"
        )
    stream.seek(0)
    return _check_decodes(owner, f"{where}: ", stream, kind, limits)


def _check_decodes(
    name: str, where: str, stream: IO[bytes], kind: Kind, limits: BundleLimits
) -> tuple[int, int]:
    size = _image_size(name, where, stream, kind, limits)
    stream.seek(0)
    try:
        with Image.open(stream, formats=[_PIL_FORMATS[kind]]) as image:
            _read_through(image, kind)
    except (OSError, SyntaxError, ValueError) as exc:
        raise refuse(name, f"{where}damaged {kind.value}: {exc}; export the image again") from None
    return size


def _read_through(image: Image.Image, kind: Kind) -> None:
    """Every byte of the image's data checked without holding its pixels (an 8192² RGB atlas
    is 200 MB): a PNG's chunks against their CRCs, a JPEG decoded at its smallest DCT scale
    (1/8: the entropy-coded data is still read to its end), a WebP decoded whole."""
    if kind is Kind.PNG:
        image.verify()
        return
    if kind is Kind.JPEG:
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def _image_size(
    name: str, where: str, stream: IO[bytes], kind: Kind, limits: BundleLimits
) -> tuple[int, int]:
    try:
        # Pillow warns, then raises, on decompression bombs; both mean refuse.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=[_PIL_FORMATS[kind]]) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise refuse(
            name, f"{where}image dimensions exceed {limits.max_image_pixels} pixels (image bomb)"
        ) from None
    except UnidentifiedImageError:  # its message names the stream, not the file
        raise refuse(name, f"{where}unreadable {kind.value}: its header is damaged or cut short") from None
    except (OSError, SyntaxError) as exc:
        raise refuse(name, f"{where}unreadable {kind.value}: {exc}") from None
    if width * height > limits.max_image_pixels:
        raise refuse(
            name, f"{where}{width}×{height} pixels exceeds {limits.max_image_pixels} pixels (image bomb)"
        )
    if min(width, height) < 1:
        raise refuse(name, f"{where}{width}×{height} image is empty")
    return width, height


def check_audio(name: str, path: Path) -> Kind:
    return expect_kind(name, path, AUDIO_KINDS, "narration audio file")


def check_captions(name: str, path: Path) -> None:
    """WebVTT: UTF-8, optional BOM, then 'WEBVTT' followed by a space, tab or line end (WebVTT §4.1)."""
    expect_kind(name, path, {".vtt": Kind.TEXT}, "captions file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(name, f"not UTF-8 text (byte {exc.start}); WebVTT files must be UTF-8") from None
    text = text.removeprefix("\ufeff")
    if not text.startswith("WEBVTT") or text[6:7] not in ("", " ", "\t", "\n", "\r"):
        raise refuse(name, "does not start with the 'WEBVTT' header line (WebVTT §4.1)")
