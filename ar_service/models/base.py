"""Declarative base, naming convention and column helpers shared by every model."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations match across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Keys are INTEGER columns: 32 bits on PostgreSQL, which raises on a larger bound parameter
# (SQLite's are 64 bits), so no id can be larger and a larger one is refused before any query.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int:
    """A row id from a form field or query string: ASCII digits, 1 to ``MAX_ID``; else ValueError."""
    if not (text.isascii() and text.isdigit()) or not 0 < (ident := int(text)) <= MAX_ID:
        raise ValueError(f"{text[:40]!r} is not an id from 1 to {MAX_ID}")
    return ident


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        # Enums stored as their lower-case values in a VARCHAR: readable in SQL, and adding
        # a value needs no PostgreSQL ALTER TYPE.
        enum.Enum: Enum(
            enum.Enum, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
    }


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
