"""Sites: coordinates, multilingual texts and the short code printed on the plaque."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ar_service.admin import STAFF, bp
from ar_service.admin.actor import audit
from ar_service.auth import roles_required
from ar_service.library import allocate_site_code
from ar_service.models import Site, SiteStatus
from ar_service.models.site import TEXT_MAX_CHARS
from ar_service.services import db
from ar_service.settings import LANGUAGES
from hue_errors import Conflict, InvalidInput, NotFound
from markers.qr import validate_short_code

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Huế and its surroundings (the royal tombs lie south-west of the citadel); the map plots this box.
HUE_BOUNDS = (16.30, 107.45, 16.56, 107.70)  # south, west, north, east (degrees)
# Longest text per language, in characters: as the API's scene titles (200) and texts (5000).
TEXT_FIELDS = tuple(TEXT_MAX_CHARS)


@dataclass(frozen=True)
class MapPoint:
    slug: str
    name: str
    x: float  # 0–100 % of the map width
    y: float  # 0–100 % of the map height, north at the top


def map_points(sites: list[Site]) -> list[MapPoint]:
    south, west, north, east = HUE_BOUNDS
    return [
        MapPoint(
            site.slug,
            site.text("names", "vi"),
            round((site.longitude - west) / (east - west) * 100, 2),
            round((north - site.latitude) / (north - south) * 100, 2),
        )
        for site in sites
        if site.latitude is not None and site.longitude is not None
    ]


def _coordinate(name: str, low: float, high: float) -> float | None:
    raw = request.form.get(name, "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name}: {raw!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name}: {value} is outside {low}…{high}")
    return value


def _texts(field: str) -> dict[str, str]:
    texts = {
        lang: value.strip()
        for lang in LANGUAGES
        if (value := request.form.get(f"{field}-{lang}", "")).strip()
    }
    limit = TEXT_MAX_CHARS[field]
    for lang, text in texts.items():
        if len(text) > limit:
            raise InvalidInput(f"{field}-{lang}: {len(text)} characters; shorten it to at most {limit}")
    return texts


def _apply_form(site: Site) -> None:
    names = _texts("names")
    if "vi" not in names or "en" not in names:
        raise InvalidInput("names: Vietnamese and English names are both required")
    site.names = names
    site.descriptions = _texts("descriptions")
    site.latitude = _coordinate("latitude", -90, 90)
    site.longitude = _coordinate("longitude", -180, 180)
    if (site.latitude is None) != (site.longitude is None):
        raise InvalidInput("coordinates: give both latitude and longitude, or neither")
    try:
        site.status = SiteStatus(request.form.get("status", SiteStatus.ACTIVE))
    except ValueError:
        raise InvalidInput(f"status: choose one of {', '.join(SiteStatus)}") from None


def _site(slug: str) -> Site:
    site = db().scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise NotFound(f"there is no site {slug!r}")
    return site


@bp.get("/sites")
@roles_required(*STAFF)
def sites_list() -> str:
    sites = list(db().scalars(select(Site).order_by(Site.slug)))
    return render_template("admin/sites.html", sites=sites, points=map_points(sites))


@bp.route("/sites/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def site_new() -> Response | str:
    if request.method == "GET":
        return render_template(
            "admin/site_form.html", site=None, languages=LANGUAGES, fields=TEXT_FIELDS, points=[]
        )
    session = db()
    slug = request.form.get("slug", "").strip().lower()
    if not SLUG.match(slug):
        raise InvalidInput(f"slug: {slug!r} must be lower-case words joined by hyphens (e.g. thien-mu)")
    if session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
        raise Conflict(f"slug: a site {slug!r} already exists")
    typed = request.form.get("code", "").strip()
    code = validate_short_code(typed) if typed else allocate_site_code(db())
    if session.scalar(select(Site.id).where(func.upper(Site.code) == code)) is not None:
        raise Conflict(f"code: {code} is already printed for another site")
    site = Site(slug=slug, code=code, names={}, descriptions={})
    _apply_form(site)
    session.add(site)
    session.flush()
    audit(session, "site.create", "site", site.id, slug=slug, code=code)
    session.commit()
    return redirect(url_for("admin.site_edit", slug=slug))


@bp.route("/sites/<slug>", methods=["GET", "POST"])
@roles_required(*STAFF)
def site_edit(slug: str) -> Response | str:
    site = _site(slug)
    if request.method == "GET":
        return render_template(
            "admin/site_form.html",
            site=site,
            languages=LANGUAGES,
            fields=TEXT_FIELDS,
            points=map_points([site]),
        )
    session = db()
    before = {field: getattr(site, field) for field in TEXT_FIELDS}
    _apply_form(site)
    after = {field: getattr(site, field) for field in TEXT_FIELDS}
    changed = sorted(key for key in before if before[key] != after[key])
    audit(session, "site.update", "site", site.id, slug=slug, changed=changed)
    session.commit()
    return redirect(url_for("admin.site_edit", slug=slug))
