"""Scene review workflow shared by the curator workspace and the API; every move is audited.

Functions take a session, ids and the acting user's id, raise hue_errors, and leave the commit to the caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ar_service.models import AuditLog, SceneState, SceneVersion
from hue_errors import InvalidInput, NotFound


def _version(session: Session, version_id: int) -> SceneVersion:
    version = session.get(SceneVersion, version_id)
    if version is None:
        raise NotFound(f"scene version {version_id} does not exist")
    return version


def _audit(
    session: Session, actor_id: int | None, action: str, version: SceneVersion, **details: Any
) -> None:
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            target_type="scene_version",
            target_id=version.id,
            details={"scene_id": version.scene_id, "number": version.number, **details},
        )
    )


def submit(session: Session, version_id: int, actor_id: int | None) -> SceneVersion:
    """A draft goes to the review queue."""
    version = _version(session, version_id)
    version.move_to(SceneState.IN_REVIEW)
    version.review_comment = None
    _audit(session, actor_id, "scene.submit", version)
    return version


def approve(session: Session, version_id: int, actor_id: int | None, comment: str = "") -> SceneVersion:
    version = _version(session, version_id)
    version.move_to(SceneState.APPROVED)
    version.review_comment = comment.strip() or None
    _audit(session, actor_id, "scene.approve", version, comment=comment.strip())
    return version


def reject(session: Session, version_id: int, actor_id: int | None, comment: str) -> SceneVersion:
    """Back to draft with a comment the developer reads through the API; the comment is required."""
    if not comment.strip():
        raise InvalidInput("reject: say what must change (the comment is empty)")
    version = _version(session, version_id)
    version.move_to(SceneState.DRAFT)
    version.review_comment = comment.strip()
    _audit(session, actor_id, "scene.reject", version, comment=comment.strip())
    return version


def publish(session: Session, version_id: int, actor_id: int | None) -> SceneVersion:
    """Make an approved (or, for a rollback, retired) version the one tourists see; retire the old one."""
    version = _version(session, version_id)
    scene = version.scene
    previous = scene.published_version
    if previous is not None and previous.id == version.id:
        raise InvalidInput(f"publish: scene version {version.number} is already published")
    version.move_to(SceneState.PUBLISHED)
    if previous is not None:
        previous.move_to(SceneState.RETIRED)
    scene.published_version_id = version.id
    _audit(
        session,
        actor_id,
        "scene.publish",
        version,
        previous=previous.number if previous is not None else None,
    )
    return version


def unpublish(session: Session, scene_version_id: int, actor_id: int | None) -> SceneVersion:
    """Take the published version down; the site shows no scene until another is published."""
    version = _version(session, scene_version_id)
    if version.scene.published_version_id != version.id:
        raise InvalidInput(f"unpublish: scene version {version.number} is not the published one")
    version.move_to(SceneState.RETIRED)
    version.scene.published_version_id = None
    _audit(session, actor_id, "scene.unpublish", version)
    return version


def rollback(session: Session, version_id: int, actor_id: int | None) -> SceneVersion:
    """Publish a retired version again; its files are immutable, so tourists get exactly those bytes."""
    version = _version(session, version_id)
    if version.state != SceneState.RETIRED:
        raise InvalidInput(
            f"rollback: scene version {version.number} is {version.state}; only a retired one can come back"
        )
    published = publish(session, version_id, actor_id)
    _audit(session, actor_id, "scene.rollback", version)
    return published


def schedule(
    session: Session,
    version_id: int,
    actor_id: int | None,
    publish_from: dt.datetime | None,
    publish_until: dt.datetime | None,
) -> SceneVersion:
    """Limit when a version is shown (e.g. only during a festival); None on both ends clears the window."""
    if publish_from and publish_until and publish_until <= publish_from:
        raise InvalidInput("schedule: the window must end after it starts")
    version = _version(session, version_id)
    version.publish_from = publish_from
    version.publish_until = publish_until
    _audit(
        session,
        actor_id,
        "scene.schedule",
        version,
        publish_from=publish_from.isoformat() if publish_from else None,
        publish_until=publish_until.isoformat() if publish_until else None,
    )
    return version
