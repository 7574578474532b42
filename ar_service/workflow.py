"""Scene review workflow shared by the curator workspace and the API; every move is audited.

Functions take a session, ids and the acting user's id, raise hue_errors, and leave the commit to the caller.
Each first locks the version's scene until that commit, then reads it afresh: two curators' moves on one
scene (publish and publish, publish and roll back) run one after the other, each on the other's outcome,
and one made from a page that showed another published version than the scene has now is refused (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ar_service.models import AuditLog, Scene, SceneState, SceneVersion
from hue_errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Seen:
    """What the curator's page showed when they chose a move: the published version's id (None:
    nothing was published). A move that would act on something else is refused (409)."""

    published_id: int | None


def _version(session: Session, version_id: int) -> SceneVersion:
    """The version, its scene locked for this transaction, both read after the lock was taken."""
    scene_id = session.scalar(select(SceneVersion.scene_id).where(SceneVersion.id == version_id))
    if scene_id is None:
        raise NotFound(f"scene version {version_id} does not exist")
    _lock_scene(session, scene_id)
    version = session.get(SceneVersion, version_id)
    assert version is not None, "a scene's versions are never deleted"
    return version


def _lock_scene(session: Session, scene_id: int) -> None:
    """Lock the scene row until the transaction ends (a second mover waits for the first one's
    commit), then read the scene and its versions again: what was read before may be stale."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks and ignores FOR UPDATE; a transaction's first write takes the
        # database's write lock, waiting for another writer's commit, and from then on its reads
        # see every committed change: BEGIN IMMEDIATE, from inside the transaction.
        session.execute(
            update(Scene)
            .where(Scene.id == scene_id)
            .values(published_version_id=Scene.published_version_id)
            .execution_options(synchronize_session=False)
        )
    fresh = {"populate_existing": True}
    session.scalars(
        select(Scene).where(Scene.id == scene_id).with_for_update().execution_options(**fresh)
    ).one()
    session.scalars(
        select(SceneVersion).where(SceneVersion.scene_id == scene_id).execution_options(**fresh)
    ).all()


def _published(session: Session, scene: Scene, seen: Seen | None) -> SceneVersion | None:
    """The scene's published version, once checked against what the curator saw."""
    if seen is not None and seen.published_id != scene.published_version_id:
        current = (
            session.get(SceneVersion, scene.published_version_id) if scene.published_version_id else None
        )
        now = f"version {current.number} is published now" if current else "nothing is published now"
        raise Conflict(
            f"scene {scene.title!r} changed after your page was loaded: {now}; "
            "reload the page to see it as it is, then choose again"
        )
    if scene.published_version_id is None:
        return None
    return session.get(SceneVersion, scene.published_version_id)


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
    if version.state is not SceneState.DRAFT:
        raise Conflict(f"scene version {version.number} is {version.state}; only a draft can be submitted")
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


def publish(
    session: Session, version_id: int, actor_id: int | None, seen: Seen | None = None
) -> SceneVersion:
    """Make an approved version the one tourists see; retire the old one."""
    version = _version(session, version_id)
    return _publish(session, version, actor_id, seen)


def _publish(
    session: Session, version: SceneVersion, actor_id: int | None, seen: Seen | None
) -> SceneVersion:
    """Publish an approved (or, for a rollback, retired) version of a locked scene."""
    scene = version.scene
    previous = _published(session, scene, seen)
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


def unpublish(
    session: Session, scene_version_id: int, actor_id: int | None, seen: Seen | None = None
) -> SceneVersion:
    """Take the published version down; the site shows no scene until another is published."""
    version = _version(session, scene_version_id)
    scene = version.scene
    published = _published(session, scene, seen)
    if published is None or published.id != version.id:
        raise InvalidInput(f"unpublish: scene version {version.number} is not the published one")
    version.move_to(SceneState.RETIRED)
    scene.published_version_id = None
    _audit(session, actor_id, "scene.unpublish", version)
    return version


def rollback(
    session: Session, version_id: int, actor_id: int | None, seen: Seen | None = None
) -> SceneVersion:
    """Publish a retired version again; its files are immutable, so tourists get exactly those bytes."""
    version = _version(session, version_id)
    _published(session, version.scene, seen)  # a changed scene comes first
    if version.state != SceneState.RETIRED:
        raise InvalidInput(
            f"rollback: scene version {version.number} is {version.state}; only a retired one can come back"
        )
    published = _publish(session, version, actor_id, None)
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
