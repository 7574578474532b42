"""API tokens for developers: created here, shown once, scoped to sites, revocable."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ar_service.admin import STAFF, bp
from ar_service.admin.actor import audit
from ar_service.auth import roles_required
from ar_service.models import ApiToken, Site, User, utcnow
from ar_service.models.base import parse_id
from ar_service.services import db
from hue_errors import InvalidInput, NotFound


def _page(created: ApiToken | None = None, clear: str | None = None) -> str:
    session = db()
    return render_template(
        "admin/tokens.html",
        tokens=list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))),
        users=list(session.scalars(select(User).where(User.active).order_by(User.email))),
        sites=list(session.scalars(select(Site).order_by(Site.slug))),
        created=created,
        clear=clear,
    )


@bp.get("/tokens")
@roles_required(*STAFF)
def tokens_list() -> str:
    return _page()


@bp.post("/tokens")
@roles_required(*STAFF)
def token_create() -> str:
    session = db()
    owner = session.get(User, request.form.get("user_id", type=parse_id) or 0)
    if owner is None or not owner.active:
        raise InvalidInput("user_id: choose an active user to own the token")
    name = request.form.get("name", "").strip()
    if not name:
        raise InvalidInput("name: say what the token is for (e.g. 'scene uploads, laptop')")
    try:
        site_ids = [parse_id(v) for v in request.form.getlist("site_ids")]
    except ValueError:
        raise InvalidInput("site_ids: tick sites from the list (each value must be a site id)") from None
    sites = list(session.scalars(select(Site).where(Site.id.in_(site_ids)))) if site_ids else []
    if len(sites) != len(set(site_ids)):
        raise NotFound("site_ids: one of the chosen sites does not exist")
    token, clear = ApiToken.issue(owner, name[:200], sites)
    session.add(token)
    session.flush()
    audit(session, "token.create", "api_token", token.id, name=token.name, hint=token.hint, sites=site_ids)
    session.commit()
    return _page(token, clear)


@bp.post("/tokens/<int:token_id>/revoke")
@roles_required(*STAFF)
def token_revoke(token_id: int) -> Response:
    session = db()
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(session, "token.revoke", "api_token", token.id, hint=token.hint)
        session.commit()
    return redirect(url_for("admin.tokens_list"))
