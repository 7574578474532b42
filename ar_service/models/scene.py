"""Scenes — what a site shows — and their reviewed, versioned workflow."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ar_service.models.base import Base, Timestamped
from hue_errors import Conflict


class SceneState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETIRED = "retired"


# Allowed moves. A rejected review goes back to draft; a retired version may be
# published again (that is what a rollback does).
TRANSITIONS: dict[SceneState, frozenset[SceneState]] = {
    SceneState.DRAFT: frozenset({SceneState.IN_REVIEW}),
    SceneState.IN_REVIEW: frozenset({SceneState.APPROVED, SceneState.DRAFT}),
    SceneState.APPROVED: frozenset({SceneState.PUBLISHED, SceneState.RETIRED}),
    SceneState.PUBLISHED: frozenset({SceneState.RETIRED}),
    SceneState.RETIRED: frozenset({SceneState.PUBLISHED}),
}


class Scene(Timestamped, Base):
    __tablename__ = "scenes"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scene_versions.id", use_alter=True), default=None
    )
    versions: Mapped[list[SceneVersion]] = relationship(
        back_populates="scene",
        order_by="SceneVersion.number",
        foreign_keys="SceneVersion.scene_id",
        cascade="all, delete-orphan",
    )
    published_version: Mapped[SceneVersion | None] = relationship(foreign_keys=[published_version_id])


class SceneVersion(Timestamped, Base):
    __tablename__ = "scene_versions"
    __table_args__ = (UniqueConstraint("scene_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    number: Mapped[int]
    state: Mapped[SceneState] = mapped_column(default=SceneState.DRAFT)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("asset_versions.id"))
    marker_version_id: Mapped[int | None] = mapped_column(ForeignKey("asset_versions.id"))
    # {"translation": [x, y, z], "rotation": [x, y, z, w], "scale": s}
    placement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"id", "position", "normal", "text": {lang: {"title", "text"}}}]
    annotations: Mapped[list[Any]] = mapped_column(default=list)
    # {lang: {"audio": asset_version_id, "captions": asset_version_id}}
    narration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(default=None)
    publish_from: Mapped[dt.datetime | None] = mapped_column(default=None)
    publish_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    scene: Mapped[Scene] = relationship(back_populates="versions", foreign_keys=[scene_id])

    def move_to(self, state: SceneState) -> None:
        """Change workflow state, or raise Conflict naming the allowed moves."""
        if state not in TRANSITIONS[self.state]:
            allowed = ", ".join(sorted(TRANSITIONS[self.state])) or "none"
            raise Conflict(
                f"scene version {self.number}: cannot go from {self.state} to {state} (allowed: {allowed})"
            )
        self.state = state
