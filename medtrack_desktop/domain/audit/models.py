"""The audit log row. Append-only: migration triggers refuse UPDATE and DELETE on both engines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, new_id, one_of, utcnow

OUTCOMES = ("success", "denied", "failure")


class AuditEntry(Base):
    """One audited event, linked to the previous entry of the same workstation by its hash.

    ``user_id`` and ``patient_id`` carry no foreign key on purpose: an audit entry must be
    writable for an unknown user name (failed log-in) and must never fail for a referential
    reason.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("workstation_id", "seq"),
        Index("ix_audit_log_clinic_id_occurred_at", "clinic_id", "occurred_at"),
        Index("ix_audit_log_user_id_occurred_at", "user_id", "occurred_at"),
        Index("ix_audit_log_patient_id_occurred_at", "patient_id", "occurred_at"),
        Index("ix_audit_log_resource_type_resource_id", "resource_type", "resource_id"),
        one_of("outcome", OUTCOMES),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"))
    workstation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workstations.id", ondelete="RESTRICT")
    )
    seq: Mapped[int]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None]
    username: Mapped[str | None] = mapped_column(String(150))
    user_role: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
