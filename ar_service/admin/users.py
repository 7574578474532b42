"""People and roles (admins only): invite with a one-time password, disable, reset."""

from __future__ import annotations

import secrets

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ar_service.admin import bp
from ar_service.admin.actor import actor, audit
from ar_service.auth import roles_required
from ar_service.models import Role, User
from ar_service.services import db
from hue_errors import Conflict, InvalidInput, NotFound


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def _one_time_password(user: User) -> str:
    """A fresh random password, shown once to be handed over; only its hash is kept."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    return password


def _page(password_for: User | None = None, password: str | None = None) -> str:
    users = list(db().scalars(select(User).order_by(User.email)))
    return render_template(
        "admin/users.html", users=users, roles=list(Role), password_for=password_for, password=password
    )


@bp.get("/users")
@roles_required(Role.ADMIN)
def users_list() -> str:
    return _page()


@bp.post("/users")
@roles_required(Role.ADMIN)
def user_invite() -> str:
    session = db()
    email = request.form.get("email", "").strip().lower()
    if "@" not in email:
        raise InvalidInput(f"email: {email!r} is not an email address")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise Conflict(f"email: {email} already has an account")
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        raise InvalidInput(f"role: choose one of {', '.join(Role)}") from None
    user = User(email=email, name=request.form.get("name", "").strip(), role=role)
    password = _one_time_password(user)
    session.add(user)
    session.flush()
    audit(session, "user.invite", "user", user.id, email=email, role=role)
    session.commit()
    return _page(user, password)


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def user_active(user_id: int) -> Response:
    session = db()
    user = _user(user_id)
    if user.id == actor().id:
        raise InvalidInput("you cannot disable your own account")
    user.active = request.form.get("active") == "1"
    audit(session, "user.enable" if user.active else "user.disable", "user", user.id, email=user.email)
    session.commit()
    return redirect(url_for("admin.users_list"))


@bp.post("/users/<int:user_id>/reset")
@roles_required(Role.ADMIN)
def user_reset(user_id: int) -> str:
    session = db()
    user = _user(user_id)
    password = _one_time_password(user)
    audit(session, "user.reset", "user", user.id, email=user.email)
    session.commit()
    return _page(user, password)
