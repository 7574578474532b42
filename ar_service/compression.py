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

CODINGS = ("br", "gzip")  # best first
SETTINGS = {
    "COMPRESS_REGISTER": False,
    "COMPRESS_ALGORITHM": list(CODINGS),
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,  # done once below, by conditional.py's rules
    "COMPRESS_MIMETYPES": [
        "text/html",
        "application/json",
        "application/problem+json",
        "application/schema+json",
    ],
}


def _compressor(app: Flask, coding: str) -> Compress:
    compress = Compress(app)
    compress.enabled_algorithms = compress.streaming_algorithms = (coding,)
    return compress


def init_compression(app: Flask) -> None:
    app.config.update(SETTINGS)
    # Flask-Compress 1.25, the latest release, ranks codings by q but keeps those of q=0, so
    # "br;q=0" alone, or "br;q=0, *", still got brotli (RFC 9110 §12.5.3: q=0 is "not acceptable").
    # The coding is chosen by werkzeug's Accept-Encoding parser, as for the viewer's files, and
    # handed to a compressor that knows only that coding.
    compressors = {coding: _compressor(app, coding) for coding in CODINGS}

    @app.after_request
    def compress_generated(response: Response) -> Response:
        if response.direct_passthrough:  # send_file: a file streamed from disk, conditional already
            return response
        coding = request.accept_encodings.best_match(CODINGS)
        if coding is None:
            response.vary.add("Accept-Encoding")
        else:
            response = compressors[coding].after_request(response)
        if response.status_code == 200 and "ETag" in response.headers:
            make_conditional(response, request)
        return response
