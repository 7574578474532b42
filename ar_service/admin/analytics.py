"""Visit analytics: scans per site and day, languages, device classes, and the viewer funnel."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement, Label

from ar_service.admin import STAFF, bp
from ar_service.admin.charts import Bar, bar_chart
from ar_service.auth import roles_required
from ar_service.models import EventKind, ScanEvent, Site
from ar_service.services import db
from hue_errors import InvalidInput

DEFAULT_DAYS = 30
# The viewer funnel, in the order a visitor goes through it.
FUNNEL = (EventKind.PAGE, EventKind.AR_STARTED, EventKind.MARKER_FOUND)


def _period() -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(dt.UTC).date()
    try:
        start = dt.date.fromisoformat(
            request.args.get("from") or str(today - dt.timedelta(days=DEFAULT_DAYS))
        )
        end = dt.date.fromisoformat(request.args.get("to") or str(today))
    except ValueError:
        raise InvalidInput("from/to: give dates as YYYY-MM-DD") from None
    if end < start:
        raise InvalidInput("from/to: the period ends before it starts")
    return start, end


def _counts(column: InstrumentedAttribute[str] | Label[str], *where: ColumnElement[bool]) -> list[Bar]:
    rows = db().execute(
        select(column, func.count()).where(*where).group_by(column).order_by(func.count().desc(), column)
    )
    return [Bar(str(label), int(count)) for label, count in rows]


@bp.get("/analytics")
@roles_required(*STAFF)
def analytics() -> str:
    start, end = _period()
    in_period = ScanEvent.day.between(start, end)
    scans = ScanEvent.kind == EventKind.SCAN
    per_site = _counts(Site.slug.label("slug"), in_period, scans, Site.id == ScanEvent.site_id)
    per_day = db().execute(
        select(ScanEvent.day, func.count())
        .where(in_period, scans)
        .group_by(ScanEvent.day)
        .order_by(ScanEvent.day)
    )
    funnel_counts = dict(
        db()
        .execute(
            select(ScanEvent.kind, func.count())
            .where(in_period, ScanEvent.kind.in_(FUNNEL))
            .group_by(ScanEvent.kind)
        )
        .all()
    )
    charts = {
        "site": bar_chart("Scans per site", per_site),
        "day": bar_chart("Scans per day", [Bar(day.isoformat(), int(n)) for day, n in per_day]),
        "language": bar_chart("Languages", _counts(ScanEvent.language, in_period, scans)),
        "device": bar_chart("Device classes", _counts(ScanEvent.device_class, in_period, scans)),
        "funnel": bar_chart("Funnel", [Bar(kind.value, int(funnel_counts.get(kind, 0))) for kind in FUNNEL]),
    }
    return render_template("admin/analytics.html", charts=charts, start=start, end=end)


@bp.get("/analytics.csv")
@roles_required(*STAFF)
def analytics_csv() -> Response:
    """One row per site, day, event kind, language and device class, for spreadsheets."""
    start, end = _period()
    rows = db().execute(
        select(
            Site.slug, ScanEvent.day, ScanEvent.kind, ScanEvent.language, ScanEvent.device_class, func.count()
        )
        .join(Site, Site.id == ScanEvent.site_id)
        .where(ScanEvent.day.between(start, end))
        .group_by(Site.slug, ScanEvent.day, ScanEvent.kind, ScanEvent.language, ScanEvent.device_class)
        .order_by(Site.slug, ScanEvent.day, ScanEvent.kind)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["site", "day", "event", "language", "device_class", "count"])
    for slug, day, kind, language, device, count in rows:
        writer.writerow([slug, day.isoformat(), EventKind(kind).value, language, device, count])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="hue-ar-{start}-{end}.csv"'},
    )
