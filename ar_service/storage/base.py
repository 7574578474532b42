"""The storage contract: content-addressed, immutable objects behind a small interface."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from hue_errors import InvalidInput

Source = bytes | BinaryIO | Path
CHUNK = 1024 * 1024
# Content-addressed objects never change, so clients and CDNs may keep them forever.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
# An object whose key ends in ".gz" is stored gzip-encoded: it is served with Content-Encoding:
# gzip and the content type of its name without ".gz", so browsers inflate it as it arrives.
ENCODED_SUFFIX = ".gz"
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")
_SUFFIX = re.compile(r"^(\.[a-z0-9]{1,10}){0,2}$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class PresignedUpload:
    """Where a client sends a large file directly: ``method`` to ``url`` with ``fields``/``headers``."""

    method: str
    url: str
    key: str
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class Storage(Protocol):
    def put(self, source: Source, *, content_type: str, suffix: str = "") -> StoredObject:
        """Store ``source`` under its content hash; storing equal bytes again changes nothing."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def read_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> StoredObject: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]: ...

    def public_url(self, key: str) -> str | None:
        """A URL clients download from directly, or None when the service itself serves the object."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file on this machine holding ``key``, or None for remote backends."""
        ...

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedUpload | None:
        """A direct-upload target for ``key``, or None when uploads go through the service."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that could escape the store (``..``, absolute, backslashes, odd characters)."""
    if not _KEY.match(key) or ".." in key.split("/") or "//" in key:
        raise InvalidInput(
            f"storage: invalid object key {key!r} (expected a relative path of letters, digits, ._/-)"
        )
    return key


def check_suffix(suffix: str) -> str:
    if not _SUFFIX.match(suffix):
        raise InvalidInput(f"storage: invalid suffix {suffix!r} (expected e.g. '.glb')")
    return suffix


def is_encoded(key: str) -> bool:
    return key.endswith(ENCODED_SUFFIX)


def object_suffix(name: str) -> str:
    """The suffix a file's object keeps: ``.glb``, or ``.mind.gz`` for a gzip-encoded target."""
    suffixes = PurePosixPath(name.lower()).suffixes
    return "".join(suffixes[-2:] if is_encoded(name.lower()) else suffixes[-1:])


def content_key(sha256: str, suffix: str) -> str:
    """``sha256/ab/cd/abcd…<suffix>``: fan-out keeps folders and bucket listings small."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def iter_chunks(source: Source) -> Iterator[bytes]:
    """The source's bytes in chunks, without reading a whole large file into memory."""
    if isinstance(source, bytes):
        yield source
    elif isinstance(source, Path):
        with source.open("rb") as stream:
            yield from iter(lambda: stream.read(CHUNK), b"")
    else:
        yield from iter(lambda: source.read(CHUNK), b"")


def hash_source(source: Source) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_chunks(source):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
