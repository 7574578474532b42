"""The audit log, newest first, filterable by action, person and target."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from ar_service.admin import STAFF, bp
from ar_service.auth import roles_required
from ar_service.models import AuditLog, User
from ar_service.models.base import parse_id
from ar_service.services import db

PAGE_SIZE = 200


@bp.get("/audit")
@roles_required(*STAFF)
def audit_log() -> str:
    session = db()
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(PAGE_SIZE)
    action = request.args.get("action", "").strip()
    actor_id = request.args.get("actor", type=parse_id)
    target = request.args.get("target", "").strip()
    if action:
        query = query.where(AuditLog.action.startswith(action))
    if actor_id:
        query = query.where(AuditLog.actor_id == actor_id)
    if target:
        query = query.where(AuditLog.target_type == target)
    users = {user.id: user for user in session.scalars(select(User))}
    return render_template(
        "admin/audit.html",
        rows=list(session.scalars(query)),
        users=users,
        action=action,
        actor_id=actor_id,
        target=target,
        targets=sorted(set(session.scalars(select(AuditLog.target_type).distinct()))),
    )
