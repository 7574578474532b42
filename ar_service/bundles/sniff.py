"""What a file really is, from its first bytes, whatever its name says."""

from __future__ import annotations

import enum
from pathlib import Path


class Kind(enum.StrEnum):
    GLB = "binary glTF"
    PLY = "PLY mesh"
    PNG = "PNG image"
    JPEG = "JPEG image"
    WEBP = "WebP image"
    KTX2 = "KTX2 texture"
    MP3 = "MP3 audio"
    OGG = "Ogg audio"
    ZIP = "zip archive"
    PDF = "PDF document"
    EXECUTABLE = "executable"
    TEXT = "text"
    UNKNOWN = "unknown binary data"


# Executable formats: Windows PE, ELF, Mach-O (both byte orders, 32/64-bit and fat), scripts.
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",
)
_MAGIC = (
    (b"glTF", Kind.GLB),
    (b"ply\n", Kind.PLY),  # the header's first line (its binary body may follow within the head)
    (b"ply\r\n", Kind.PLY),
    (b"\x89PNG\r\n\x1a\n", Kind.PNG),
    (b"\xff\xd8\xff", Kind.JPEG),
    (b"\xabKTX 20\xbb\r\n\x1a\n", Kind.KTX2),
    (b"OggS", Kind.OGG),  # RFC 3533 §6
    (b"ID3", Kind.MP3),  # ID3v2 tag in front of the MPEG frames
    (b"PK\x03\x04", Kind.ZIP),
    (b"%PDF-", Kind.PDF),
)
HEAD_BYTES = 64


def sniff_bytes(head: bytes) -> Kind:
    if head.startswith(_EXECUTABLE_MAGIC):
        return Kind.EXECUTABLE
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind.WEBP
    # MPEG audio frame header without a tag: 11 sync bits, then a layer other than the
    # reserved 00 (ISO/IEC 11172-3 §2.4.2.3); this also tells it apart from AAC ADTS.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return Kind.MP3
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the head's end is still text.
        if exc.start < len(head) - 3:
            return Kind.UNKNOWN
    if b"\x00" in head:
        return Kind.UNKNOWN
    return Kind.TEXT


def sniff(path: Path) -> Kind:
    with path.open("rb") as stream:
        return sniff_bytes(stream.read(HEAD_BYTES))
