"""Printed plaques: which code was printed, how big, when and where, so an unknown code stands out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ar_service.models.base import Base, Timestamped
from ar_service.models.site import Site


class PrintedPlaque(Timestamped, Base):
    __tablename__ = "printed_plaques"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # The code as printed; kept even if the site's code later changes, so old plaques stay traceable.
    code: Mapped[str] = mapped_column(String(16), index=True)
    size: Mapped[str] = mapped_column(String(8))  # paper size as printed: A5, A4 or A3
    printed_on: Mapped[dt.date]
    location_note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site: Mapped[Site] = relationship()
