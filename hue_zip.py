"""What the service's bundle stager and the pipeline's reader both check in a zip before trusting it."""

from __future__ import annotations

import re
import struct
from pathlib import Path

# Deflate tops out near 1032:1 on real data; scans, scenes and their textures compress far less,
# so above 100:1 a member is padding or a zip bomb.
MAX_RATIO = 100
# Ratios are only judged above this size: a small file of spaces is not a bomb.
RATIO_FLOOR_BYTES = 1 << 20
# Control characters in a member or reference name (terminal escapes, NUL truncation).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# The end-of-central-directory record (22 bytes) is followed by a comment of at most 64 KiB.
_EOCD_SEARCH_BYTES = 22 + 65535


def declared_entries(source: Path) -> int | None:
    """The entry count in the end-of-central-directory record (APPNOTE §4.3.16, zip64 §4.3.14),
    read before zipfile builds an object per entry: a tiny archive can declare millions. None
    when there is no such record (zipfile then reports the archive as damaged)."""
    size = source.stat().st_size
    with source.open("rb") as stream:
        stream.seek(max(0, size - _EOCD_SEARCH_BYTES))
        tail = stream.read()
        at = tail.rfind(b"PK\x05\x06")
        if at == -1 or len(tail) < at + 22:
            return None
        (entries,) = struct.unpack_from("<H", tail, at + 10)
        locator = at - 20
        if entries == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            (record,) = struct.unpack_from("<Q", tail, locator + 8)
            if record + 56 <= size:
                stream.seek(record)
                zip64 = stream.read(56)
                if zip64[:4] == b"PK\x06\x06":
                    (entries,) = struct.unpack_from("<Q", zip64, 32)
    return int(entries)
