"""Reading the audit trail: search with filters and CSV export, for administrators.

The trail names patients and what was done to their records, so reading it needs
``audit.read``, and an export (data leaving the application) is itself audited.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.canonical import canonical_json
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require

MAX_LIMIT = 5000


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as plain data (the same fields the hash covers, plus the hash)."""

    seq: int
    occurred_at: datetime
    workstation_id: str
    username: str | None
    user_role: str | None
    action: str
    outcome: str
    resource_type: str | None
    resource_id: str | None
    patient_id: str | None
    reason: str | None
    changes: str | None  # canonical JSON, as hashed
    id: str
    user_id: str | None
    prev_hash: str
    entry_hash: str


CSV_HEADER = tuple(field.name for field in fields(AuditRow))


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer asks for; every criterion is optional. ``end`` is exclusive."""

    username: str | None = None
    patient_id: uuid.UUID | str | None = None
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _patient_uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValueError("Patient id: not a valid patient id.") from None


def _query(actor: Actor, wanted: AuditFilter) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry).where(AuditEntry.clinic_id == actor.seat.clinic_id)
    if wanted.username and wanted.username.strip():
        query = query.where(AuditEntry.username == wanted.username.strip().lower())
    if wanted.patient_id:
        query = query.where(AuditEntry.patient_id == _patient_uuid(wanted.patient_id))
    if wanted.action and wanted.action.strip():
        query = query.where(AuditEntry.action == wanted.action.strip())
    if wanted.start is not None:
        query = query.where(AuditEntry.occurred_at >= wanted.start)
    if wanted.end is not None:
        query = query.where(AuditEntry.occurred_at < wanted.end)
    return query.order_by(AuditEntry.occurred_at.desc(), AuditEntry.seq.desc())


def _row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        workstation_id=str(entry.workstation_id),
        username=entry.username,
        user_role=entry.user_role,
        action=entry.action,
        outcome=entry.outcome,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        patient_id=str(entry.patient_id) if entry.patient_id else None,
        reason=entry.reason,
        changes=(
            canonical_json(entry.changes).decode("utf-8")
            if entry.changes is not None else None
        ),
        id=str(entry.id),
        user_id=str(entry.user_id) if entry.user_id else None,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
    )


def search_audit(
    session: Session,
    actor: Actor,
    *,
    username: str | None = None,
    patient_id: uuid.UUID | str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[AuditRow]:
    """Entries of the actor's clinic matching every given filter, newest first."""
    require(actor, "audit.read")
    wanted = AuditFilter(username, patient_id, action, start, end)
    query = _query(actor, wanted).limit(max(1, min(limit, MAX_LIMIT))).offset(max(0, offset))
    return [_row(entry) for entry in session.scalars(query)]


def count_audit(
    session: Session, actor: Actor, *, action: str, start: datetime,
    end: datetime | None = None,
) -> int:
    """How many entries of ``action`` the actor's clinic has in [start, end) (for alerts such as
    recent break-the-glass openings; the entries themselves are in ``search_audit``)."""
    require(actor, "audit.read")
    query = _query(actor, AuditFilter(action=action, start=start, end=end))
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def export_audit_csv(
    session: Session,
    actor: Actor,
    *,
    out: TextIO,
    username: str | None = None,
    patient_id: uuid.UUID | str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Write every matching entry (all fields, hashes included) as CSV; return the row count.

    The export is recorded in the trail with its filters, in the caller's transaction, after the
    rows were read (so the file does not contain its own export entry).
    """
    require(actor, "audit.read")
    wanted = AuditFilter(username, patient_id, action, start, end)
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for entry in session.scalars(_query(actor, wanted).execution_options(yield_per=1000)):
        writer.writerow([_csv_value(value) for value in astuple(_row(entry))])
        count += 1
    filters = {
        "username": username or None,
        "patient_id": str(patient_id) if patient_id else None,
        "action": action or None,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }
    trail.record(
        session,
        seat=actor.seat,
        actor=actor,
        action="audit.export",
        resource_type="audit_log",
        reason="CSV export",
        changes={"filters": {k: v for k, v in filters.items() if v}, "rows": count},
    )
    return count
