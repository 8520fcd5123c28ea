"""Applying the server's changes to the workstation.

A page of changes is applied in one local transaction with the cursor: either all of it and the
cursor moves, or none of it. Within the page the last state of each row wins; foreign keys are
checked at commit (``defer_foreign_keys``), when the page is the server's state at its last
number. A row with changes still in the outbox is left as the workstation has it: its push will
be logged by the server again (applied, merged or kept as a conflict), and that comes down in a
later pull. The capture triggers stay silent meanwhile, so nothing pulled is pushed back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.orm import Session

from medtrack_desktop.domain.patients import search_index
from medtrack_desktop.sync.outbox import drop_local_rows, refused_rows
from medtrack_desktop.sync.tables import synced
from medtrack_desktop.sync.wire import decode_row

Change = tuple[int, str, uuid.UUID, dict[str, Any]]
_CHUNK = 500


@dataclass(frozen=True)
class PageApplied:
    last_seq: int
    inserted: int
    updated: int
    skipped: int


def apply_page(connection: Connection, changes: Sequence[Change], *,
               workstation_id: uuid.UUID | None) -> PageApplied:
    """Apply ``changes`` (oldest first) and move the cursor to the last, in the caller's local
    transaction."""
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    connection.execute(text("UPDATE sync_state SET applying = 1 WHERE id = 1"))
    latest: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    for _seq, table_name, row_id, row in changes:
        latest.pop((table_name, row_id), None)
        latest[(table_name, row_id)] = row
    waiting = set(connection.execute(text("SELECT DISTINCT row_id FROM sync_outbox")).scalars())
    runs: list[tuple[str, list[dict[str, Any]]]] = []  # consecutive rows of one table
    skipped = 0
    for (table_name, row_id), row in latest.items():
        if _as_uuid(row_id) in waiting:
            skipped += 1
            continue
        if not runs or runs[-1][0] != table_name:
            runs.append((table_name, []))
        runs[-1][1].append(row)
    inserted = updated = 0
    for table_name, rows in runs:
        added, changed = _upsert(connection, table_name, rows)
        inserted += added
        updated += changed
    patients = [uuid.UUID(row["id"]) for table_name, rows in runs if table_name == "patients"
                for row in rows]
    if patients:
        search_index.reindex(Session(bind=connection), patients)
    if workstation_id is not None:
        drop_local_rows(connection, refused_rows(connection, workstation_id))
    last = changes[-1][0] if changes else 0
    connection.execute(text(
        "UPDATE sync_state SET applying = 0, pulled_seq = max(pulled_seq, :last) WHERE id = 1"),
        {"last": last})
    return PageApplied(last, inserted, updated, skipped)


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _upsert(connection: Connection, table_name: str,
            rows: list[dict[str, Any]]) -> tuple[int, int]:
    table = synced(table_name).table
    columns = {column.name: column for column in table.columns}
    decoded = [decode_row(columns, row) for row in rows]
    inserted = updated = 0
    for start in range(0, len(decoded), _CHUNK):
        chunk = decoded[start:start + _CHUNK]
        ids = [row["id"] for row in chunk]
        present = {row["id"]: row for row in connection.execute(
            select(table).where(table.c.id.in_(ids))).mappings()}
        new = [row for row in chunk if row["id"] not in present]
        if new:
            connection.execute(insert(table), new)
            inserted += len(new)
        for row in chunk:
            local = present.get(row["id"])
            if local is None:
                continue
            if any(local[name] != value for name, value in row.items()):
                # the whole row: a column left out would take its ``onupdate`` (updated_at)
                connection.execute(update(table).where(table.c.id == row["id"]), row)
                updated += 1
    return inserted, updated


def cursor(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pulled_seq FROM sync_state WHERE id = 1"))
               .scalar_one())
