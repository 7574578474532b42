"""Unpacking a bundle (zip or multipart parts) into a scratch folder, refusing hostile entries.

Every name is checked before a byte is written (zip slip, absolute paths, symlinks), and
sizes are enforced twice: against the zip directory, and while decompressing, because a
directory can lie about sizes (APPNOTE.TXT §4.4.8–4.4.9).
"""

from __future__ import annotations

import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ar_service.bundles.limits import BundleLimits
from ar_service.bundles.problems import BundleInvalid, refuse
from hue_zip import CONTROL_CHARACTERS, declared_entries

CHUNK_BYTES = 1024 * 1024
MAX_NAME_CHARS = 300
# Filesystems hold at most 255 bytes per name (ext4, XFS, APFS); staging adds a ".part" suffix.
MAX_SEGMENT_BYTES = 240
_DRIVE = re.compile(r"^[A-Za-z]:")
# Archivers' clutter that is safe to ignore rather than report as unreferenced.
_CLUTTER_FOLDER = "__MACOSX/"
_CLUTTER_FILES = frozenset({".DS_Store", "Thumbs.db"})


@dataclass(frozen=True)
class StagedFile:
    name: str  # POSIX path inside the bundle
    path: Path  # where its bytes are now
    size: int


def check_name(name: str) -> str:
    """The bundle path ``name``, in Unicode's composed form (NFC), if it is a plain relative path
    inside the bundle, else a refusal. (A zip made on macOS stores "Huế.jpg" decomposed, while the
    model naming it is typed composed; references are composed too, in ``resolve_uri``.)"""
    if not name:
        raise refuse("", "an entry has an empty name")
    if CONTROL_CHARACTERS.search(name):
        raise refuse(repr(name), "control characters in the file name")
    try:
        encoded = [len(part.encode("utf-8")) for part in name.split("/")]
    except UnicodeEncodeError:
        raise refuse(repr(name), "the file name is not valid Unicode (an unpaired surrogate)") from None
    if len(name) > MAX_NAME_CHARS:
        raise refuse(name[:60] + "…", f"path is {len(name)} characters (at most {MAX_NAME_CHARS})")
    if "\\" in name:
        raise refuse(name, "backslash in the path (use '/' between folders)")
    if name.startswith("/") or _DRIVE.match(name):
        raise refuse(name, "absolute path (paths must be relative to the bundle root)")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise refuse(name, "path leaves the bundle through '..' (zip slip)")
    if any(part in ("", ".") for part in name.rstrip("/").split("/")):
        raise refuse(name, "empty or '.' path segment")
    if max(encoded) > MAX_SEGMENT_BYTES:
        raise refuse(
            name[:60] + "…",
            f"a file or folder name is {max(encoded)} bytes in UTF-8 (at most {MAX_SEGMENT_BYTES})",
        )
    return unicodedata.normalize("NFC", name)


def copy_limited(source: IO[bytes], target: Path, name: str, limit: int, budget: int) -> int:
    """Copy in chunks, stopping as soon as ``limit`` (this file) or ``budget`` (the bundle) is passed."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            written += len(chunk)
            if written > limit:
                raise refuse(name, f"larger than {limit} bytes", too_large=True)
            if written > budget:
                raise refuse(name, "the bundle's files add up to more than the limit", too_large=True)
            out.write(chunk)
    return written


def _folders(name: str) -> list[str]:
    """The folders ``name`` lies in: "a/b/c" → ["a", "a/b"]."""
    parts = name.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def _place(folder: Path, name: str, staged: dict[str, StagedFile]) -> Path:
    key = name.casefold()
    names = {existing.casefold() for existing in staged}
    if key in names:
        raise refuse(name, "appears twice in the bundle (names are compared ignoring case)")
    if any(inside in names for inside in _folders(key)) or any(key in _folders(other) for other in names):
        raise refuse(name, "is both a file and a folder in the bundle (rename one of them)")
    target = folder / name
    if not target.resolve().is_relative_to(folder.resolve()):
        raise refuse(name, "path leaves the bundle")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _is_clutter(name: str) -> bool:
    return name.startswith(_CLUTTER_FOLDER) or PurePosixPath(name).name in _CLUTTER_FILES


def _check_zip_entry(info: zipfile.ZipInfo, limits: BundleLimits) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise refuse(name, "symbolic link entries are not allowed")
    if info.flag_bits & 0x1:
        raise refuse(name, "encrypted entries are not allowed")
    if info.file_size > limits.max_file_bytes:
        raise refuse(
            name, f"{info.file_size} bytes uncompressed (at most {limits.max_file_bytes})", too_large=True
        )
    if info.file_size > limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise refuse(
                name,
                f"compression ratio {ratio:.0f}:1 exceeds {limits.max_ratio:.0f}:1 (zip bomb)",
                too_large=True,
            )


def stage_zip(source: Path, folder: Path, limits: BundleLimits) -> dict[str, StagedFile]:
    """Unpack the zip at ``source`` into ``folder``; every refusal names the entry."""
    if not zipfile.is_zipfile(source):
        raise refuse("", "not a zip archive (send a .zip, or scene.json and files as multipart/form-data)")
    # Folder entries and archivers' clutter count here too, hence the room; files are counted below.
    declared = declared_entries(source)
    if declared is not None and declared > 2 * limits.max_entries:
        raise refuse("", f"the archive declares {declared} entries (at most {limits.max_entries} files)")
    try:
        with zipfile.ZipFile(source) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir() and not _is_clutter(i.filename)]
            if not infos:
                raise refuse("", "the zip archive holds no files (expected scene.json at its root)")
            if len(infos) > limits.max_entries:
                raise refuse("", f"{len(infos)} files in the archive (at most {limits.max_entries})")
            uncompressed = 0
            names = []
            for info in infos:
                names.append(check_name(info.filename))
                _check_zip_entry(info, limits)
                uncompressed += info.file_size
            if uncompressed > limits.max_total_bytes:
                raise refuse(
                    "",
                    f"files add up to {uncompressed} bytes uncompressed (at most {limits.max_total_bytes})",
                    too_large=True,
                )
            staged: dict[str, StagedFile] = {}
            budget = limits.max_total_bytes
            for info, name in zip(infos, names, strict=True):
                target = _place(folder, name, staged)
                with archive.open(info) as member:
                    size = copy_limited(
                        member, target, name, min(info.file_size, limits.max_file_bytes), budget
                    )
                budget -= size
                staged[name] = StagedFile(name, target, size)
            return staged
    except BundleInvalid:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise refuse("", f"the zip archive is damaged: {exc}") from None
    except NotImplementedError as exc:  # e.g. LZMA/bzip2 variants zipfile cannot read
        raise refuse("", f"unsupported zip feature: {exc} (use deflate or store)") from None


def stage_parts(
    parts: Iterable[tuple[str, IO[bytes]]], folder: Path, limits: BundleLimits
) -> dict[str, StagedFile]:
    """Write multipart parts (form field name = path in the bundle) into ``folder``."""
    staged: dict[str, StagedFile] = {}
    budget = limits.max_total_bytes
    for part_name, stream in parts:
        name = check_name(part_name)
        if len(staged) >= limits.max_entries:
            raise refuse("", f"more than {limits.max_entries} files (at most {limits.max_entries})")
        target = _place(folder, name, staged)
        size = copy_limited(stream, target, name, limits.max_file_bytes, budget)
        budget -= size
        staged[name] = StagedFile(name, target, size)
    if not staged:
        raise refuse("", "no files were sent (expected scene.json and the files it names)")
    return staged
