"""Objects in an S3-compatible bucket through boto3 (the only module that imports it)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError

from ar_service.storage.base import (
    CHUNK,
    IMMUTABLE_CACHE_CONTROL,
    PresignedUpload,
    Source,
    StoredObject,
    check_key,
    check_suffix,
    content_key,
    hash_source,
    is_encoded,
)
from hue_errors import NotFound, StorageError

# Files above this go up in parts, so a 500 MB scan never sits in memory and a broken
# connection only resends one part.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
PRESIGNED_GET_SECONDS = 24 * 3600


class S3Storage:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        public_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.public_base = public_url.rstrip("/") if public_url else None
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region or "us-east-1",
            config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}
            ),
        )
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_threshold
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _fail(self, action: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"storage: {action} {key!r} in bucket {self.bucket!r} failed: {exc}")

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (deployment and tests; the service never does it alone)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except (ClientError, BotoCoreError) as exc:
                raise self._fail("creating", self.bucket, exc) from exc

    def put(self, source: Source, *, content_type: str, suffix: str = "") -> StoredObject:
        check_suffix(suffix)
        with tempfile.SpooledTemporaryFile(max_size=CHUNK * 8) as spool:
            if isinstance(source, Path):
                sha256, size = hash_source(source)
                body: Any = source.open("rb")
            elif isinstance(source, bytes):
                sha256, size = hash_source(source)
                spool.write(source)
                spool.seek(0)
                body = spool
            else:
                # The key is the hash, so a stream is read once into a spool (memory, then disk).
                shutil.copyfileobj(source, spool, CHUNK)
                spool.seek(0)
                sha256, size = hash_source(spool)  # type: ignore[arg-type]
                spool.seek(0)
                body = spool
            key = content_key(sha256, suffix)
            stored = StoredObject(key=key, size=size, sha256=sha256, content_type=content_type)
            try:
                if not self.exists(key):
                    self.client.upload_fileobj(
                        body,
                        self.bucket,
                        self._name(key),
                        ExtraArgs={
                            "ContentType": content_type,
                            "CacheControl": IMMUTABLE_CACHE_CONTROL,
                            "Metadata": {"sha256": sha256},
                            **({"ContentEncoding": "gzip"} if is_encoded(key) else {}),
                        },
                        Config=self.transfer,
                    )
            except (ClientError, BotoCoreError) as exc:
                raise self._fail("writing", key, exc) from exc
            finally:
                if isinstance(source, Path):
                    body.close()
        return stored

    def open(self, key: str) -> BinaryIO:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"storage: no object {key!r}") from None
            raise self._fail("reading", key, exc) from exc
        body: BinaryIO = reply["Body"]
        return body

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return head
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._fail("checking", key, exc) from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def stat(self, key: str) -> StoredObject:
        head = self._head(key)
        if head is None:
            raise NotFound(f"storage: no object {key!r}")
        return StoredObject(
            key=key,
            size=int(head["ContentLength"]),
            sha256=head.get("Metadata", {}).get("sha256", ""),
            content_type=head.get("ContentType", "application/octet-stream"),
        )

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("deleting", key, exc) from exc

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("listing", prefix, exc) from exc

    def public_url(self, key: str) -> str | None:
        if self.public_base:
            return f"{self.public_base}/{self._name(key)}"
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._name(key)},
            ExpiresIn=PRESIGNED_GET_SECONDS,
        )
        return url

    def local_path(self, key: str) -> Path | None:
        return None

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedUpload:
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=self._name(key),
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_s,
        )
        return PresignedUpload(method="POST", url=post["url"], key=key, fields=post["fields"])
