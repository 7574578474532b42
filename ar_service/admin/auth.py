"""Signing in and out of the workspace."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ar_service.admin import STAFF, bp
from ar_service.auth import session_user
from ar_service.models import User
from ar_service.services import db
from hue_errors import Forbidden


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db().scalar(select(User).where(func.lower(User.email) == email))
        if user is None or not user.active or not user.check_password(request.form.get("password", "")):
            flash(_("Wrong email or password, or the account is disabled."), "error")
            return render_template("admin/login.html"), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html")


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    return redirect(url_for("admin.login"))


@bp.get("/")
def home() -> Response:
    user = session_user()
    if user is None:
        return redirect(url_for("admin.login"))
    if user.role not in STAFF:
        raise Forbidden(
            "the workspace is for curators and admins; developers use the API (/api/v1) with a token"
        )
    return redirect(url_for("admin.review_queue"))
