"""Who is asking: curators and admins by session login, developers by bearer token.

Views state what they need with :func:`roles_required` (HTML, session) or
:func:`token_required` (API); site-level rights are checked with :func:`check_site_access`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from ar_service.models import ApiToken, Role, User, hash_token, utcnow
from ar_service.services import db
from hue_errors import Forbidden, Unauthorized

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
csrf = CSRFProtect()
# last_used_at is written at most this often per token, so busy clients do not write on every call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    csrf.init_app(app)
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> User | None:
    user = db().get(User, int(user_id))
    return user if user is not None and user.active else None


def session_user() -> User | None:
    """The signed-in person (admin workspace), if any."""
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()
        return user
    return None


def bearer_token() -> ApiToken:
    """The valid API token sent with this request, or Unauthorized saying what is wrong."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized(
            "send an API token as 'Authorization: Bearer <token>' (curators create tokens in /admin)"
        )
    session = db()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(value.strip())))
    if token is None or token.revoked_at is not None or not token.user.active:
        raise Unauthorized("the API token is unknown, revoked, or its owner is disabled")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return token


def token_required(view: Callable[P, R]) -> Callable[P, R]:
    """API views: require a valid bearer token; it is available as ``g.api_token``."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        g.api_token = bearer_token()
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """HTML views: require a signed-in user with one of ``roles``."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            user = session_user()
            if user is None:
                return login_manager.unauthorized()
            if user.role not in roles:
                raise Forbidden(f"this page needs the role {' or '.join(roles)}; you are {user.role}")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def check_site_access(token: ApiToken, site_id: int) -> None:
    """A developer's token reaches only the sites it was issued for; curators' and admins' reach all."""
    if token.user.role in (Role.ADMIN, Role.CURATOR):
        return
    if site_id not in {site.id for site in token.sites}:
        raise Forbidden(
            f"this token is not allowed to change site {site_id}; ask a curator to extend its scope"
        )
