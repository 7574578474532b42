"""Object storage: one small interface, chosen by URL scheme (``file://`` or ``s3://``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from ar_service.storage.base import IMMUTABLE_CACHE_CONTROL, PresignedUpload, Storage, StoredObject
from hue_errors import ConfigError

__all__ = ["IMMUTABLE_CACHE_CONTROL", "PresignedUpload", "Storage", "StoredObject", "open_storage"]


def open_storage(
    url: str,
    *,
    s3_endpoint_url: str | None = None,
    s3_public_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> Storage:
    """The backend for ``url``: ``file:///abs/folder``, a plain folder path, or ``s3://bucket/prefix``."""
    if not url:
        raise ConfigError("HUE_AR_STORAGE_URL is empty (expected file:///path or s3://bucket/prefix)")
    parts = urlsplit(url)
    if parts.scheme in ("file", ""):
        from ar_service.storage.local import LocalStorage

        folder = unquote(parts.path) if parts.scheme else url
        return LocalStorage(Path(folder).resolve())
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"HUE_AR_STORAGE_URL: {url!r} names no bucket (expected s3://bucket/prefix)")
        from ar_service.storage.s3 import S3Storage

        return S3Storage(
            parts.netloc,
            parts.path,
            endpoint_url=s3_endpoint_url,
            public_url=s3_public_url,
            access_key=access_key,
            secret_key=secret_key,
        )
    raise ConfigError(
        f"HUE_AR_STORAGE_URL: unsupported scheme in {url!r} (expected file:///path or s3://bucket/prefix)"
    )
