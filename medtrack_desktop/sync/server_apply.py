"""The server's side of sync (DESIGN §5), run by a workstation over its own PostgreSQL login:
row-level security keeps it inside its clinic whatever this code asks.

``apply_push`` applies a batch of the workstation's changes in the caller's transaction, pushes
of one clinic one after the other (a transaction advisory lock), so ``server_seq`` grows without
gaps in commit order and a reader never skips a number that commits late. For each change:

- already in the idempotency ledger (a retry after a lost acknowledgement): its stored outcome;
- an insert: the row as the workstation made it;
- an update of a row still at ``base_version``: the changed fields; at another version but with
  every changed field still holding its base value: the same, merged field by field (the fields
  a table declares last-writer-wins never stop a merge);
- otherwise, or when the server refuses it (a signed record, a double booking, a constraint),
  a ``sync_conflicts`` row keeps the base, local and server values and nothing is overwritten.

Every change handled is logged in ``medtrack_server.changes`` with the row as it now stands
(a conflict logs the row unchanged, so the workstation that pushed it is brought back to the
server's values), and workstations are woken by ``NOTIFY medtrack_sync``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    TextClause,
    Uuid,
    any_,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.sync.models import SyncConflict
from medtrack_desktop.sync.tables import BOOKKEEPING, SyncedTable, synced
from medtrack_desktop.sync.wire import decode_row, encode_row, parse_row, row_json, sql_reader

NOTIFY_CHANNEL = "medtrack_sync"
_RUN = 1000
Outcome = Literal["applied", "merged", "unchanged", "conflict"]
_Item = TypeVar("_Item")
_CONFLICTS = SyncConflict.__table__
_LOG = text(
    "INSERT INTO medtrack_server.changes (clinic_id, server_seq, table_name, row_id, row_data) "
    "SELECT :clinic_id, CAST(e->>'seq' AS bigint), e->>'table', CAST(e->'row'->>'id' AS uuid), "
    "e->'row' FROM jsonb_array_elements(CAST(:entries AS jsonb)) AS e")
_LEDGER = text(
    "INSERT INTO medtrack_server.ledger (mutation_id, clinic_id, outcome, server_seq, "
    "conflict_id) SELECT CAST(e->>'mutation_id' AS uuid), :clinic_id, e->>'outcome', "
    "CAST(e->>'seq' AS bigint), CAST(e->>'conflict_id' AS uuid) "
    "FROM jsonb_array_elements(CAST(:entries AS jsonb)) AS e")
_QUOTE = postgresql.dialect().identifier_preparer


@dataclass(frozen=True)
class Mutation:
    """One outbox entry in wire form: ``wire`` holds every column of an insert, or the fields
    an update changed (with ``base`` their Python values before); ``values`` is ``wire`` in
    Python values, made when first asked for (an insert applied as sent never needs them)."""

    mutation_id: uuid.UUID
    table: str
    row_id: uuid.UUID
    operation: Literal["insert", "update"]
    base_version: int | None
    base: Mapping[str, Any] | None
    wire: Mapping[str, Any]
    #: ``wire`` as JSON text, made with the mutation (the push reads and makes the next
    #: batch's mutations in a thread while the server applies this one).
    wire_json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wire_json", row_json(synced(self.table).table, self.wire))

    @classmethod
    def of_values(cls, mutation_id: uuid.UUID, table: str, row_id: uuid.UUID,
                  operation: Literal["insert", "update"], base_version: int | None,
                  base: Mapping[str, Any] | None, values: Mapping[str, Any]) -> Mutation:
        """A mutation from Python values."""
        mutation = cls(mutation_id, table, row_id, operation, base_version, base,
                       encode_row(synced(table).table, values))
        mutation.__dict__["values"] = dict(values)  # known already: not decoded again
        return mutation

    @cached_property
    def values(self) -> dict[str, Any]:
        return decode_row(synced(self.table).table, self.wire)


@dataclass(frozen=True)
class PushResult:
    mutation_id: uuid.UUID
    outcome: Outcome
    server_seq: int | None = None
    conflict_id: uuid.UUID | None = None
    #: The row is not on the server (a refused insert, an update of a row it never got): the
    #: workstation drops its copy, kept in the conflict.
    absent: bool = False


class _Batch:
    """One push transaction's sequence numbers, change log and ledger rows."""

    def __init__(self, connection: Connection, clinic_id: uuid.UUID,
                 workstation_id: uuid.UUID | None) -> None:
        self.connection = connection
        self.clinic_id = clinic_id
        self.workstation_id = workstation_id
        self.seq = int(connection.execute(text(
            "SELECT coalesce(max(server_seq), 0) FROM medtrack_server.changes "
            "WHERE clinic_id = :clinic_id"), {"clinic_id": clinic_id}).scalar_one())
        self.first_seq = self.seq
        self.log: list[str] = []  # JSON text each
        self.ledger: list[dict[str, Any]] = []

    def mark(self) -> tuple[int, int, int]:
        return self.seq, len(self.log), len(self.ledger)

    def restore(self, mark: tuple[int, int, int]) -> None:
        """Forget what was noted since ``mark`` (its writes were rolled back)."""
        self.seq = mark[0]
        del self.log[mark[1]:]
        del self.ledger[mark[2]:]

    def logged(self, table: Table, row: Mapping[str, Any]) -> int:
        """Log ``row`` (a whole row of ``table``, Python values) as the table's next change."""
        self.seq += 1
        self.log.append(f'{{"seq": {self.seq}, "table": {json.dumps(table.name)}, '
                        f'"row": {row_json(table, encode_row(table, row))}}}')
        return self.seq

    def reserve(self, count: int) -> int:
        """Number ``count`` changes logged by the caller; returns the first number."""
        self.seq += count
        return self.seq - count + 1

    def settle(self, mutation: Mutation, outcome: Outcome, seq: int | None,
               conflict_id: uuid.UUID | None = None, *, absent: bool = False) -> PushResult:
        self.ledger.append({"mutation_id": str(mutation.mutation_id), "outcome": outcome,
                            "seq": seq, "conflict_id": conflict_id and str(conflict_id)})
        return PushResult(mutation.mutation_id, outcome, seq, conflict_id, absent)

    def flush(self) -> None:
        """Write the log and the ledger, one statement each, and wake the workstations."""
        for statement, entries in ((_LOG, _array(self.log)),
                                   (_LEDGER, self.ledger and orjson.dumps(self.ledger).decode())):
            if entries:
                self.connection.execute(statement, {"clinic_id": self.clinic_id,
                                                    "entries": entries})
        if self.seq > self.first_seq:
            self.connection.execute(text("SELECT pg_notify(:channel, :clinic)"),
                                    {"channel": NOTIFY_CHANNEL, "clinic": str(self.clinic_id)})


def lock_clinic(connection: Connection, clinic_id: uuid.UUID) -> None:
    """Serialise the clinic's pushes until this transaction ends."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                       {"key": f"medtrack_sync:{clinic_id}"})


def apply_push(connection: Connection, *, clinic_id: uuid.UUID,
               workstation_id: uuid.UUID | None,
               mutations: Sequence[Mutation]) -> list[PushResult]:
    """Apply ``mutations`` in order, in the caller's (PostgreSQL) transaction; a mutation
    given twice is applied once."""
    lock_clinic(connection, clinic_id)
    # Every statement of a push reads rows by key. Left to its statistics, which lag behind a
    # table that grows by thousands of rows a minute, the planner scans whole tables instead
    # (row security keeps it from trusting its own estimates): one scan per batch, slower as
    # the clinic grows.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    known = _ledger(connection, [mutation.mutation_id for mutation in mutations])
    batch = _Batch(connection, clinic_id, workstation_id)
    fresh: dict[uuid.UUID, Mutation] = {}
    for mutation in mutations:
        if mutation.mutation_id not in known:
            fresh.setdefault(mutation.mutation_id, mutation)
    answered = dict(known)
    runs = _runs(list(fresh.values()))
    # The whole batch under one savepoint; only when the server refuses some of it, again run
    # by run, each under its own (a savepoint costs the server a subtransaction and two round
    # trips: per run they were a twentieth of a push).
    mark = batch.mark()
    savepoint = connection.begin_nested()
    try:
        results = [result for run in runs for result in _apply_run(batch, run)]
        savepoint.commit()
    except DBAPIError as error:
        if not _is_refusal(error):
            raise
        savepoint.rollback()
        batch.restore(mark)
        results = [result for run in runs for result in _apply_guarded(batch, run)]
    answered.update((result.mutation_id, result) for result in results)
    batch.flush()
    return [answered[mutation.mutation_id] for mutation in mutations]


def _array(items: list[str]) -> str:
    """A JSON array of these JSON texts ("" for none)."""
    return f"[{', '.join(items)}]" if items else ""


def _runs(mutations: list[Mutation]) -> list[list[Mutation]]:
    """Consecutive mutations of one table and operation, each row at most once in a run (a
    later change of the same row waits for the run before it)."""
    runs: list[list[Mutation]] = []
    rows: set[uuid.UUID] = set()
    for mutation in mutations:
        last = runs[-1] if runs else None
        if (last is None or len(last) >= _RUN or mutation.row_id in rows
                or (last[0].table, last[0].operation) != (mutation.table, mutation.operation)):
            runs.append([])
            rows = set()
        runs[-1].append(mutation)
        rows.add(mutation.row_id)
    return runs


def _ledger(connection: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, PushResult]:
    if not ids:
        return {}
    rows = connection.execute(text(
        "SELECT mutation_id, outcome, server_seq, conflict_id FROM medtrack_server.ledger "
        "WHERE mutation_id = ANY(:ids) AND workstation_role = session_user"),
        {"ids": ids}).all()
    return {row.mutation_id: PushResult(
        row.mutation_id, row.outcome, row.server_seq, row.conflict_id,
        row.outcome == "conflict" and _absent(connection, row.conflict_id)) for row in rows}


def _absent(connection: Connection, conflict_id: uuid.UUID) -> bool:
    return connection.execute(select(_CONFLICTS.c.server_values.is_(None)).where(
        _CONFLICTS.c.id == conflict_id)).scalar() is True


def _apply_guarded(batch: _Batch, run: list[Mutation]) -> list[PushResult]:
    """``_apply_run`` under a savepoint of its own; when the server refuses any of it, again
    one by one, so only the refused change becomes a conflict."""
    mark = batch.mark()
    savepoint = batch.connection.begin_nested()
    try:
        results = _apply_run(batch, run)
        savepoint.commit()
        return results
    except DBAPIError as error:
        if not _is_refusal(error):
            raise  # the server could not answer now (connection, lock, timeout): retried later
        savepoint.rollback()
        batch.restore(mark)
        if len(run) > 1:
            return [result for mutation in run for result in _apply_guarded(batch, [mutation])]
        return [_refused(batch, run[0], error)]


def _apply_run(batch: _Batch, run: list[Mutation]) -> list[PushResult]:
    """Apply a run of one table and operation: a few statements, whatever its length."""
    if run[0].operation == "insert":
        return _apply_inserts(batch, run)
    return _apply_updates(batch, run)


def _apply_inserts(batch: _Batch, run: list[Mutation]) -> list[PushResult]:
    """Insert the rows the server lacks (one statement per set of fields). A row it holds
    already is the same row (the same id), which reached it before this insert did (a clinic
    adopted from this workstation): logged as it stands, never inserted (a login may hold no
    INSERT right on its table: clinics)."""
    table = synced(run[0].table).table
    current = {row["id"]: row for row in batch.connection.execute(
        select(table).where(_one_of(table, run))).mappings()}
    results = [batch.settle(mutation, "unchanged", batch.logged(table, row)) for mutation in run
               if (row := current.get(mutation.row_id)) is not None]
    inserts = [mutation for mutation in run if mutation.row_id not in current]
    for names, group in _same_keys(inserts, lambda mutation: mutation.wire).items():
        first = batch.reserve(len(group))
        batch.connection.execute(_insert_logged(table, names), {
            "rows": _array([mutation.wire_json for mutation in group]),
            "clinic_id": batch.clinic_id, "first": first, "table_name": table.name})
        results += [batch.settle(mutation, "applied", seq)
                    for seq, mutation in enumerate(group, start=first)]
    return results


def _apply_updates(batch: _Batch, run: list[Mutation]) -> list[PushResult]:
    """Read the rows once, locked against the server's own writers (pushes are serialised
    already), decide each change, and write the applied ones in one statement per set of
    fields."""
    synced_table = synced(run[0].table)
    table = synced_table.table
    current = {row["id"]: row for row in batch.connection.execute(
        select(table).where(_one_of(table, run))
        .with_for_update()).mappings()}
    results, updates = [], []
    for mutation in run:
        row = current.get(mutation.row_id)
        decision, values = _decide(synced_table, mutation, row)
        if decision in ("applied", "merged"):
            updates.append(encode_row(table, {"id": mutation.row_id, **values}))
            results.append(batch.settle(mutation, decision,  # type: ignore[arg-type]
                                        batch.logged(table, {**row, **values})))  # type: ignore[dict-item]
        elif decision == "unchanged":
            results.append(batch.settle(mutation, "unchanged",
                                        batch.logged(table, row)))  # type: ignore[arg-type]
        else:
            results.append(_conflict(batch, mutation, row, decision, None))
    for names, rows in _same_keys(updates, lambda row: row).items():
        batch.connection.execute(_update_rows(table, names), {
            "rows": _array([row_json(table, row) for row in rows]),
            "ids": [row["id"] for row in rows]})
    return results


def _one_of(table: Table, run: list[Mutation]) -> ColumnElement[bool]:
    """The run's rows, by id: one array parameter (an IN list of a thousand parameters is
    made, sent and parsed again for every statement)."""
    return table.c.id == any_(bindparam("ids", [mutation.row_id for mutation in run],
                                        type_=postgresql.ARRAY(Uuid())))


def _decide(synced_table: SyncedTable, mutation: Mutation, current: Mapping[str, Any] | None
            ) -> tuple[str, dict[str, Any]]:
    """What an update does to the server's row: ("applied" | "merged", values to set),
    ("unchanged", {}), or a conflict's reason ("changed" | "missing", {})."""
    if current is None:
        return "missing", {}
    changed = {name: value for name, value in mutation.values.items()
               if name not in BOOKKEEPING}
    if all(current[name] == value for name, value in changed.items()):
        return "unchanged", {}  # the server holds these values already
    base = mutation.base or {}
    at_base = current["version"] == mutation.base_version
    if not at_base and any(current[name] != base.get(name) for name in changed
                           if name not in synced_table.last_writer_wins):
        return "changed", {}
    return ("applied" if at_base else "merged"), {
        **changed, "version": current["version"] + 1,
        "updated_at": mutation.values.get("updated_at", current["updated_at"]),
        "updated_by": mutation.values.get("updated_by", current["updated_by"])}


def _same_keys(items: list[_Item], fields: Callable[[_Item], Mapping[str, Any]]
               ) -> dict[tuple[str, ...], list[_Item]]:
    """``items`` grouped by the names of their fields."""
    groups: dict[tuple[str, ...], list[_Item]] = {}
    for item in items:
        groups.setdefault(tuple(fields(item)), []).append(item)
    return groups


@cache
def _insert_logged(table: Table, names: tuple[str, ...]) -> TextClause:
    """Insert the rows of the JSON array ``:rows`` (wire form, these fields each) and log each
    as the change numbered ``:first`` on in array order, from the same parsed array (the log
    holds the row as sent)."""
    return text(
        "WITH sent AS (SELECT value AS e, ordinality AS n "
        "FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY), "
        f"inserted AS (INSERT INTO {_QUOTE.format_table(table)} "
        f"({', '.join(_QUOTE.quote(name) for name in names)}) "
        f"SELECT {', '.join(sql_reader(table.c[name], 'e') for name in names)} FROM sent) "
        "INSERT INTO medtrack_server.changes (clinic_id, server_seq, table_name, row_id, "
        "row_data) SELECT :clinic_id, CAST(:first AS bigint) + n - 1, :table_name, "
        "CAST(e->>'id' AS uuid), e FROM sent")


@cache
def _update_rows(table: Table, names: tuple[str, ...]) -> TextClause:
    """Set these fields of each row of the JSON array ``:rows`` (wire form, with its id; the
    ids again in ``:ids``, so the rows are found by key: joined to the array alone, the planner
    walks the whole primary key in order)."""
    assignments = ", ".join(f"{_QUOTE.quote(name)} = {sql_reader(table.c[name], 'e')}"
                            for name in names if name != "id")
    return text(
        f"UPDATE {_QUOTE.format_table(table)} AS t SET {assignments} "
        "FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS e "
        f"WHERE t.id = ANY(CAST(:ids AS uuid[])) AND t.id = {sql_reader(table.c.id, 'e')}")


def _refused(batch: _Batch, mutation: Mutation, error: DBAPIError) -> PushResult:
    reason, detail = _refusal(error)
    table = synced(mutation.table).table
    current = batch.connection.execute(
        select(table).where(table.c.id == mutation.row_id)).mappings().first()
    return _conflict(batch, mutation, current, reason, detail)


def _is_refusal(error: DBAPIError) -> bool:
    """A rule said no, and would say it again (a constraint, a trigger, row security): the
    change becomes a conflict. Anything else passes and fails only this round."""
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return sqlstate.startswith("23") or sqlstate == "42501"


def _refusal(error: DBAPIError) -> tuple[str, str]:
    """Why the server refused a change: a reason and a detail naming only the rule (never a
    value: a unique key's message would quote the patient's data)."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or ""
    diag = getattr(original, "diag", None)
    constraint = getattr(diag, "constraint_name", None) if diag is not None else None
    primary = str(getattr(diag, "message_primary", "") or "") if diag is not None else ""
    if sqlstate == "23P01":
        return "double_booking", "the provider or room is taken then"
    if sqlstate == "42501" and "signed" in primary:
        return "signed", "the record is signed and read-only"
    rule = f"constraint {constraint}" if constraint else f"SQLSTATE {sqlstate or 'unknown'}"
    return "refused", f"the server refused the change ({rule})"


def _conflict(batch: _Batch, mutation: Mutation, current: Mapping[str, Any] | None,
              reason: str, detail: str | None) -> PushResult:
    """Keep the change aside in ``sync_conflicts``; log the row as the server has it."""
    synced_table = synced(mutation.table)
    fields = [name for name in mutation.values if name not in BOOKKEEPING] or list(
        mutation.values)

    def wire(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if values is None:
            return None
        return encode_row(synced_table.table, {name: values.get(name) for name in fields})

    conflict_id = new_id()
    now = utcnow()
    conflict = {
        "id": conflict_id, "clinic_id": batch.clinic_id, "table_name": mutation.table,
        "row_id": mutation.row_id, "mutation_id": mutation.mutation_id,
        "operation": mutation.operation, "origin_workstation_id": batch.workstation_id,
        "reason": reason, "detail": detail,
        "base_values": wire(mutation.base), "local_values": wire(mutation.values),
        "server_values": wire(current), "resolved_at": None, "resolved_by": None,
        "resolution": None, "created_at": now, "updated_at": now,
        "created_by": mutation.values.get("updated_by"),
        "updated_by": mutation.values.get("updated_by"), "version": 1, "deleted_at": None}
    batch.connection.execute(insert(_CONFLICTS), [conflict])
    seq = batch.logged(_CONFLICTS, conflict)
    if current is not None:
        seq = batch.logged(synced_table.table, current)
    return batch.settle(mutation, "conflict", seq, conflict_id, absent=current is None)


def read_changes(connection: Connection, *, clinic_id: uuid.UUID, after: int, limit: int,
                 skip: Sequence[tuple[int, int]] = ()
                 ) -> list[tuple[int, str, uuid.UUID, dict[str, Any]]]:
    """The clinic's changes numbered after ``after``, oldest first, but for the runs of
    numbers in ``skip`` (first, last): (seq, table, row id, the row in wire form)."""
    for first, last in skip:  # a run right after ``after``: read from its end
        if first <= after + 1 <= last:
            after = last
    skip = [(first, last) for first, last in skip if last > after]
    rows = connection.execute(text(
        "SELECT server_seq, table_name, row_id, row_data::text AS row_data "
        "FROM medtrack_server.changes AS c WHERE clinic_id = :clinic_id AND server_seq > :after "
        "AND NOT EXISTS (SELECT FROM unnest(CAST(:firsts AS bigint[]), CAST(:lasts AS bigint[])) "
        "AS own (first_seq, last_seq) WHERE c.server_seq BETWEEN own.first_seq AND own.last_seq) "
        "ORDER BY server_seq LIMIT :limit"),
        {"clinic_id": clinic_id, "after": after, "limit": limit,
         "firsts": [first for first, _ in skip], "lasts": [last for _, last in skip]}).all()
    return [(row.server_seq, row.table_name, row.row_id,
             parse_row(synced(row.table_name).table, row.row_data)) for row in rows]


def last_seq(connection: Connection, clinic_id: uuid.UUID) -> int:
    return int(connection.execute(text(
        "SELECT coalesce(max(server_seq), 0) FROM medtrack_server.changes "
        "WHERE clinic_id = :clinic_id"), {"clinic_id": clinic_id}).scalar_one())
