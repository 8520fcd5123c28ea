"""``insert_rows`` writes what a Core insert writes, byte for byte, on the real SQLCipher file
and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from medtrack_desktop.store.base import UtcDateTime
from medtrack_desktop.store.bulk import insert_rows
from medtrack_desktop.store.engine import Store

_METADATA = sa.MetaData()
_KINDS = sa.Table(
    "bulk_kinds", _METADATA,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("label", sa.String(200)),
    sa.Column("at", UtcDateTime),
    sa.Column("on", sa.Date),
    sa.Column("clock", sa.Time),
    sa.Column("flag", sa.Boolean),
    sa.Column("amount", sa.Numeric(12, 2)),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("doc", sa.JSON),
    sa.Column("count", sa.Integer),
)
_ROWS = [
    {"id": uuid.UUID(int=n), "label": label, "at": datetime(2026, 11, 27, 9, n, 5, 123456, UTC),
     "on": date(1970, 3, 4), "clock": time(23, 59, 59), "flag": n % 2 == 0,
     "amount": Decimal("1234567890.05"), "blob": bytes(range(256)), "doc": {"a": [n, None]},
     "count": n}
    for n, label in enumerate(["O'Brien", "Nguyễn 🩺", "x" * 200, "', NULL); --"])
] + [{column.name: None for column in _KINDS.columns} | {"id": uuid.UUID(int=99)}]


def _written(connection: sa.Connection, engine_name: str) -> list[tuple[object, ...]]:
    columns = ", ".join(f'"{column.name}"' for column in _KINDS.columns)
    return [tuple(row) for row in connection.exec_driver_sql(
        f"SELECT {columns} FROM bulk_kinds ORDER BY count, label")]


@pytest.mark.parametrize("engine_name", ["sqlcipher", "postgresql"])
def test_insert_rows_stores_what_a_core_insert_stores(
        engine_name: str, request: pytest.FixtureRequest) -> None:
    store: Store = request.getfixturevalue("store" if engine_name == "sqlcipher" else "pg_store")
    _METADATA.create_all(store.engine)
    with store.engine.begin() as connection:
        insert_rows(connection, _KINDS, _ROWS)
        bulk = _written(connection, engine_name)
        connection.execute(sa.delete(_KINDS))
        connection.execute(sa.insert(_KINDS), _ROWS)
        core = _written(connection, engine_name)
        read_back = [dict(row) for row in connection.execute(
            sa.select(_KINDS).order_by(_KINDS.c.id)).mappings()]

    assert bulk == core and len(bulk) == len(_ROWS)
    assert read_back[:4] == sorted(_ROWS[:4], key=lambda row: row["id"])


def test_no_rows_is_nothing_to_do(store: Store) -> None:
    _METADATA.create_all(store.engine)
    with store.engine.begin() as connection:
        insert_rows(connection, _KINDS, [])
        assert connection.execute(sa.select(sa.func.count()).select_from(_KINDS)).scalar() == 0
