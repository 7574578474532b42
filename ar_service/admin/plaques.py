"""Print-ready plaques per site (from the markers library) and the registry of plaques put up."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from flask import Response, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from ar_service.admin import STAFF, bp
from ar_service.admin.actor import actor, audit
from ar_service.auth import roles_required
from ar_service.models import PrintedPlaque, Site
from ar_service.models.base import parse_id
from ar_service.plaques import site_plaque
from ar_service.services import db, services
from hue_errors import InvalidInput, NotFound
from markers.plaque import PaperSize, text_problem

# The registry offers exactly the paper sizes the library prints.
PAPER_SIZES: tuple[PaperSize, ...] = get_args(PaperSize)


def _site(site_id: int) -> Site:
    site = db().get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} does not exist")
    return site


def _paper(raw: str | None) -> PaperSize:
    for size in PAPER_SIZES:
        if raw == size:
            return size
    raise InvalidInput(f"size: {raw!r} is not one of {', '.join(PAPER_SIZES)}")


@bp.get("/plaques")
@roles_required(*STAFF)
def plaques() -> str:
    session = db()
    checked = request.args.get("check", "").strip().upper()
    printed = list(session.scalars(select(PrintedPlaque).order_by(PrintedPlaque.printed_on.desc())))
    sites = list(session.scalars(select(Site).order_by(Site.slug)))
    return render_template(
        "admin/plaques.html",
        sites=sites,
        # A name the plaque cannot print is said here, in place of links that would only refuse.
        problems={
            site.id: text_problem(site.text("names", "vi"), site.text("names", "en")) for site in sites
        },
        printed=printed,
        sizes=PAPER_SIZES,
        checked=checked,
        registered=[p for p in printed if p.code.upper() == checked] if checked else [],
        known_site=session.scalar(select(Site).where(func.upper(Site.code) == checked)) if checked else None,
        today=dt.datetime.now(dt.UTC).date(),
    )


@bp.get("/plaques/<int:site_id>.<any(pdf, svg):kind>")
@roles_required(*STAFF)
def plaque_file(site_id: int, kind: str) -> Response:
    """The print-ready plaque; ``svg`` is the browser preview of the same layout."""
    site = _site(site_id)
    plaque = site_plaque(
        db(),
        services().storage,
        site,
        services().settings.public_base_url,
        _paper(request.args.get("size", "A4")),
    )
    if kind == "svg":
        return Response(plaque.svg, mimetype="image/svg+xml")
    return Response(
        plaque.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="plaque-{site.slug}-{plaque.size}.pdf"'},
    )


@bp.post("/plaques/printed")
@roles_required(*STAFF)
def plaque_record() -> BaseResponse:
    session = db()
    site = _site(request.form.get("site_id", type=parse_id) or 0)
    size = _paper(request.form.get("size"))
    try:
        printed_on = dt.date.fromisoformat(request.form.get("printed_on", ""))
    except ValueError:
        raise InvalidInput("printed_on: give the print date as YYYY-MM-DD") from None
    plaque = PrintedPlaque(
        site_id=site.id,
        code=site.code,
        size=size,
        printed_on=printed_on,
        location_note=request.form.get("location_note", "").strip()[:300],
        recorded_by_id=actor().id,
    )
    session.add(plaque)
    session.flush()
    audit(session, "plaque.record", "printed_plaque", plaque.id, code=site.code, size=size)
    session.commit()
    return redirect(url_for("admin.plaques"))
