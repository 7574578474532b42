"""Curator workspace (/admin): session login, CSRF-protected forms, Vietnamese and English UI."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_babel import get_locale

from ar_service.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Curators and admins run the workspace; developers use the API and see only the login page here.
STAFF = (Role.CURATOR, Role.ADMIN)


@bp.context_processor
def _ui_language() -> dict[str, str]:
    return {"ui_language": str(get_locale() or "vi")}


@bp.after_request
def _kept_by_no_one(response: Response) -> Response:
    """Workspace pages hold a curator's view: no cache, shared or browser's, keeps them."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


from ar_service.admin import (  # noqa: E402  -- views register on bp, which must exist first
    analytics,
    assets,
    audit,
    auth,
    plaques,
    review,
    sites,
    tokens,
    users,
)

__all__ = [
    "STAFF",
    "analytics",
    "assets",
    "audit",
    "auth",
    "bp",
    "plaques",
    "review",
    "sites",
    "tokens",
    "users",
]
