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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

from medtrack_desktop.domain.patients import search_index
from medtrack_desktop.store.bulk import insert_rows
from medtrack_desktop.sync.models import OutboxEntry
from medtrack_desktop.sync.outbox import drop_local_rows, refused_rows
from medtrack_desktop.sync.tables import synced
from medtrack_desktop.sync.wire import decode_row

Change = tuple[int, str, uuid.UUID, dict[str, Any]]
_CHUNK = 500
_OUTBOX = OutboxEntry.__table__


@dataclass(frozen=True)
class PageApplied:
    last_seq: int
    inserted: int
    updated: int
    skipped: int


@dataclass(frozen=True)
class Page:
    """A page of the server's changes made ready to write (``prepare``): the last state of
    each row in server order, decoded."""

    last_seq: int
    changes: int
    rows: list[tuple[str, dict[str, Any]]]
    refused: list[tuple[str, uuid.UUID]]


def prepare(changes: Sequence[Change], *, workstation_id: uuid.UUID | None,
            own: Mapping[uuid.UUID, int] | None = None) -> Page:
    """Everything of a page that needs no database. ``own``: rows this workstation changed
    itself, as the server applied them at these numbers (not read): a change of one of them
    numbered before is older than what the workstation holds."""
    own = own or {}
    latest: dict[tuple[str, uuid.UUID], tuple[int, dict[str, Any]]] = {}
    for seq, table_name, row_id, row in changes:
        latest.pop((table_name, row_id), None)
        latest[(table_name, row_id)] = seq, row
    rows = [(table_name, decode_row(synced(table_name).table, row))
            for (table_name, row_id), (seq, row) in latest.items() if own.get(row_id, 0) < seq]
    return Page(
        last_seq=changes[-1][0] if changes else 0, changes=len(changes), rows=rows,
        refused=_refused_in(changes, workstation_id) if workstation_id is not None else [])


def apply_page(connection: Connection, page: Page, *,
               workstation_id: uuid.UUID | None) -> PageApplied:
    """Apply a prepared page and move the cursor to its last change, in the caller's local
    transaction."""
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    connection.execute(text("UPDATE sync_state SET applying = 1 WHERE id = 1"))
    if workstation_id is not None:  # a refused row still here would block the server's own
        drop_local_rows(connection, page.refused + refused_rows(connection, workstation_id))
    waiting = set(connection.execute(select(_OUTBOX.c.row_id).distinct()).scalars())
    runs: list[tuple[str, list[dict[str, Any]]]] = []  # consecutive rows of one table
    skipped = 0
    for table_name, row in page.rows:
        if row["id"] in waiting:
            skipped += 1
            continue
        if not runs or runs[-1][0] != table_name:
            runs.append((table_name, []))
        runs[-1][1].append(row)
    inserted: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for table_name, rows in runs:
        added, changed = _upsert(connection, table_name, rows)
        inserted += added
        updated += changed
        if table_name == "patients":  # the search index follows its patients
            session = Session(bind=connection)
            search_index.add_terms(session, added)
            search_index.reindex(session, [row["id"] for row in changed])
    if workstation_id is not None:
        drop_local_rows(connection, refused_rows(connection, workstation_id))
    connection.execute(text("UPDATE sync_state SET applying = 0 WHERE id = 1"))
    advance_cursor(connection, page.last_seq)
    return PageApplied(page.last_seq, len(inserted), len(updated), skipped)


def _refused_in(changes: Sequence[Change], workstation_id: uuid.UUID
                ) -> list[tuple[str, uuid.UUID]]:
    """The rows this workstation made that the page's new conflicts say the server refused,
    newest first."""
    mine = str(workstation_id)
    return [(row["table_name"], uuid.UUID(row["row_id"])) for _seq, table, _id, row
            in reversed(changes) if table == "sync_conflicts"
            and row.get("origin_workstation_id") == mine and row.get("server_values") is None
            and row.get("resolved_at") is None]


def _upsert(connection: Connection, table_name: str, rows: list[dict[str, Any]]
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Insert the rows (decoded) the workstation lacks, update those that differ: (inserted,
    updated)."""
    table = synced(table_name).table
    inserted, updated = [], []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        present = {row["id"]: row for row in connection.execute(
            select(table).where(table.c.id.in_([row["id"] for row in chunk]))).mappings()}
        new = [row for row in chunk if row["id"] not in present]
        insert_rows(connection, table, new)
        inserted += new
        for row in chunk:
            local = present.get(row["id"])
            if local is None:
                continue
            differing = {name: value for name, value in row.items() if local[name] != value}
            if differing:
                # updated_at always: left out, it would take its ``onupdate`` (now); never the
                # id (SQLite would check every foreign key pointing at the row)
                differing["updated_at"] = row["updated_at"]
                connection.execute(update(table).where(table.c.id == row["id"]), differing)
                updated.append(row)
    return inserted, updated


def advance_cursor(connection: Connection, to: int) -> None:
    """Move the cursor forward to ``to`` (never back), in the caller's transaction."""
    connection.execute(text("UPDATE sync_state SET pulled_seq = max(pulled_seq, :to) "
                            "WHERE id = 1"), {"to": to})


def cursor(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pulled_seq FROM sync_state WHERE id = 1"))
               .scalar_one())
