"""Assets and their immutable versions: the files a scene is made of."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from ar_service.models.base import Base, Timestamped
from hue_errors import Conflict


class AssetKind(enum.StrEnum):
    MODEL = "model"
    MARKER = "marker"
    IMAGE = "image"
    AUDIO = "audio"
    CAPTIONS = "captions"


class Asset(Timestamped, Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[AssetKind]
    name: Mapped[str] = mapped_column(String(200))
    versions: Mapped[list[AssetVersion]] = relationship(
        back_populates="asset", order_by="AssetVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> AssetVersion | None:
        return self.versions[-1] if self.versions else None


class AssetVersion(Timestamped, Base):
    """One uploaded file, never changed once stored; processing fills ``derivatives`` once."""

    __tablename__ = "asset_versions"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    number: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    byte_size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    # {"levels": [{"level", "key", "bytes", "triangles", ...}], "usdz": {...}, "poster": {...}, ...}
    derivatives: Mapped[dict[str, Any] | None]
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)
    licence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    asset: Mapped[Asset] = relationship(back_populates="versions")


IMMUTABLE_FIELDS = ("asset_id", "number", "storage_key", "sha256", "byte_size", "content_type", "filename")


@event.listens_for(AssetVersion, "before_update")
def _refuse_content_change(mapper: Mapper[AssetVersion], connection: Any, target: AssetVersion) -> None:
    from sqlalchemy import inspect

    state = inspect(target)
    for name in IMMUTABLE_FIELDS:
        if state.attrs[name].history.has_changes():
            raise Conflict(f"asset version {target.id}: {name} cannot change (upload a new version instead)")
