"""The workstation's outbox: what waits to be pushed, read as ``Mutation``s, and what an
acknowledged push lets go of.

An entry leaves the outbox only in the local transaction that records the server's answer;
nothing else ever deletes one. A change the server could not take as a row (a refused insert)
is dropped from the local tables in that same transaction — it lives on in ``sync_conflicts``,
and the workstation then holds what the server holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from medtrack_desktop.domain.models import metadata
from medtrack_desktop.sync.models import OutboxEntry, SyncConflict, SyncOwnChange
from medtrack_desktop.sync.server_apply import Mutation, PushResult
from medtrack_desktop.sync.tables import BOOKKEEPING, synced
from medtrack_desktop.sync.wire import UNCHANGED_BLOB, from_stored, parse_row, wire_from_stored

_OUTBOX = OutboxEntry.__table__
_CONFLICTS = SyncConflict.__table__
_OWN = SyncOwnChange.__table__
_PENDING = tuple(_OUTBOX.c[name] for name in (
    "local_seq", "mutation_id", "table_name", "row_id", "operation", "base_version",
    "old_values", "new_values"))


@dataclass(frozen=True)
class Pending:
    local_seq: int
    mutation: Mutation


def pending(connection: Connection, limit: int, *, after: int = 0) -> list[Pending]:
    """The oldest ``limit`` entries written after entry ``after``, in the order they were
    written."""
    rows = connection.execute(select(*_PENDING).where(_OUTBOX.c.local_seq > after)
                              .order_by(_OUTBOX.c.local_seq).limit(limit)).all()
    return [Pending(row.local_seq, _mutation(row)) for row in rows]


def pending_count(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM sync_outbox")).scalar_one())


def _mutation(row: object) -> Mutation:
    table = synced(row.table_name).table  # type: ignore[attr-defined]
    new = parse_row(table, row.new_values)  # type: ignore[attr-defined]
    if row.operation == "insert":  # type: ignore[attr-defined]
        return Mutation(row.mutation_id, table.name, row.row_id, "insert",  # type: ignore[attr-defined]
                        None, None, wire_from_stored(table, new))
    old = parse_row(table, row.old_values)  # type: ignore[attr-defined]
    changed = {name: value for name, value in new.items()
               if value != UNCHANGED_BLOB and value != old.get(name)}
    values = from_stored(table, changed)
    base = from_stored(table, {name: old.get(name) for name in values
                               if name not in BOOKKEEPING})
    return Mutation.of_values(row.mutation_id, table.name, row.row_id, "update",  # type: ignore[attr-defined]
                              row.base_version, base, values)  # type: ignore[attr-defined]


def acknowledge(connection: Connection, entries: Sequence[Pending],
                results: Sequence[PushResult]) -> list[tuple[str, uuid.UUID]]:
    """Record the server's answer to ``entries`` (in the caller's local transaction). Returns
    the rows the server refused to hold, newest first: dropped here when nothing points at
    them any more, else to be dropped again once the rows that do are gone."""
    answered = {result.mutation_id: result for result in results}
    done = [entry.local_seq for entry in entries if entry.mutation.mutation_id in answered]
    for start in range(0, len(done), 500):
        connection.execute(delete(_OUTBOX).where(_OUTBOX.c.local_seq.in_(done[start:start + 500])))
    absent = [(entry.mutation.table, entry.mutation.row_id) for entry in reversed(entries)
              if (result := answered.get(entry.mutation.mutation_id)) and result.absent]
    _note_own_changes(connection, results, {entry.mutation.mutation_id: entry.mutation.row_id
                                            for entry in entries})
    drop_refused(connection, absent)
    return absent


def drop_refused(connection: Connection, rows: Sequence[tuple[str, uuid.UUID]]) -> int:
    """``drop_local_rows`` with the guard triggers silent (the server's refusal stands)."""
    if not rows:
        return 0
    connection.execute(text("UPDATE sync_state SET applying = 1 WHERE id = 1"))
    dropped = drop_local_rows(connection, rows)
    connection.execute(text("UPDATE sync_state SET applying = 0 WHERE id = 1"))
    return dropped


def _note_own_changes(connection: Connection, results: Sequence[PushResult],
                      rows: Mapping[uuid.UUID, uuid.UUID]) -> None:
    """Keep the changes the server applied as sent (number and row; ``rows``: each mutation's
    row): the workstation holds those rows already, so its pull does not fetch them back
    (``OwnChanges``). A merge, a conflict or an unchanged row is pulled as usual."""
    own = [{"server_seq": result.server_seq, "row_id": rows[result.mutation_id]}
           for result in results if result.outcome == "applied" and result.server_seq]
    if own:
        connection.execute(insert(_OWN).prefix_with("OR IGNORE", dialect="sqlite"), own)


@dataclass(frozen=True)
class OwnChanges:
    """This workstation's changes applied as sent that a pull has not passed yet."""

    #: runs of consecutive numbers (first, last): the pull does not read them
    runs: list[tuple[int, int]]
    #: each row's latest own number: a change of the row numbered before it is older than
    #: what the workstation holds, and is not applied
    latest: dict[uuid.UUID, int]

    @classmethod
    def read(cls, connection: Connection, after: int) -> OwnChanges:
        runs: list[tuple[int, int]] = []
        latest: dict[uuid.UUID, int] = {}
        for seq, row_id in connection.execute(
                select(_OWN.c.server_seq, _OWN.c.row_id).where(_OWN.c.server_seq > after)
                .order_by(_OWN.c.server_seq)):
            if runs and runs[-1][1] == seq - 1:
                runs[-1] = (runs[-1][0], seq)
            else:
                runs.append((seq, seq))
            latest[row_id] = seq
        return cls(runs, latest)


def forget_own_changes(connection: Connection, through: int) -> None:
    """Drop the own changes the cursor has passed (it is at ``through``)."""
    connection.execute(delete(_OWN).where(_OWN.c.server_seq <= through))


def drop_local_rows(connection: Connection, rows: Sequence[tuple[str, uuid.UUID]]) -> int:
    """Delete these rows (children first: give them newest first) unless a change to one still
    waits in the outbox or a row still points at it; returns how many went. What stays is
    tried again at the next pull (``refused_rows``). Local rows derived from one (its search
    terms) go with it. Run with ``sync_state.applying`` set: the
    guard triggers (append-only tables) then let the server's refusal through."""
    dropped = 0
    for table_name, row_id in rows:
        if connection.execute(select(_OUTBOX.c.local_seq).where(
                _OUTBOX.c.row_id == row_id).limit(1)).first():
            continue
        table = synced(table_name).table
        savepoint = connection.begin_nested()
        try:
            for derived, column in _derived_from(table_name):
                connection.execute(delete(derived).where(column == row_id))
            dropped += connection.execute(delete(table).where(table.c.id == row_id)).rowcount
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
    return dropped


@cache
def _derived_from(table_name: str) -> tuple[tuple[Table, Column[Any]], ...]:
    """Local tables made from synced rows (declared ``derived_from_synced``: a patient's search
    terms) that point at ``table_name``: they go with the row."""
    return tuple(
        (table, column) for table in metadata.sorted_tables
        if table.info.get("derived_from_synced") for column in table.columns
        for key in column.foreign_keys if key.column.table.name == table_name)


def refused_rows(connection: Connection, workstation_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    """Rows this workstation made that the server refused and nobody has resolved yet, newest
    first."""
    rows = connection.execute(
        select(_CONFLICTS.c.table_name, _CONFLICTS.c.row_id)
        .where(_CONFLICTS.c.origin_workstation_id == workstation_id,
               _CONFLICTS.c.server_values.is_(None), _CONFLICTS.c.resolved_at.is_(None))
        .order_by(_CONFLICTS.c.created_at.desc())).all()
    return [(str(table), row_id) for table, row_id in rows]
