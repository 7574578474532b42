"""PLY scans (Paul Bourke's PLY format, the one photogrammetry tools write): header and size checks."""

from __future__ import annotations

from pathlib import Path

from ar_service.bundles.problems import refuse

MAX_HEADER_BYTES = 64 * 1024
FORMATS = ("ascii", "binary_little_endian", "binary_big_endian")
TYPE_BYTES = {
    "char": 1, "uchar": 1, "int8": 1, "uint8": 1,
    "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
    "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4,
    "double": 8, "float64": 8,
}  # fmt: skip


def _header(owner: str, path: Path) -> tuple[list[str], int]:
    """The header's lines and its length in bytes."""
    with path.open("rb") as stream:
        head = stream.read(MAX_HEADER_BYTES)
    end = head.find(b"end_header")
    if not head.startswith(b"ply") or end == -1:
        raise refuse(
            owner, f"not a PLY file ('ply' … 'end_header' not found in the first {MAX_HEADER_BYTES} bytes)"
        )
    newline = head.find(b"\n", end)
    if newline == -1:
        raise refuse(owner, "PLY header does not end with a line break after 'end_header'")
    try:
        text = head[:end].decode("ascii")
    except UnicodeDecodeError:
        raise refuse(owner, "PLY header is not ASCII text") from None
    return text.splitlines(), newline + 1


def check_ply(owner: str, path: Path) -> None:
    """Header well formed, at least one vertex, and (binary) a body long enough for the declared elements."""
    lines, header_bytes = _header(owner, path)
    format_line = next((line.split() for line in lines if line.startswith("format ")), None)
    if format_line is None or len(format_line) != 3 or format_line[1] not in FORMATS:
        raise refuse(owner, f"PLY 'format' line must be one of {', '.join(FORMATS)} with version 1.0")
    elements: list[tuple[str, int, int]] = []  # name, count, minimal bytes per item
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0] in ("ply", "format", "comment", "obj_info"):
            continue
        if words[0] == "element" and len(words) == 3 and words[2].isdigit():
            elements.append((words[1], int(words[2]), 0))
        elif words[0] == "property" and elements and len(words) >= 3:
            # A list costs at least its count; a scalar its size.
            kind = words[2] if words[1] == "list" else words[1]
            if kind not in TYPE_BYTES or (
                words[1] == "list" and (len(words) != 5 or words[3] not in TYPE_BYTES)
            ):
                raise refuse(owner, f"PLY header line {number}: unknown property type in {line.strip()!r}")
            name, count, size = elements[-1]
            elements[-1] = (name, count, size + TYPE_BYTES[kind])
        else:
            raise refuse(owner, f"PLY header line {number}: cannot read {line.strip()[:60]!r}")
    vertices = next((count for name, count, _ in elements if name == "vertex"), 0)
    if vertices == 0:
        raise refuse(owner, "PLY declares no vertices ('element vertex N' with N ≥ 1)")
    if format_line[1] != "ascii":
        needed = sum(count * size for _, count, size in elements)
        body = path.stat().st_size - header_bytes
        if body < needed:
            raise refuse(
                owner, f"PLY body has {body} bytes; its elements need at least {needed} (truncated?)"
            )
