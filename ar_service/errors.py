"""Exceptions → responses, in one place: problem+json for the API, pages for people."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from hue_errors import HueARError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """problem+json for the API, for any URL naming a JSON document (``/preview/<token>/scene.json``,
    ``/admin/jobs/<id>.json``) and for clients that ask for JSON; a page for everyone else."""
    path = request.path
    return (
        path.startswith("/api/")
        or path.endswith(".json")
        or request.accept_mimetypes.best == "application/json"
    )


def problem(status: int, title: str, detail: str, code: str) -> Response:
    """An RFC 9457 problem document."""
    response = jsonify(
        {
            "type": f"https://hue-ar.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    )
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def render_error(status: int, title: str, detail: str, code: str) -> Response | tuple[str, int]:
    if wants_json():
        return problem(status, title, detail, code)
    return render_template("error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HueARError)
    def _hue_error(exc: HueARError) -> Response | tuple[str, int]:
        if exc.http_status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return render_error(exc.http_status, type(exc).__name__, exc.message, exc.code)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return render_error(status, exc.name or "Error", exc.description or "", code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response | tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(
            500, "Internal error", "Something went wrong on our side; it has been logged.", "internal"
        )
