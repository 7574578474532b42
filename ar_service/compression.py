"""Compressing generated responses (pages, manifests, API answers) with brotli or gzip (Flask-Compress).

Files are left alone: the viewer's are compressed at build time (viewer.py) and the scene files are
compressed formats already. Flask-Compress would read a file response whole and leave it open.
A generated response with an ETag is made conditional here, after compression, since the ETag sent
names the coding (Flask-Compress makes "abc" "abc:br") and If-Match must compare against that one.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

from ar_service.conditional import make_conditional

SETTINGS = {
    "COMPRESS_REGISTER": False,
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,  # done once below, by conditional.py's rules
    "COMPRESS_MIMETYPES": [
        "text/html",
        "application/json",
        "application/problem+json",
        "application/schema+json",
    ],
}


def init_compression(app: Flask) -> None:
    app.config.update(SETTINGS)
    compress = Compress(app)

    @app.after_request
    def compress_generated(response: Response) -> Response:
        if response.direct_passthrough:  # send_file: a file streamed from disk, conditional already
            return response
        response = compress.after_request(response)
        if response.status_code == 200 and "ETag" in response.headers:
            make_conditional(response, request)
        return response
