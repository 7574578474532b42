"""Public read endpoints of /api/v1: scene manifests and anonymous viewer beacons."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from ar_service.analytics import DEVICE_CLASSES, device_class, visit_row
from ar_service.api.body import json_object
from ar_service.i18n import select_language, served_language
from ar_service.models import EventKind, Site, SiteStatus
from ar_service.public.manifest import build_manifest
from ar_service.public.views import file_url
from ar_service.services import db, services
from hue_errors import InvalidInput, NotFound

bp = Blueprint("api", __name__, url_prefix="/api/v1")
BEACON_MAX_BYTES = 4096
BEACON_MAX_EVENTS = 20  # web/src/beacon.js sends at most this many at once


def _active_site(slug: str) -> Site:
    site = db().scalar(select(Site).where(Site.slug == slug))
    if site is None or site.status != SiteStatus.ACTIVE:
        raise NotFound(f"no active site with slug {slug!r}")
    return site


@bp.get("/sites/<slug>/scene")
def site_scene(slug: str) -> Response:
    """The published scene of a site: files with sizes, placement, texts in the negotiated language."""
    language = select_language()

    def build() -> bytes:
        manifest = build_manifest(db(), _active_site(slug), language, file_url)
        return json.dumps(manifest, ensure_ascii=False).encode()

    body = services().reads.get(("scene", slug, language), build)
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Accept-Language")
    response.add_etag()  # preconditions are judged on the body sent, once compressed (compression.py)
    return response


def _event_kind(value: Any) -> EventKind:
    try:
        kind = EventKind(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in EventKind if k is not EventKind.SCAN)
        raise InvalidInput(f"beacon: unknown event {value!r} (expected one of {allowed})") from None
    if kind is EventKind.SCAN:
        raise InvalidInput("beacon: scans are counted by the QR link itself")
    return kind


def _beacon_events(data: dict[str, Any]) -> list[tuple[EventKind, str]]:
    """One event ``{event, detail}``, or a visit's ``events`` list; all are checked before any is counted."""
    events = data.get("events")
    if events is None:
        events = [{"event": data.get("event"), "detail": data.get("detail", "")}]
    elif (
        not isinstance(events, list)
        or not 1 <= len(events) <= BEACON_MAX_EVENTS
        or not all(isinstance(event, dict) for event in events)
    ):
        raise InvalidInput(
            f'beacon: "events" must be a list of 1–{BEACON_MAX_EVENTS} objects'
            ' {"event": kind, "detail": text}'
        )
    return [(_event_kind(event.get("event")), str(event.get("detail", ""))) for event in events]


def _beacon_language(value: Any) -> str:
    """One of the served languages: a region or script subtag is dropped ("en-US" counts as en), and
    an absent or unserved language counts as the one this request negotiates, as its page did, so the
    statistics keep only those labels. An unserved tag is not refused: sendBeacon never sees the
    answer, so a 400 would lose the visit's events."""
    if value is None:
        return select_language()
    if not isinstance(value, str):
        raise InvalidInput('beacon: "language" must be a language tag such as "vi" or "en-US"')
    return served_language(value) or select_language()


def _beacon_device(value: Any) -> str:
    """The device class the viewer reported, where it is one of ``DEVICE_CLASSES``, else the
    User-Agent's. The viewer knows more than its User-Agent: iPadOS Safari presents a Mac's, and
    only the page sees the touch screen that makes it a tablet."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput('beacon: "device" must be a device class such as "mobile-android"')
    return value if value in DEVICE_CLASSES else device_class(request.user_agent.string)


@bp.post("/beacons")
def beacon() -> tuple[str, int]:
    """Count viewer events (page, AR started, marker found, error), one or a visit's batch; no identifier."""
    example = '{"site": slug, "events": [{"event": kind, "detail": text}]}'
    data = json_object("beacon", example, BEACON_MAX_BYTES)
    events = _beacon_events(data)
    site = _active_site(str(data.get("site", "")))
    language = _beacon_language(data.get("language"))
    device = _beacon_device(data.get("device"))
    rows = [visit_row(site.id, kind, language=language, device=device, detail=d) for kind, d in events]
    services().visits.record(rows)
    return "", 204
