"""Compressing generated responses (pages, manifests, API answers) with brotli or gzip (Flask-Compress).

Files are left alone: the viewer's are compressed at build time (viewer.py) and the scene files are
compressed formats already. Flask-Compress would read a file response whole and leave it open.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

SETTINGS = {
    "COMPRESS_REGISTER": False,
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
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
        if response.direct_passthrough:  # send_file: a file streamed from disk
            return response
        return compress.after_request(response)
