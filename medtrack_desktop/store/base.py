"""Declarative base and the columns every clinical/administrative table carries (DESIGN §3).

- ``id``: UUIDv7 made on the workstation (time-ordered, born offline, never colliding).
- ``clinic_id``: the tenant; every row belongs to one clinic.
- ``created_at``/``updated_at``: UTC, timezone-aware on both engines.
- ``created_by``/``updated_by``: the acting user's id. Deliberately without a foreign key: a row
  may reach a workstation by sync before the user who wrote it, and users are never deleted.
- ``version``: optimistic concurrency, +1 per change (SQLAlchemy's version counter).
- ``deleted_at``: tombstone; PHI is never hard-deleted by normal use.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import uuid6
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    TypeDecorator,
    Uuid,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTOR_KEY = "medtrack_actor_id"


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered for index locality, random enough never to collide offline."""
    return uuid6.uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL.

    SQLite stores no zone, so values are normalised to UTC on the way in and tagged UTC on the
    way out; a naive datetime is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: MedTrack stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), uuid.UUID: Uuid()}  # noqa: RUF012


class Tracked:
    """Identity, timestamps, authorship, version and tombstone; no tenant column."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[uuid.UUID | None]
    updated_by: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    deleted_at: Mapped[datetime | None]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class ClinicScoped(Tracked):
    """A row that belongs to one clinic (every clinical and administrative table)."""

    @declared_attr
    def clinic_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True)


def bind_actor(session: Session, actor_id: uuid.UUID | None) -> None:
    """Name the user whose changes this unit of work holds (stamped on created/updated_by)."""
    session.info[ACTOR_KEY] = actor_id


@event.listens_for(Session, "before_flush")
def _stamp_authorship(session: Session, _context: Any, _instances: Any) -> None:
    actor_id = session.info.get(ACTOR_KEY)
    if actor_id is None:
        return
    for row in session.new:
        if isinstance(row, Tracked):
            row.created_by = row.created_by or actor_id
            row.updated_by = actor_id
    for row in session.dirty:
        if isinstance(row, Tracked) and session.is_modified(row):
            row.updated_by = actor_id


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that keeps an enumeration column to its allowed strings (same on both engines)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")
