"""The open sync conflicts as a list: what kind of record, why, when, from where (no values)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from medtrack_desktop.sync.conflict_review import ConflictSummary
from medtrack_desktop.ui.models.rows import Column, RowsTableModel


class ConflictsModel(RowsTableModel[ConflictSummary]):
    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__((
            Column("Record", lambda c: c.record),
            Column("Reason", lambda c: c.reason_text),
            Column("When", lambda c: f"{c.created_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            Column("From workstation", lambda c: c.workstation),
            Column("Fields", lambda c: ", ".join(c.fields),
                   lambda c: "" if c.may_resolve else
                   "You may look at this conflict; settling it needs another role."),
        ))
