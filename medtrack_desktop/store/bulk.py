"""Inserting many rows at once. On SQLite the rows go straight to the driver's ``executemany``
in the form the database stores, made by the columns' own SQLAlchemy bind processors (the same
values a Core insert would write, without its per-row statement work, which costs more than the
insert itself); elsewhere a Core insert does it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import sqlite

_SQLITE = sqlite.dialect()


@cache
def _sqlite_insert(table: Table, names: tuple[str, ...]
                   ) -> tuple[str, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """The statement, and (position, bind processor) of each column whose value is converted."""
    quote = _SQLITE.identifier_preparer.quote
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
                 f"VALUES ({', '.join('?' for _ in names)})")
    writers = tuple(
        (position, writer) for position, name in enumerate(names)
        if (writer := table.c[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE)))
    return statement, writers


def insert_rows(connection: Connection, table: Table,
                rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (Python values, each with the first row's fields; no Python-side column
    defaults are applied) into ``table`` in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), list(rows))
        return
    names = tuple(rows[0])
    statement, writers = _sqlite_insert(table, names)
    stored = []
    for row in rows:
        values = [row[name] for name in names]
        for position, writer in writers:
            values[position] = writer(values[position])  # None too: JSON stores it as null
        stored.append(tuple(values))
    connection.exec_driver_sql(statement, stored)
