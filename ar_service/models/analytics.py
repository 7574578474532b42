"""Anonymous visit events: no IP, no user agent, no identifier — only what is counted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ar_service.models.base import Base


class EventKind(enum.StrEnum):
    SCAN = "scan"  # a QR code was opened
    PAGE = "page"  # the site page was shown
    AR_STARTED = "ar_started"
    MARKER_FOUND = "marker_found"
    ERROR = "error"


class ScanEvent(Base):
    __tablename__ = "scan_events"
    __table_args__ = (Index("ix_scan_events_site_day", "site_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    day: Mapped[dt.date]
    kind: Mapped[EventKind]
    language: Mapped[str] = mapped_column(String(8))
    # "mobile-android", "mobile-ios", "tablet-…", "desktop-…" or "other"
    device_class: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(40), default="")  # AR mode or error code
