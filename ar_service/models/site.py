"""Sites: the monuments tourists visit, each with a short code printed on its plaque."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ar_service.localised import Localised, localised
from ar_service.models.base import Base, Timestamped

# The longest name and description a site may have, in characters, in any one language: a name
# is printed on the plaque and heads the tourist's page.
TEXT_MAX_CHARS = {"names": 200, "descriptions": 5000}


class SiteStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Site(Timestamped, Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Upper-case short code (with its check character) as printed under the QR.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # {language: text}; Vietnamese and English at least.
    names: Mapped[dict[str, Any]]
    descriptions: Mapped[dict[str, Any]]
    status: Mapped[SiteStatus] = mapped_column(default=SiteStatus.ACTIVE)

    def in_language(self, field: str, language: str) -> Localised[str]:
        """The name or description a reader of ``language`` is given, and its language (see
        ``ar_service.localised``); empty text in ``language`` if the site has none at all."""
        return localised(getattr(self, field) or {}, language) or Localised(language, "")

    def text(self, field: str, language: str) -> str:
        """The text of ``in_language``."""
        return self.in_language(field, language).value
