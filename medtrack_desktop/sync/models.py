"""What sync keeps on each side of the wire.

Workstation only (never synced, never granted to a workstation login on the server):
``sync_outbox`` — every local change, written by database triggers in the same transaction as
the change (``capture``) —, ``sync_state``, one row: the pull cursor, the audit watermark,
whether a pull is being applied (the triggers then stay silent) and the last round's outcome —
and ``sync_own_changes``: this workstation's changes the server applied as sent (their numbers
and rows), which a pull does not fetch back.

Both sides, synced like any clinic table: ``sync_conflicts`` — a pushed change the server could
not apply without overwriting someone (or that it refused: a signed record, a double booking),
kept with the base, local and server values until a person decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, UtcDateTime, one_of

OPERATIONS = ("insert", "update")
CONFLICT_REASONS = ("changed", "missing", "signed", "double_booking", "refused")
RESOLUTIONS = ("kept_server", "kept_local", "merged")
_LOCAL_SEQ = Integer()
_NULLABLE_JSON = JSON(none_as_null=True)


class OutboxEntry(Base):
    """One local change waiting for the server's acknowledgement (written by triggers).

    ``old_values``/``new_values`` are JSON objects of the row's stored values (SQLite's
    storage form; a BLOB as hex, and ``"="`` for a BLOB an update left as it was)."""

    __tablename__ = "sync_outbox"
    __table_args__ = (one_of("operation", OPERATIONS),)

    local_seq: Mapped[int] = mapped_column(_LOCAL_SEQ, primary_key=True, autoincrement=True)
    mutation_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID] = mapped_column(index=True)
    operation: Mapped[str] = mapped_column(String(8))
    base_version: Mapped[int | None]
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str] = mapped_column(Text)
    schema_revision: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SyncState(Base):
    """This workstation's sync bookkeeping: exactly one row, ``id = 1``."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pulled_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    audit_pushed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    applying: Mapped[bool] = mapped_column(default=False)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SyncOwnChange(Base):
    """A change of this workstation's the server applied exactly as sent, at ``server_seq``:
    the row is here as it then was, so a pull does not fetch the change back, nor apply an
    earlier change of the row over it. Recorded with the push's answer; dropped once the
    cursor has passed it."""

    __tablename__ = "sync_own_changes"

    server_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class SyncConflict(ClinicScoped, Base):
    """A pushed change kept aside: ``base_values`` (what the workstation changed from),
    ``local_values`` (what it changed to) and ``server_values`` (what the server held), each
    a JSON object of the changed fields in wire form (``sync.wire``)."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        one_of("operation", OPERATIONS),
        one_of("reason", CONFLICT_REASONS),
        one_of("resolution", RESOLUTIONS),
    )

    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid(), index=True)
    mutation_id: Mapped[uuid.UUID]
    operation: Mapped[str] = mapped_column(String(8))
    origin_workstation_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    base_values: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON)
    local_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: NULL when the server has no such row (a refused insert): the workstation drops its copy.
    server_values: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None]
    resolution: Mapped[str | None] = mapped_column(String(16))
