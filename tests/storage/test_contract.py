"""One contract, two real backends: local disk and an S3 server (SeaweedFS)."""

from __future__ import annotations

import gzip
import hashlib
import io
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from ar_service.media_types import content_type_for
from ar_service.storage import IMMUTABLE_CACHE_CONTROL, Storage, open_storage
from ar_service.storage.local import LocalStorage
from ar_service.storage.s3 import S3Storage
from hue_errors import ConfigError, InvalidInput, NotFound
from tests.services import SeaweedS3


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield open_storage((tmp_path / "store").as_uri())
        return
    yield _prefixed_bucket(request.getfixturevalue("seaweedfs"))


def _prefixed_bucket(server: SeaweedS3) -> S3Storage:
    """One bucket for the session, a prefix per test: SeaweedFS gives each bucket its own volumes."""
    backend = S3Storage(
        "contract",
        f"t-{uuid.uuid4().hex[:8]}/",
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        multipart_threshold=5 * 1024 * 1024,
    )
    backend.ensure_bucket()
    return backend


class FailingStream(io.RawIOBase):
    """Gives some bytes, then fails as a dropped upload would."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_round_trip_is_content_addressed(storage: Storage) -> None:
    data = b"glTF" + bytes(range(256)) * 100
    stored = storage.put(data, content_type="model/gltf-binary", suffix=".glb")
    digest = hashlib.sha256(data).hexdigest()
    assert stored.key == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}.glb"
    assert (stored.size, stored.sha256) == (len(data), digest)
    assert storage.read_bytes(stored.key) == data
    assert storage.exists(stored.key)
    assert storage.stat(stored.key).size == len(data)


def test_storing_the_same_bytes_twice_changes_nothing(storage: Storage, tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"same" * 1000)
    first = storage.put(path, content_type="application/octet-stream", suffix=".bin")
    second = storage.put(io.BytesIO(b"same" * 1000), content_type="application/octet-stream", suffix=".bin")
    assert first == second
    assert list(storage.iter_keys()) == [first.key]


def test_large_stream_goes_up_in_parts(storage: Storage, tmp_path: Path) -> None:
    size = 12 * 1024 * 1024 + 17
    path = tmp_path / "scan.ply"
    with path.open("wb") as out:
        for i in range(size // 65536 + 1):
            out.write(hashlib.sha256(str(i).encode()).digest() * 2048)
    path.write_bytes(path.read_bytes()[:size])
    with path.open("rb") as stream:
        stored = storage.put(stream, content_type="application/octet-stream", suffix=".ply")
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with storage.open(stored.key) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == stored.sha256


def test_failed_write_leaves_nothing_visible(storage: Storage) -> None:
    with pytest.raises(ConnectionResetError):
        storage.put(
            cast(BinaryIO, FailingStream(3 * 1024 * 1024)),
            content_type="application/octet-stream",
            suffix=".bin",
        )
    assert list(storage.iter_keys()) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "sha256/../../x", "a\\b", "", "a//b", "a b"])
def test_hostile_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidInput, match="invalid object key"):
        storage.open(key)


def test_hostile_suffix_is_refused(storage: Storage) -> None:
    with pytest.raises(InvalidInput, match="invalid suffix"):
        storage.put(b"x", content_type="text/plain", suffix="/../../x")


def test_missing_object_is_not_found_with_its_key(storage: Storage) -> None:
    key = "sha256/00/00/" + "0" * 64 + ".glb"
    with pytest.raises(NotFound, match=key):
        storage.open(key)
    with pytest.raises(NotFound):
        storage.stat(key)
    assert not storage.exists(key)


def test_delete_removes_the_object(storage: Storage) -> None:
    stored = storage.put(b"gone soon", content_type="text/plain", suffix=".txt")
    storage.delete(stored.key)
    assert not storage.exists(stored.key)


def test_local_objects_are_served_from_disk(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    stored = storage.put(b"poster", content_type="image/webp", suffix=".webp")
    assert storage.public_url(stored.key) is None
    path = storage.local_path(stored.key)
    assert path is not None and path.read_bytes() == b"poster"
    assert storage.presign_upload(stored.key, content_type="image/webp", max_bytes=10, expires_s=60) is None


@pytest.mark.s3
def test_s3_objects_are_immutable_cacheable_and_downloadable(seaweedfs: SeaweedS3) -> None:
    storage = S3Storage(
        "contract",
        endpoint_url=seaweedfs.endpoint_url,
        access_key=seaweedfs.access_key,
        secret_key=seaweedfs.secret_key,
    )
    storage.ensure_bucket()
    stored = storage.put(b"glTF...", content_type="model/gltf-binary", suffix=".glb")
    head = storage.client.head_object(Bucket="contract", Key=stored.key)
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
    assert head["ContentType"] == "model/gltf-binary"
    url = storage.public_url(stored.key)
    assert url is not None
    with urllib.request.urlopen(url) as reply:
        assert reply.read() == b"glTF..."


@pytest.mark.s3
def test_s3_gzip_encoded_objects_are_inflated_by_the_client(seaweedfs: SeaweedS3) -> None:
    storage = _prefixed_bucket(seaweedfs)
    content = b"\x82\xa1v\x02" + b"tracking data " * 500
    stored = storage.put(
        gzip.compress(content, mtime=0), content_type=content_type_for("t.mind.gz"), suffix=".mind.gz"
    )
    assert stored.key.endswith(".mind.gz") and stored.size < len(content) / 10
    url = storage.public_url(stored.key)
    assert url is not None
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as reply:
        assert reply.headers["Content-Encoding"] == "gzip"
        # (SeaweedFS answers application/gzip for a stored application/octet-stream; AWS keeps it.)
        assert gzip.decompress(reply.read()) == content


@pytest.mark.s3
def test_s3_presigned_upload_accepts_a_direct_post(seaweedfs: SeaweedS3) -> None:
    storage = S3Storage(
        "contract",
        endpoint_url=seaweedfs.endpoint_url,
        access_key=seaweedfs.access_key,
        secret_key=seaweedfs.secret_key,
    )
    storage.ensure_bucket()
    target = storage.presign_upload(
        "uploads/scan.zip", content_type="application/zip", max_bytes=1000, expires_s=300
    )
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in target.fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n".encode()
        + b"PK\x03\x04zip"
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        target.url,
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request) as reply:
        assert reply.status in (200, 201, 204)
    assert storage.read_bytes("uploads/scan.zip") == b"PK\x03\x04zip"


def test_unknown_scheme_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="HUE_AR_STORAGE_URL"):
        open_storage("ftp://files.example/x")
    with pytest.raises(ConfigError, match="names no bucket"):
        open_storage("s3:///prefix")


def test_plain_path_opens_local_storage(tmp_path: Path) -> None:
    stored = open_storage(str(tmp_path)).put(b"plain", content_type="text/plain")
    assert open_storage(tmp_path.as_uri()).read_bytes(stored.key) == b"plain"
    with pytest.raises(ConfigError, match="HUE_AR_STORAGE_URL"):
        open_storage("")
