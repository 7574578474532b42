"""Objects as files under one folder; a write is all or nothing (temp file, fsync, rename)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ar_service.media_types import content_type_for
from ar_service.storage.base import (
    PresignedUpload,
    Source,
    StoredObject,
    check_key,
    check_suffix,
    content_key,
    iter_chunks,
)
from hue_errors import NotFound, StorageError


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"storage: cannot create folder {root}: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, source: Source, *, content_type: str, suffix: str = "") -> StoredObject:
        check_suffix(suffix)
        staging = self.root / ".staging"
        staging.mkdir(exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temp_name = tempfile.mkstemp(dir=staging)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in iter_chunks(source):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = content_key(digest.hexdigest(), suffix)
            target = self._path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                temp.unlink()
            else:
                temp.replace(target)  # atomic: readers see the old state or the whole file
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest(), content_type=content_type)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(f"storage: no object {key!r}") from None

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"storage: no object {key!r}")
        digest = path.name.split(".", 1)[0] if key.startswith("sha256/") else ""
        return StoredObject(
            key=key, size=path.stat().st_size, sha256=digest, content_type=content_type_for(key)
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.parts[len(self.root.parts)] != ".staging":
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def public_url(self, key: str) -> str | None:
        return None

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedUpload | None:
        return None
