"""Developers' scenes: upload bundles, list scenes and versions, submit for review, get preview links."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ar_service import workflow
from ar_service.api.body import json_object
from ar_service.api.ingest import check_bundle, store_bundle, version_jobs
from ar_service.api.jobs import job_json
from ar_service.api.preview import PREVIEW_MAX_TTL, PREVIEW_TTL, preview_token
from ar_service.api.scope import caller, reaches_all, scene_in_scope, site_in_scope
from ar_service.api.views import bp
from ar_service.auth import token_required
from ar_service.bundles import BundleInvalid
from ar_service.errors import problem
from ar_service.models import AssetVersion, Scene, SceneVersion, Site, SiteStatus
from ar_service.models.base import MAX_ID
from ar_service.services import db, services
from hue_errors import Conflict, InvalidInput, NotFound

LIST_LIMIT = 100


def _file_json(version_id: int | None) -> dict[str, Any] | None:
    if version_id is None:
        return None
    asset_version = db().get(AssetVersion, version_id)
    if asset_version is None:
        return None
    return {
        "asset_version_id": asset_version.id,
        "filename": asset_version.filename,
        "sha256": asset_version.sha256,
        "bytes": asset_version.byte_size,
        "content_type": asset_version.content_type,
        "processed": asset_version.derivatives is not None,
    }


def version_json(version: SceneVersion, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": version.number,
        "state": version.state.value,
        "created_at": version.created_at.isoformat(),
        "review_comment": version.review_comment,
        "url": url_for("api.get_version", scene_id=version.scene_id, number=version.number, _external=True),
    }
    if detail:
        session = db()
        narration = {
            lang: {kind: _file_json(ident) for kind, ident in entry.items()}
            for lang, entry in version.narration.items()
        }
        body |= {
            "model": _file_json(version.model_version_id),
            "marker": _file_json(version.marker_version_id),
            "placement": version.placement,
            "annotations": version.annotations,
            "narration": narration,
            "publish_from": version.publish_from.isoformat() if version.publish_from else None,
            "publish_until": version.publish_until.isoformat() if version.publish_until else None,
            "jobs": [job_json(job) for job in version_jobs(session, version)],
        }
    return body


def scene_json(scene: Scene, site: Site, *, versions: bool = False) -> dict[str, Any]:
    published = scene.published_version
    body: dict[str, Any] = {
        "id": scene.id,
        "site": site.slug,
        "title": scene.title,
        "published_version": published.number if published else None,
        "latest_version": scene.versions[-1].number if scene.versions else None,
        "url": url_for("api.get_scene", scene_id=scene.id, _external=True),
    }
    if versions:
        body["versions"] = [version_json(v) for v in scene.versions]
    return body


@bp.errorhandler(BundleInvalid)
def _refused(exc: BundleInvalid) -> Response:
    """problem+json (RFC 9457) with an extension member listing every problem by file (§3.2)."""
    response = problem(exc.http_status, "Invalid bundle", exc.message, exc.code)
    body = response.get_json()
    body["errors"] = [p.as_dict() for p in exc.problems]
    response.set_data(json.dumps(body))
    return response


def _upload(site: Site, scene: Scene | None) -> tuple[Response, int]:
    """Validate the request's bundle fully, and store it only when it passed."""
    session = db()
    svc = services()
    token = caller()
    with tempfile.TemporaryDirectory(prefix="hue-ar-bundle-") as scratch:
        bundle = check_bundle(site, svc, Path(scratch))
        if scene is None:
            scene = Scene(site_id=site.id, title=bundle.title)
            session.add(scene)
            session.flush()
        try:
            stored = store_bundle(session, svc, site, scene, bundle, token.user, Path(scratch))
            session.commit()
        except IntegrityError:  # another upload took the same version number first
            session.rollback()
            raise Conflict(
                "another version of this scene was stored at the same moment; send it again"
            ) from None
    version = version_json(stored.version)
    jobs = [url_for("api.get_job", job_id=job.id, _external=True) for job in stored.jobs]
    response = jsonify({"scene": scene_json(scene, site), "version": version, "jobs": jobs})
    response.headers["Location"] = version["url"]
    return response, 202


@bp.post("/sites/<slug>/scenes")
@token_required
def create_scene(slug: str) -> tuple[Response, int]:
    """Upload a bundle as a new scene of the site (version 1, draft); its processing is queued."""
    site = site_in_scope(slug)
    if site.status is not SiteStatus.ACTIVE:
        raise Conflict(f"site {slug!r} is {site.status}; scenes can only be added to active sites")
    return _upload(site, None)


@bp.post("/scenes/<int:scene_id>/versions")
@token_required
def add_version(scene_id: int) -> tuple[Response, int]:
    """Upload a bundle as the next draft version of a scene."""
    scene = scene_in_scope(scene_id)
    site = db().get(Site, scene.site_id)
    assert site is not None
    return _upload(site, scene)


@bp.get("/scenes")
@token_required
def list_scenes() -> Response:
    """Scenes of the sites this token reaches (all sites for curators and admins)."""
    session = db()
    token = caller()
    query = select(Scene, Site).join(Site, Site.id == Scene.site_id).order_by(Scene.id)
    if not reaches_all(token):
        query = query.where(Scene.site_id.in_([site.id for site in token.sites]))
    slug = request.args.get("site")
    if slug is not None:
        query = query.where(Site.slug == slug)
    try:
        offset = int(request.args.get("offset", "0"))
    except ValueError:
        offset = -1
    if not 0 <= offset <= MAX_ID:
        raise InvalidInput(f"scenes: 'offset' must be a whole number from 0 to {MAX_ID}")
    rows = session.execute(query.offset(offset).limit(LIST_LIMIT + 1)).all()
    scenes = [scene_json(scene, site) for scene, site in rows[:LIST_LIMIT]]
    more = len(rows) > LIST_LIMIT
    return jsonify({"scenes": scenes, "next_offset": offset + LIST_LIMIT if more else None})


@bp.get("/scenes/<int:scene_id>")
@token_required
def get_scene(scene_id: int) -> Response:
    """A scene with every version's state and review comment."""
    scene = scene_in_scope(scene_id)
    site = db().get(Site, scene.site_id)
    assert site is not None
    return jsonify(scene_json(scene, site, versions=True))


def _version(scene_id: int, number: int) -> SceneVersion:
    scene = scene_in_scope(scene_id)
    for version in scene.versions:
        if version.number == number:
            return version
    raise NotFound(f"scene {scene_id} has no version {number}")


@bp.get("/scenes/<int:scene_id>/versions/<int:number>")
@token_required
def get_version(scene_id: int, number: int) -> Response:
    """One version: its files (with hashes), placement, texts, processing jobs and review comment."""
    return jsonify(version_json(_version(scene_id, number), detail=True))


@bp.post("/scenes/<int:scene_id>/versions/<int:number>/submit")
@token_required
def submit_version(scene_id: int, number: int) -> Response:
    """Ask curators to review a draft version (draft → in_review)."""
    session = db()
    # Through the workflow, which locks the scene: a curator may be publishing it meanwhile.
    submitted = workflow.submit(session, _version(scene_id, number).id, caller().user_id)
    session.commit()
    return jsonify(version_json(submitted, detail=True))


@bp.post("/scenes/<int:scene_id>/versions/<int:number>/preview")
@token_required
def preview_version(scene_id: int, number: int) -> Response:
    """A signed link showing this version in the tourists' viewer, valid for ``expires_in`` seconds."""
    version = _version(scene_id, number)
    data = json_object("preview", '{"expires_in": 3600}') if request.content_length else {}
    ttl = data.get("expires_in", int(PREVIEW_TTL.total_seconds()))
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= PREVIEW_MAX_TTL.total_seconds():
        raise InvalidInput(
            f"preview: 'expires_in' must be whole seconds from 60 to {int(PREVIEW_MAX_TTL.total_seconds())}"
        )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl)
    token = preview_token(version.id, expires)
    return jsonify(
        {"url": url_for("preview.show", token=token, _external=True), "expires_at": expires.isoformat()}
    )
