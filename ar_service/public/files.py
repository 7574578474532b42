"""Serving stored objects: immutable, cacheable forever, with Range support."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from flask import redirect, request, send_file
from werkzeug.wrappers import Response

from ar_service.media_types import content_type_for
from ar_service.services import services
from ar_service.storage import IMMUTABLE_CACHE_CONTROL
from ar_service.storage.base import is_encoded
from hue_errors import NotFound, StorageError


def serve_object(key: str) -> Response:
    """The object under ``key``: from disk with Range/ETag, or a redirect to the bucket."""
    storage = services().storage
    url = storage.public_url(key)
    if url is not None:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response
    path = storage.local_path(key)
    if path is None:
        raise NotFound(f"no stored file {key!r}; it may have been replaced by a newer version of the scene")
    mimetype = content_type_for(key)
    encoded = is_encoded(key)
    if encoded and not request.accept_encodings.quality("gzip"):
        # Every browser accepts gzip; a client that does not gets the content inflated.
        response = Response(_inflated(path, key), mimetype=mimetype)
    else:
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=31536000)
        if encoded:
            response.headers["Content-Encoding"] = "gzip"
    if encoded:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE_CACHE_CONTROL
    return response


def _inflated(path: Path, key: str) -> bytes:
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise StorageError(
            f"the stored file {key!r} is damaged ({exc}); ask a curator to publish the scene again"
        ) from None
