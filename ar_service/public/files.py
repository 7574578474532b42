"""Serving stored objects: immutable, cacheable forever, with Range support."""

from __future__ import annotations

from flask import redirect, send_file
from werkzeug.wrappers import Response

from ar_service.media_types import content_type_for
from ar_service.services import services
from ar_service.storage import IMMUTABLE_CACHE_CONTROL
from hue_errors import NotFound


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
    response = send_file(path, mimetype=content_type_for(key), conditional=True, etag=True, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE_CACHE_CONTROL
    return response
