"""Review queue and scene history: diff, preview, approve or reject, publish, schedule, roll back."""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ar_service import workflow
from ar_service.admin import STAFF, bp
from ar_service.admin.actor import actor
from ar_service.admin.coverage import language_coverage
from ar_service.admin.diff import scene_diff
from ar_service.api.preview import preview_token
from ar_service.auth import roles_required
from ar_service.i18n import LANGUAGE_NAMES
from ar_service.models import Scene, SceneState, SceneVersion, Site, utcnow
from ar_service.models.base import parse_id
from ar_service.services import db
from hue_errors import InvalidInput, NotFound

PREVIEW_LIFETIME = dt.timedelta(hours=1)


def _scene(scene_id: int) -> Scene:
    scene = db().get(Scene, scene_id)
    if scene is None:
        raise NotFound(f"scene {scene_id} does not exist")
    return scene


def _when(name: str) -> dt.datetime | None:
    """A datetime-local field, read as UTC (the form says so) unless it carries its own offset."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: {raw!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


@bp.get("/review")
@roles_required(*STAFF)
def review_queue() -> str:
    waiting = db().scalars(
        select(SceneVersion)
        .where(SceneVersion.state == SceneState.IN_REVIEW)
        .order_by(SceneVersion.created_at)
    )
    scenes = db().scalars(select(Scene).order_by(Scene.site_id, Scene.id))
    return render_template("admin/review_queue.html", waiting=list(waiting), scenes=list(scenes))


@bp.get("/scenes/<int:scene_id>")
@roles_required(*STAFF)
def scene_detail(scene_id: int) -> str:
    session = db()
    scene = _scene(scene_id)
    site = session.get(Site, scene.site_id)
    chosen = request.args.get("version", type=parse_id)
    candidate = next((v for v in scene.versions if v.id == chosen), None) or (
        scene.versions[-1] if scene.versions else None
    )
    against_id = request.args.get("against", type=parse_id) or scene.published_version_id
    against = next((v for v in scene.versions if v.id == against_id and v is not candidate), None)
    expires = utcnow() + PREVIEW_LIFETIME
    return render_template(
        "admin/scene.html",
        scene=scene,
        site=site,
        candidate=candidate,
        against=against,
        changes=scene_diff(session, against, candidate) if candidate else [],
        coverage=language_coverage(site, candidate) if candidate and site else [],
        languages=LANGUAGE_NAMES,
        preview=(lambda version: url_for("preview.show", token=preview_token(version.id, expires))),
        States=SceneState,
    )


def _seen() -> workflow.Seen | None:
    """What the curator's page showed: its ``published`` field, the published version's id or empty
    for none; None from a client that does not send it."""
    raw = request.form.get("published")
    if raw is None:
        return None
    try:
        return workflow.Seen(parse_id(raw) if raw else None)
    except ValueError as exc:
        raise InvalidInput(f"published: {exc}") from None


@bp.post("/scenes/versions/<int:version_id>/<action>")
@roles_required(*STAFF)
def scene_action(version_id: int, action: str) -> Response:
    session = db()
    who = actor().id
    comment = request.form.get("comment", "")
    match action:
        case "approve":
            version = workflow.approve(session, version_id, who, comment)
        case "reject":
            version = workflow.reject(session, version_id, who, comment)
        case "publish":
            version = workflow.publish(session, version_id, who, _seen())
        case "unpublish":
            version = workflow.unpublish(session, version_id, who, _seen())
        case "rollback":
            version = workflow.rollback(session, version_id, who, _seen())
        case "schedule":
            version = workflow.schedule(
                session, version_id, who, _when("publish_from"), _when("publish_until")
            )
        case _:
            raise NotFound(
                f"no scene action {action!r} (approve, reject, publish, unpublish, rollback, schedule)"
            )
    session.commit()
    return redirect(url_for("admin.scene_detail", scene_id=version.scene_id, version=version.id))
