"""Signed, expiring links that show an unpublished scene version in the tourists' viewer."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, url_for
from itsdangerous import BadData, URLSafeSerializer
from werkzeug.wrappers import Response

from ar_service.i18n import select_language
from ar_service.models import SceneVersion, Site
from ar_service.models.base import MAX_ID
from ar_service.public.manifest import version_manifest
from ar_service.public.views import file_url, site_page
from ar_service.services import db
from hue_errors import NotFound

bp = Blueprint("preview", __name__, url_prefix="/preview")
PREVIEW_TTL = dt.timedelta(days=2)
PREVIEW_MAX_TTL = dt.timedelta(days=14)
_SALT = "hue-ar-preview"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def preview_token(version_id: int, expires: dt.datetime) -> str:
    return str(_serializer().dumps([version_id, int(expires.timestamp())]))


def _payload(token: str) -> tuple[int, int]:
    """(version id, expiry in Unix seconds) of a token this server signed, or NotFound.

    The signature proves who made the token, not its shape: anything but ``[id, expiry]`` with
    an id from 1 to ``MAX_ID`` (a larger one overflows PostgreSQL's INTEGER) and an integer expiry
    (not a bool, float or string) is refused here, once, before the values are used.
    """
    try:
        payload = _serializer().loads(token)
    except BadData:
        payload = None
    match payload:
        case [int() as version_id, int() as expires] if (
            not isinstance(version_id, bool) and not isinstance(expires, bool) and 0 < version_id <= MAX_ID
        ):
            return version_id, expires
    raise NotFound("this preview link is not valid; ask the developer API for a new one")


def _previewed(token: str) -> tuple[Site, SceneVersion]:
    version_id, expires = _payload(token)
    if dt.datetime.now(dt.UTC).timestamp() >= expires:
        raise NotFound("this preview link has expired; ask the developer API for a new one")
    session = db()
    version = session.get(SceneVersion, version_id)
    site = session.get(Site, version.scene.site_id) if version is not None else None
    if version is None or site is None:
        raise NotFound("the previewed scene version no longer exists")
    return site, version


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>")
def show(token: str) -> Response:
    """The site page as tourists would see it with this version published."""
    site, version = _previewed(token)
    language = select_language()
    manifest = version_manifest(db(), site, version, language, file_url)
    html = site_page(site, language, manifest, url_for("preview.manifest", token=token, lang=language))
    return _private(Response(html, mimetype="text/html"))


@bp.get("/<token>/scene.json")
def manifest(token: str) -> Response:
    """The previewed version's manifest, in the same format as /api/v1/sites/<slug>/scene."""
    site, version = _previewed(token)
    return _private(jsonify(version_manifest(db(), site, version, select_language(), file_url)))
