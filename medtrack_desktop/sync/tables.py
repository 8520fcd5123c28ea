"""Which tables sync, and how (declared on the tables, never in sync code).

A table joins sync both ways when it is a clinic's versioned row: it has ``version`` and
``clinic_id`` (or it is ``clinics`` itself). Anything else stays local: a table without a
version (``patient_search_terms`` is derived from the patients and rebuilt when they arrive;
the audit log travels up on its own chain, ``sync.audit``), and the workstation's own tables.

A table may declare in its ``info``:

- ``"sync": False`` — never synced although it looks like a clinic row;
- ``"sync_last_writer_wins": (columns…)`` — fields that never conflict: the last change pushed
  wins (a user's last log-in time, the failed attempts counter);
- ``"derived_from_synced": True`` — a local table made from synced rows (the patients' search
  terms): its rows go with a row the server refused (``outbox.drop_local_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Column, LargeBinary, MetaData, Table

from medtrack_desktop.domain.models import metadata as _metadata

#: Set by whoever writes the change, not merged: the server stamps them on every change.
BOOKKEEPING = frozenset({"version", "updated_at", "updated_by"})


@dataclass(frozen=True)
class SyncedTable:
    table: Table
    last_writer_wins: frozenset[str]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def clinic_column(self) -> Column[object]:
        """The column naming the row's clinic (``clinics.id`` for a clinic)."""
        return self.table.c.id if self.name == "clinics" else self.table.c.clinic_id

    @property
    def columns(self) -> tuple[Column[object], ...]:
        return tuple(self.table.columns)

    def is_blob(self, column: str) -> bool:
        return isinstance(self.table.c[column].type, LargeBinary)


def _is_synced(table: Table) -> bool:
    declared = table.info.get("sync")
    if declared is not None:
        return bool(declared)
    names = set(table.c.keys())
    return "version" in names and ("clinic_id" in names or table.name == "clinics")


def synced_tables(metadata: MetaData = _metadata) -> tuple[SyncedTable, ...]:
    """Every synced table, parents before children (foreign-key order)."""
    return tuple(
        SyncedTable(table, frozenset(table.info.get("sync_last_writer_wins", ())))
        for table in metadata.sorted_tables if _is_synced(table))


@cache
def by_name() -> dict[str, SyncedTable]:
    return {synced.name: synced for synced in synced_tables()}


def synced(name: str) -> SyncedTable:
    """The synced table ``name``; KeyError for a table that does not sync (never trusted from
    the wire: a name read from the server or the outbox is looked up here first)."""
    return by_name()[name]
