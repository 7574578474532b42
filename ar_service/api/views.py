"""Public read endpoints of /api/v1: scene manifests and anonymous viewer beacons."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from ar_service.analytics import record_event
from ar_service.i18n import select_language
from ar_service.models import EventKind, Site, SiteStatus
from ar_service.public.manifest import build_manifest
from ar_service.public.views import file_url
from ar_service.services import db
from hue_errors import InvalidInput, NotFound

bp = Blueprint("api", __name__, url_prefix="/api/v1")
BEACON_MAX_BYTES = 2048


def _active_site(slug: str) -> Site:
    site = db().scalar(select(Site).where(Site.slug == slug))
    if site is None or site.status != SiteStatus.ACTIVE:
        raise NotFound(f"no active site with slug {slug!r}")
    return site


@bp.get("/sites/<slug>/scene")
def site_scene(slug: str) -> Response:
    """The published scene of a site: files with sizes, placement, texts in the negotiated language."""
    manifest = build_manifest(db(), _active_site(slug), select_language(), file_url)
    response = jsonify(manifest)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Accept-Language")
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/beacons")
def beacon() -> tuple[str, int]:
    """Count a viewer event (page, AR started, marker found, error); stores no identifier."""
    raw = request.get_data(cache=False)
    if len(raw) > BEACON_MAX_BYTES:
        raise InvalidInput(f"beacon: body is {len(raw)} bytes (at most {BEACON_MAX_BYTES})")
    try:
        data: Any = json.loads(raw or b"null")
    except ValueError:
        raise InvalidInput('beacon: body is not JSON (expected {"site": slug, "event": kind})') from None
    if not isinstance(data, dict):
        raise InvalidInput('beacon: expected a JSON object {"site": slug, "event": kind}')
    try:
        kind = EventKind(str(data.get("event")))
    except ValueError:
        allowed = ", ".join(k.value for k in EventKind if k is not EventKind.SCAN)
        raise InvalidInput(
            f"beacon: unknown event {data.get('event')!r} (expected one of {allowed})"
        ) from None
    if kind is EventKind.SCAN:
        raise InvalidInput("beacon: scans are counted by the QR link itself")
    session = db()
    site = _active_site(str(data.get("site", "")))
    language = str(data.get("language") or select_language())
    record_event(
        session,
        site,
        kind,
        language=language,
        user_agent=request.user_agent.string,
        detail=str(data.get("detail", "")),
    )
    session.commit()
    return "", 204
