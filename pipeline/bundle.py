"""The files of one upload (a model file, a folder or a zip), read without ever leaving it.

Every reference a model makes (glTF ``uri``, MTL ``map_Kd``) goes through :meth:`Bundle.read`,
which refuses absolute paths, ``..``, schemes (``file:``, ``http:``) and anything outside the
bundle, so a hostile upload can neither read the server's files nor reach the network.
"""

from __future__ import annotations

import hashlib
import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

from hue_errors import InvalidInput, TooLarge

MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".ply")  # preference order when a folder holds several
MAX_FILE_BYTES = 1 << 30  # one file of a scan: 1 GiB is far above any 8K-atlas photogrammetry file
MAX_BUNDLE_FILES = 10_000


class Bundle:
    """A read-only view of the upload; ``main`` is the model file's name inside it."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.digests: dict[str, str] = {}  # sha256 of every file read, for the run manifest
        self._zip: zipfile.ZipFile | None = None
        self._root: Path | None = None
        if not source.exists():
            raise InvalidInput(f"ingest: {source.name}: no such file or folder")
        if source.is_dir():
            self._root = source.resolve()
            names = sorted(p.relative_to(self._root).as_posix() for p in self._root.rglob("*") if p.is_file())
        elif source.suffix.lower() == ".zip":
            names = self._open_zip(source)
        else:
            self._root = source.resolve().parent
            names = [source.name]
        self.main = _pick_model(names, source.name)
        self._names = set(names)

    def _open_zip(self, source: Path) -> list[str]:
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"ingest: {source.name}: not a readable zip archive ({exc})") from exc
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        if len(infos) > MAX_BUNDLE_FILES:
            raise TooLarge(f"ingest: {source.name}: {len(infos)} files (expected ≤ {MAX_BUNDLE_FILES})")
        for info in infos:
            # Members are only ever looked up by name, never extracted, but a name that would
            # escape on extraction ("zip slip") marks a hostile archive: refuse it outright.
            if _unsafe_relative(info.filename):
                raise InvalidInput(
                    f"ingest: {source.name}: member {info.filename!r} points outside the archive"
                )
        return sorted(i.filename for i in infos)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def resolve(self, reference: str, *, referenced_by: str, percent_encoded: bool) -> str:
        """The bundle name a reference made from file ``referenced_by`` points to."""
        raw = unquote(reference) if percent_encoded else reference
        if _unsafe_relative(raw) or ":" in raw.split("/")[0]:
            raise InvalidInput(
                f"ingest: {referenced_by}: reference {reference!r} points outside the bundle "
                "(only relative paths inside the upload are allowed)"
            )
        name = posixpath.normpath(posixpath.join(posixpath.dirname(referenced_by), raw.replace("\\", "/")))
        if name.startswith("../") or name == "..":
            raise InvalidInput(f"ingest: {referenced_by}: reference {reference!r} points outside the bundle")
        return name

    def read(self, name: str, *, referenced_by: str | None = None) -> bytes:
        """The bytes of bundle file ``name``; InvalidInput names the missing file and who wanted it."""
        who = f"{referenced_by}: " if referenced_by else ""
        if self._zip is not None:
            if name not in self._names:
                raise InvalidInput(f"ingest: {who}missing file {name!r} in {self.source.name}")
            info = self._zip.getinfo(name)
            if info.file_size > MAX_FILE_BYTES:
                raise TooLarge(f"ingest: {name}: {info.file_size} bytes (expected ≤ {MAX_FILE_BYTES})")
            with self._zip.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
        else:
            assert self._root is not None
            path = (self._root / name).resolve()
            if not path.is_relative_to(self._root):  # a symlink pointing out of the bundle
                raise InvalidInput(f"ingest: {who}{name!r} points outside the bundle")
            if not path.is_file():
                raise InvalidInput(f"ingest: {who}missing file {name!r}")
            if path.stat().st_size > MAX_FILE_BYTES:
                raise TooLarge(f"ingest: {name}: larger than {MAX_FILE_BYTES} bytes")
            data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise TooLarge(f"ingest: {name}: larger than {MAX_FILE_BYTES} bytes")
        self.digests[name] = hashlib.sha256(data).hexdigest()
        return data


def _unsafe_relative(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _pick_model(names: list[str], label: str) -> str:
    for suffix in MODEL_SUFFIXES:
        found = [n for n in names if n.lower().endswith(suffix) and "__MACOSX" not in n]
        if found:
            return min(found, key=lambda n: (n.count("/"), n))
    raise InvalidInput(f"ingest: {label}: no model file found (expected one of {', '.join(MODEL_SUFFIXES)})")
