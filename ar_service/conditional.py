"""Conditional GETs (RFC 9110 §13) with If-Match evaluated as the RFC says, for every response.

werkzeug 3.1's ``Response.make_conditional`` answers ``If-Match: *`` with 412 (it looks for "*"
among the strong tags), lets a true If-Match override a matching If-None-Match, and sends its 412
with the whole body and the resource's cache headers. Here If-Match is judged first (§13.2.2),
then werkzeug does the rest (If-None-Match, If-Modified-Since, Range) without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from flask import Flask
from flask import Response as FlaskResponse
from werkzeug.http import parse_etags
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WerkzeugResponse

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

R = TypeVar("R", bound=WerkzeugResponse)
# Headers that describe a representation a 412 does not carry.
_REPRESENTATION_HEADERS = ("ETag", "Last-Modified", "Expires", "Content-Encoding", "Content-Range")


def make_conditional(
    response: R,
    request_or_environ: WSGIEnvironment | Request,
    accept_ranges: bool | str = False,
    complete_length: int | None = None,
) -> R:
    """``response`` answered to the request's preconditions, in place: 412, 304, 206 or unchanged."""
    environ = request_or_environ.environ if isinstance(request_or_environ, Request) else request_or_environ
    if environ["REQUEST_METHOD"] in ("GET", "HEAD") and (asked := parse_etags(environ.get("HTTP_IF_MATCH"))):
        etag, weak = response.get_etag()
        # §13.1.1: "*" is true when there is a current representation (this response is it); a list
        # of tags uses the strong comparison (§8.8.3.2), which a weak tag on either side never passes.
        if not (asked.star_tag or (etag is not None and not weak and asked.is_strong(etag))):
            return _precondition_failed(response)
        environ = {key: value for key, value in environ.items() if key != "HTTP_IF_MATCH"}
    WerkzeugResponse.make_conditional(response, environ, accept_ranges, complete_length)
    return response


def _precondition_failed(response: R) -> R:
    """412 with no body: the resource's page must not be sent, or kept by a cache, as the answer."""
    if hasattr(response.response, "close"):  # send_file's open file
        response.response.close()
    response.status_code = 412
    response.set_data(b"")
    return _uncacheable(response)


def _uncacheable(response: R) -> R:
    for header in _REPRESENTATION_HEADERS:
        del response.headers[header]
    response.headers["Cache-Control"] = "no-store"
    return response


class ConditionalResponse(FlaskResponse):
    """The app's response class, so that send_file's conditional files follow the same rules."""

    def make_conditional(
        self,
        request_or_environ: WSGIEnvironment | Request,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> ConditionalResponse:
        return make_conditional(self, request_or_environ, accept_ranges, complete_length)


def init_conditional(app: Flask) -> None:
    app.response_class = ConditionalResponse

    @app.after_request
    def keep_412_uncacheable(response: FlaskResponse) -> FlaskResponse:
        # The file views set their immutable Cache-Control after send_file has answered 412.
        return _uncacheable(response) if response.status_code == 412 else response
