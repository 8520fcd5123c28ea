"""The audit trail travels up: this workstation's chain is copied to the server in order,
and its head is anchored there (``medtrack_server.audit_anchors``), so a chain later cut short
or rewritten on the workstation no longer matches what the server holds.

Entries are never pulled: each workstation keeps its own chain, the server keeps them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.audit.trail import ChainAnchor

_LOG = AuditEntry.__table__


def push_audit(local: Connection, server: Connection, *, workstation_id: uuid.UUID,
               limit: int) -> tuple[int, int | None]:
    """Copy up to ``limit`` entries after the watermark: (how many, the last one's seq). The
    server side commits with the caller; ``mark_audit_pushed`` moves the watermark after."""
    after = int(local.execute(text("SELECT audit_pushed_seq FROM sync_state WHERE id = 1"))
                .scalar_one())
    rows = [dict(row) for row in local.execute(
        select(_LOG).where(_LOG.c.workstation_id == workstation_id, _LOG.c.seq > after)
        .order_by(_LOG.c.seq).limit(limit)).mappings()]
    if not rows:
        return 0, None
    server.execute(pg_insert(_LOG).on_conflict_do_nothing(index_elements=["id"]), rows)
    head = rows[-1]
    server.execute(text(
        "INSERT INTO medtrack_server.audit_anchors (workstation_id, clinic_id, seq, entry_hash) "
        "VALUES (:workstation_id, :clinic_id, :seq, :entry_hash) ON CONFLICT DO NOTHING"),
        {"workstation_id": workstation_id, "clinic_id": head["clinic_id"], "seq": head["seq"],
         "entry_hash": head["entry_hash"]})
    return len(rows), int(head["seq"])


def anchored_heads(server: Connection, workstation_ids: Iterable[uuid.UUID]
                   ) -> list[ChainAnchor]:
    """The newest head the server anchored for each of these workstations' chains."""
    rows = server.execute(text(
        "SELECT DISTINCT ON (workstation_id) workstation_id, seq, entry_hash "
        "FROM medtrack_server.audit_anchors WHERE workstation_id = ANY(:ids) "
        "ORDER BY workstation_id, seq DESC"), {"ids": sorted(set(workstation_ids))})
    return [ChainAnchor(row.workstation_id, int(row.seq), str(row.entry_hash)) for row in rows]


def mark_audit_pushed(local: Connection, seq: int) -> None:
    local.execute(text("UPDATE sync_state SET audit_pushed_seq = :seq WHERE id = 1"),
                  {"seq": seq})

