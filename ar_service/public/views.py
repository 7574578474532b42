"""Tourists' routes: /q/<code> → /s/<slug>, and content-hashed files under /files/."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ar_service.analytics import device_class, visit_row
from ar_service.i18n import LANGUAGE_NAMES, lang_attribute, select_language, viewer_strings
from ar_service.models import EventKind, Site, SiteStatus
from ar_service.public.files import serve_object
from ar_service.public.manifest import build_manifest
from ar_service.services import db, services
from ar_service.viewer import send_viewer_file, viewer_assets

bp = Blueprint("public", __name__)
bp.add_app_template_filter(lang_attribute)


def file_url(key: str) -> str:
    return services().storage.public_url(key) or url_for("public.file", key=key)


def site_page(site: Site, language: str, manifest: dict[str, Any], manifest_url: str | None = None) -> str:
    """The tourists' page of ``site`` showing ``manifest`` (also a curator's preview of an
    unpublished version, whose viewer then reads ``manifest_url``)."""
    return render_template(
        "public/site.html",
        site=site,
        language=language,
        languages=LANGUAGE_NAMES,
        manifest=manifest,
        manifest_url=manifest_url,
        strings=viewer_strings(),
        viewer=viewer_assets(),
    )


def _active_sites() -> list[Site]:
    return list(db().scalars(select(Site).where(Site.status == SiteStatus.ACTIVE).order_by(Site.slug)))


def _not_found(message: str) -> tuple[str, int]:
    """A helpful page: what went wrong, and the sites that do exist."""
    language = select_language()
    return render_template(
        "public/not_found.html", message=message, sites=_active_sites(), language=language
    ), 404


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", sites=_active_sites(), language=select_language())


@bp.get("/q/<code>")
def scan(code: str) -> Response | tuple[str, int]:
    """A QR plaque was scanned: count it, then show the site (codes are case-insensitive)."""
    session = db()
    wanted = code.strip().upper()
    target = services().reads.get(("qr", wanted), lambda: _active_site_of_code(session, wanted))
    if target is None:
        site = session.scalar(select(Site).where(func.upper(Site.code) == wanted))
        if site is None:
            return _not_found(f"No site has the code “{code.upper()}”. Check the code printed under the QR.")
        return _not_found(f"{site.text('names', select_language())} is no longer shown in Hue AR.")
    site_id, slug = target
    language = select_language()
    device = device_class(request.user_agent.string)
    services().visits.record([visit_row(site_id, EventKind.SCAN, language=language, device=device)])
    return redirect(url_for("public.site", slug=slug, lang=request.args.get("lang")), code=302)


def _active_site_of_code(session: Session, code: str) -> tuple[int, str] | None:
    """(id, slug) of the active site printed with ``code`` (upper case), or None."""
    row = session.execute(
        select(Site.id, Site.slug).where(func.upper(Site.code) == code, Site.status == SiteStatus.ACTIVE)
    ).first()
    return None if row is None else (row.id, row.slug)


@bp.get("/s/<slug>")
def site(slug: str) -> Response | tuple[str, int]:
    session = db()
    found = session.scalar(select(Site).where(Site.slug == slug))
    if found is None:
        return _not_found(f"There is no site “{slug}”.")
    if found.status != SiteStatus.ACTIVE:
        return _not_found(f"{found.text('names', select_language())} is no longer shown in Hue AR.")
    language = select_language()
    html = site_page(found, language, build_manifest(session, found, language, file_url))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    response.vary.add("Save-Data")
    response.add_etag()  # preconditions are judged on the body sent, once compressed (compression.py)
    return response


@bp.get("/files/<path:key>")
def file(key: str) -> Response:
    return serve_object(key)


@bp.get("/static/viewer/<path:name>")
def viewer_file(name: str) -> Response:
    return send_viewer_file(name)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The viewer's service worker, served from the root so its scope covers every page."""
    response = send_viewer_file("sw.js")
    response.headers["Service-Worker-Allowed"] = "/"
    return response
