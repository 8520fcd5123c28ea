"""The audit viewer's result table (times shown in the clinic's time zone)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from medtrack_desktop.domain.audit.queries import AuditRow
from medtrack_desktop.ui.models.rows import Column, RowsTableModel


def _columns(zone: ZoneInfo) -> tuple[Column[AuditRow], ...]:
    return (
        Column("#", lambda r: str(r.seq), lambda r: f"entry hash {r.entry_hash}"),
        Column("Time", lambda r: f"{r.occurred_at.astimezone(zone):%Y-%m-%d %H:%M:%S}",
               lambda r: r.occurred_at.isoformat()),
        Column("User", lambda r: r.username or ""),
        Column("Roles", lambda r: r.user_role or ""),
        Column("Action", lambda r: r.action),
        Column("Outcome", lambda r: r.outcome),
        Column("Resource", lambda r: " ".join(p for p in (r.resource_type, r.resource_id) if p)),
        Column("Patient", lambda r: r.patient_id or ""),
        Column("Reason", lambda r: r.reason or ""),
        Column("Changes", lambda r: r.changes or "", lambda r: r.changes or ""),
    )


class AuditTableModel(RowsTableModel[AuditRow]):
    def __init__(self, *, timezone: str) -> None:
        super().__init__(_columns(ZoneInfo(timezone)))
