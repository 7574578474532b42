"""The files of one upload (a model file, a folder or a zip), read without ever leaving it.

Every reference a model makes (glTF ``uri``, MTL ``map_Kd``) goes through :meth:`Bundle.read`,
which refuses absolute paths, ``..``, schemes (``file:``, ``http:``) and anything outside the
bundle, so a hostile upload can neither read the server's files nor reach the network. Sizes are
enforced against the zip directory and again while reading, because a directory can lie about
sizes (APPNOTE.TXT §4.4.8–4.4.9).
"""

from __future__ import annotations

import hashlib
import lzma
import posixpath
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from hue_errors import InvalidInput, TooLarge
from hue_zip import CONTROL_CHARACTERS, MAX_RATIO, RATIO_FLOOR_BYTES, declared_entries

MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".ply")  # preference order when a folder holds several
MAX_FILE_BYTES = 1 << 30  # one file of a scan: 1 GiB is far above any 8K-atlas photogrammetry file
# Everything one input reads (model, MTL files, buffers, textures), each file counted once:
# a model file at its limit and as much again of textures.
MAX_BUNDLE_BYTES = 2 * MAX_FILE_BYTES
MAX_BUNDLE_FILES = 10_000
# File systems hold at most 255 bytes per name (ext4, XFS, APFS).
MAX_NAME_BYTES = 255


class Bundle:
    """A read-only view of the upload; ``main`` is the model file's name inside it."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.digests: dict[str, str] = {}  # sha256 of every file read, for the run manifest
        self._zip: zipfile.ZipFile | None = None
        self._root: Path | None = None
        self._contents: dict[str, bytes] = {}  # each file is read once, however often it is referenced
        self._budget = MAX_BUNDLE_BYTES  # bytes left to read
        if not source.exists():
            raise InvalidInput(f"ingest: {source.name}: no such file or folder")
        if source.is_dir():
            self._root = source.resolve()
            names = _folder_files(self._root, source.name)
        elif source.suffix.lower() == ".zip":
            names = self._open_zip(source)
        else:
            # The folder the file is named in, not its link target's: a link out of it is refused.
            self._root = source.absolute().parent.resolve()
            names = [source.name]
        self.main = _pick_model(names, source.name)
        self._names = set(names)
        # Each name in Unicode's composed form (NFC), for references spelled the other way: a zip
        # made on macOS stores "Huế.jpg" decomposed (NFD), while the MTL or glTF naming it is
        # typed composed, and the two compare unequal byte for byte.
        self._composed: dict[str, str] = {}
        for name in names:
            self._composed.setdefault(unicodedata.normalize("NFC", name), name)

    def _open_zip(self, source: Path) -> list[str]:
        try:
            declared = declared_entries(source)
            # Folder entries count in the record too, hence the room; files are counted below.
            if declared is not None and declared > 2 * MAX_BUNDLE_FILES:
                raise TooLarge(
                    f"ingest: {source.name}: the archive declares {declared} entries "
                    f"(expected ≤ {MAX_BUNDLE_FILES} files)"
                )
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"ingest: {source.name}: not a readable zip archive ({exc})") from exc
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        _check_count(len(infos), source.name)
        for info in infos:
            # Members are only ever looked up by name, never extracted, but a name that would
            # escape on extraction ("zip slip") marks a hostile archive: refuse it outright.
            if _unsafe_relative(info.filename):
                raise InvalidInput(
                    f"ingest: {source.name}: member {info.filename!r} points outside the archive"
                )
        return sorted(i.filename for i in infos)

    def close(self) -> None:
        self._contents.clear()
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def resolve(self, reference: str, *, referenced_by: str, percent_encoded: bool) -> str:
        """The bundle name a reference made from file ``referenced_by`` points to, spelled one way
        (``a.mtl``, ``./a.mtl`` and ``.//a.mtl`` are one file)."""
        # A URI's query and fragment name no part of a file (RFC 3986 §3.4, §3.5): 'a.bin?v=2' is
        # a.bin, and a file named with '#' or '?' is written percent-encoded.
        raw = unquote(reference.split("#", 1)[0].split("?", 1)[0]) if percent_encoded else reference
        shown = _shown(reference)
        # '..' is refused only where it leaves the bundle (below): 'models/m.gltf' may name
        # '../textures/a.png', as the upload check allows.
        if _absolute(raw) or ":" in raw.split("/")[0]:
            raise InvalidInput(
                f"ingest: {referenced_by}: reference {shown} points outside the bundle "
                "(only relative paths inside the upload are allowed)"
            )
        name = posixpath.normpath(posixpath.join(posixpath.dirname(referenced_by), raw.replace("\\", "/")))
        if name.startswith("../") or name == "..":
            raise InvalidInput(f"ingest: {referenced_by}: reference {shown} points outside the bundle")
        if percent_encoded and "\\" in raw:
            raise InvalidInput(
                f"ingest: {referenced_by}: reference {shown} holds a backslash "
                "(a URI separates folders with '/')"
            )
        if CONTROL_CHARACTERS.search(raw):
            raise InvalidInput(
                f"ingest: {referenced_by}: reference {shown} holds control characters "
                "(expected a plain file name)"
            )
        longest = max(len(part.encode("utf-8", errors="replace")) for part in raw.split("/"))
        if longest > MAX_NAME_BYTES:
            raise InvalidInput(
                f"ingest: {referenced_by}: reference {shown} has a {longest}-byte name "
                f"(expected ≤ {MAX_NAME_BYTES} bytes per file or folder name)"
            )
        if name in self._names:
            return name
        return self._composed.get(unicodedata.normalize("NFC", name), name)

    def has(self, name: str) -> bool:
        """Whether bundle file ``name`` (as :meth:`resolve` spells it) exists."""
        if self._root is None:
            return name in self._names
        try:
            return (self._root / name).is_file()
        except (OSError, ValueError):
            return False

    def read(self, name: str, *, referenced_by: str | None = None) -> bytes:
        """The bytes of bundle file ``name``, read once; InvalidInput names the missing file and who
        wanted it."""
        if name not in self._contents:
            who = f"{referenced_by}: " if referenced_by else ""
            data = self._read_member(name, who) if self._zip is not None else self._read_file(name, who)
            self._budget -= len(data)
            self.digests[name] = hashlib.sha256(data).hexdigest()
            self._contents[name] = data
        return self._contents[name]

    def _read_member(self, name: str, who: str) -> bytes:
        archive = self._zip
        assert archive is not None
        if name not in self._names:
            raise InvalidInput(f"ingest: {who}missing file {_shown(name)} in {self.source.name}")
        info = archive.getinfo(name)
        if info.flag_bits & 0x1:
            raise InvalidInput(f"ingest: {name}: encrypted in {self.source.name} (expected no password)")
        # The archive's own size bounds what a member can hold compressed, whatever its entry says.
        packed = min(info.compress_size, self.source.stat().st_size)
        try:
            return self._read_bounded(name, info.file_size, lambda: archive.open(info), packed)
        except NotImplementedError as exc:
            raise InvalidInput(
                f"ingest: {name}: compression method {info.compress_type} cannot be read "
                "(expected deflate, store, bzip2 or LZMA)"
            ) from exc
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError) as exc:
            raise InvalidInput(f"ingest: {name}: damaged in {self.source.name} ({exc})") from exc

    def _read_file(self, name: str, who: str) -> bytes:
        assert self._root is not None
        try:
            path = (self._root / name).resolve()
            if not path.is_relative_to(self._root):
                raise InvalidInput(
                    f"ingest: {who}{_shown(name)} points outside the bundle through a symbolic link "
                    "(expected links to stay inside the upload's folder)"
                )
            if not path.is_file():
                raise InvalidInput(f"ingest: {who}missing file {_shown(name)}")
            return self._read_bounded(name, path.stat().st_size, lambda: path.open("rb"), None)
        # The reasons name no path: the bundle's folder is this machine's business, not the uploader's.
        except RuntimeError as exc:  # how pathlib reports a symbolic link loop before Python 3.13
            raise InvalidInput(f"ingest: {who}cannot read {_shown(name)} (a symbolic link loop)") from exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInput(f"ingest: {who}cannot read {_shown(name)} ({reason})") from exc
        except ValueError as exc:  # a name no path can hold, such as one with a NUL byte
            raise InvalidInput(f"ingest: {who}cannot read {_shown(name)} ({exc})") from exc

    def _read_bounded(
        self, name: str, declared: int, open_file: Callable[[], IO[bytes]], packed: int | None
    ) -> bytes:
        """Read at most what the tightest limit allows, refusing a ``declared`` size past it
        before reading and a file that turns out larger while reading."""
        limit, problem = min(self._limits(packed))
        if declared > limit:
            raise TooLarge(f"ingest: {name}: {problem}")
        with open_file() as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"ingest: {name}: {problem}")
        return data

    def _limits(self, packed: int | None) -> list[tuple[int, str]]:
        """The sizes a file may not pass, each with what to say when it does; ``packed``: its
        compressed size in a zip."""
        limits = [
            (MAX_FILE_BYTES, f"over {MAX_FILE_BYTES} bytes (expected ≤ {MAX_FILE_BYTES} per file)"),
            (
                self._budget,
                f"the files read for {self.source.name} add up to over {MAX_BUNDLE_BYTES} bytes "
                f"(expected ≤ {MAX_BUNDLE_BYTES} in all)",
            ),
        ]
        if packed is not None:
            most = max(RATIO_FLOOR_BYTES, MAX_RATIO * packed)
            limits.append(
                (
                    most,
                    f"unpacks from {packed} bytes to over {most}, a compression ratio over "
                    f"{MAX_RATIO}:1 (expected ≤ {MAX_RATIO}:1 for files over "
                    f"{RATIO_FLOOR_BYTES} bytes; a zip bomb?)",
                )
            )
        return limits


def _folder_files(root: Path, label: str) -> list[str]:
    """The files under ``root``, refused as soon as there are too many (before listing them all)."""
    names = []
    for path in root.rglob("*"):
        if path.is_file():
            names.append(path.relative_to(root).as_posix())
            _check_count(len(names), label)
    return sorted(names)


def _check_count(files: int, label: str) -> None:
    if files > MAX_BUNDLE_FILES:
        raise TooLarge(f"ingest: {label}: over {MAX_BUNDLE_FILES} files (expected ≤ {MAX_BUNDLE_FILES})")


def _shown(name: str) -> str:
    """``name`` quoted for a message, cut short: a hostile reference can be megabytes long."""
    return repr(name if len(name) <= 80 else name[:80] + "…")


def _absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def _unsafe_relative(name: str) -> bool:
    return _absolute(name) or ".." in name.replace("\\", "/").split("/")


def _pick_model(names: list[str], label: str) -> str:
    for suffix in MODEL_SUFFIXES:
        found = [n for n in names if n.lower().endswith(suffix) and "__MACOSX" not in n]
        if found:
            return min(found, key=lambda n: (n.count("/"), n))
    raise InvalidInput(f"ingest: {label}: no model file found (expected one of {', '.join(MODEL_SUFFIXES)})")
