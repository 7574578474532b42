"""People who sign in (curators, admins, developers) and the API tokens they hold."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ar_service.models.base import Base, Timestamped
from ar_service.models.site import Site


class Role(enum.StrEnum):
    ADMIN = "admin"
    CURATOR = "curator"
    DEVELOPER = "developer"


class User(UserMixin, Timestamped, Base):  # type: ignore[misc]  # flask_login ships no types
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role]
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of disabled users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


token_sites = Table(
    "api_token_sites",
    Base.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)

TOKEN_PREFIX = "huear_"  # noqa: S105 -- a public prefix that lets secret scanners spot leaked tokens


def hash_token(token: str) -> str:
    """Tokens are random and long, so a fast hash is enough (no salt needed to resist guessing)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Timestamped, Base):
    """A bearer token; only its hash is stored, the clear value is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters, shown in lists so people can tell tokens apart.
    hint: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    user: Mapped[User] = relationship()
    sites: Mapped[list[Site]] = relationship(secondary=token_sites)

    @classmethod
    def issue(cls, user: User, name: str, sites: list[Site]) -> tuple[ApiToken, str]:
        """A new token and its clear value (to show once)."""
        clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(clear), hint=clear[:10], sites=sites)
        return token, clear
