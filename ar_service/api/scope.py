"""What the calling token may reach: lookups that answer 404 for unknown ids and 403 outside its sites."""

from __future__ import annotations

from typing import TypeVar

from flask import g
from sqlalchemy import select

from ar_service.auth import check_site_access
from ar_service.models import ApiToken, Asset, AssetVersion, Base, Role, Scene, Site
from ar_service.services import db
from hue_errors import Forbidden, NotFound

M = TypeVar("M", bound=Base)


def caller() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def reaches_all(token: ApiToken) -> bool:
    return token.user.role in (Role.ADMIN, Role.CURATOR)


def get_or_404(model: type[M], ident: int, what: str) -> M:
    found = db().get(model, ident)
    if found is None:
        raise NotFound(f"no {what} with id {ident}")
    return found


def site_in_scope(slug: str) -> Site:
    site = db().scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise NotFound(f"no site with slug {slug!r}")
    check_site_access(caller(), site.id)
    return site


def scene_in_scope(scene_id: int) -> Scene:
    scene = get_or_404(Scene, scene_id, "scene")
    check_site_access(caller(), scene.site_id)
    return scene


def asset_site(version_id: int) -> int | None:
    """The site an asset version belongs to (None for shared library assets)."""
    return db().scalar(
        select(Asset.site_id)
        .join(AssetVersion, AssetVersion.asset_id == Asset.id)
        .where(AssetVersion.id == version_id)
    )


def check_asset_access(version_id: int | None) -> None:
    """Jobs and files of shared assets (no site) are for curators and admins only."""
    token = caller()
    site_id = asset_site(version_id) if version_id is not None else None
    if site_id is None:
        if not reaches_all(token):
            raise Forbidden("this job belongs to no site in your token's scope")
        return
    check_site_access(token, site_id)
