"""Change capture on a workstation: SQLite triggers write the outbox in the change's own
transaction, for every synced table and whatever wrote the row (ORM, Core, a bulk import, a
merge).

Each trigger lists the table's columns as the database has them; ``install_capture`` runs after
every migration (``migrations/env.py``) and remakes a table's triggers when their SQL no longer
matches, so a column a migration adds is captured from then on. Rows a pull applies are not
captured: the triggers stay silent while ``sync_state.applying`` is set, which only the pull's
own transaction ever sees. Rows are never deleted by the app (tombstones), so there is no
delete trigger; a hard DELETE of a synced row would not sync.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, inspect

from medtrack_desktop.sync.tables import synced_tables
from medtrack_desktop.sync.wire import UNCHANGED_BLOB

_PREFIX = "sync_capture_"
_BODY = re.compile(r"\sBEGIN\s", re.IGNORECASE)
_WHEN = re.compile(r"\sWHEN\s", re.IGNORECASE)
_SILENT = "NOT EXISTS (SELECT 1 FROM sync_state WHERE applying)"
_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def _values(columns: list[tuple[str, bool]], row: str, other: str | None) -> str:
    """SQL: ``json_object`` of ``row``'s columns; a BLOB as hex, or ``"="`` when ``other``
    (the other side of an update) holds the same bytes."""
    parts = []
    for name, is_blob in columns:
        value = f"{row}.{name}"
        if is_blob:
            value = f"CASE WHEN {value} IS NULL THEN NULL ELSE hex({value}) END"
            if other is not None:
                value = (f"CASE WHEN {row}.{name} IS {other}.{name} THEN '{UNCHANGED_BLOB}' "
                         f"ELSE {value} END")
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"


def _trigger(table: str, columns: list[tuple[str, bool]], operation: str) -> str:
    if operation == "insert":
        base, old, new = "NULL", "NULL", _values(columns, "NEW", None)
        event = "INSERT"
    else:
        base, old, new = "OLD.version", _values(columns, "OLD", "NEW"), _values(
            columns, "NEW", "OLD")
        event = "UPDATE"
    return (
        f"CREATE TRIGGER {_PREFIX}{operation}_{table} AFTER {event} ON {table} "
        f"WHEN {_SILENT} BEGIN "
        "INSERT INTO sync_outbox (mutation_id, table_name, row_id, operation, base_version, "
        "old_values, new_values, schema_revision, created_at) VALUES ("
        f"lower(hex(randomblob(16))), '{table}', NEW.id, '{operation}', {base}, {old}, {new}, "
        f"(SELECT version_num FROM alembic_version), {_NOW}); END")


def expected_triggers(connection: Connection) -> dict[str, str]:
    """Trigger name -> the SQL that makes it, for every synced table the database has."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    triggers = {}
    for synced in synced_tables():
        if synced.name not in present:
            continue
        columns = [(column["name"], str(column["type"]).upper() == "BLOB")
                   for column in inspector.get_columns(synced.name)]
        for operation in ("insert", "update"):
            triggers[f"{_PREFIX}{operation}_{synced.name}"] = _trigger(
                synced.name, columns, operation)
    return triggers


def install_capture(connection: Connection) -> None:
    """Make (or remake) the capture triggers of a workstation database; other engines have
    none (the server's changes are logged by the push itself)."""
    if connection.dialect.name != "sqlite":
        return
    existing = _existing(connection)
    wanted = expected_triggers(connection)
    for name, sql in existing.items():
        if wanted.get(name) != sql:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
    for name, sql in wanted.items():
        if existing.get(name) != sql:
            connection.exec_driver_sql(sql)
    _silence_guards(connection)
    if connection.exec_driver_sql("SELECT count(*) FROM sync_state").scalar_one() == 0:
        connection.exec_driver_sql(
            "INSERT INTO sync_state (id, pulled_seq, audit_pushed_seq, applying) "
            "VALUES (1, 0, 0, 0)")


def silenced(sql: str) -> str:
    """A trigger's SQL that fires only outside a pull: ``WHEN <silent> AND (<its own WHEN>)``."""
    body = _BODY.search(sql)
    if body is None or _SILENT in sql[:body.start()]:
        return sql
    header, rest = sql[:body.start()], sql[body.start():]
    when = _WHEN.search(header)
    if when is None:
        return f"{header} WHEN {_SILENT}{rest}"
    return f"{header[:when.end()]}{_SILENT} AND ({header[when.end():]}){rest}"


def _silence_guards(connection: Connection) -> None:
    """The guard triggers of synced tables (append-only, signed records, double booking) stay
    silent while a pull applies what the server already held to the same rules."""
    names = {synced.name for synced in synced_tables()}
    rows = connection.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, table, sql in rows:
        if str(name).startswith(_PREFIX) or table not in names or silenced(sql) == sql:
            continue
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
        connection.exec_driver_sql(silenced(sql))


def drop_capture(connection: Connection) -> None:
    """Drop the capture triggers and give the guard triggers back their own conditions."""
    if connection.dialect.name != "sqlite":
        return
    for name in _existing(connection):
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all():
        if _SILENT in sql:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
            connection.exec_driver_sql(_unsilenced(sql))


def _unsilenced(sql: str) -> str:
    if f"{_SILENT} AND (" in sql:
        body = _BODY.search(sql)
        assert body is not None
        header, rest = sql[:body.start()], sql[body.start():]
        header = header.replace(f"{_SILENT} AND (", "", 1)
        return header[:-1] + rest if header.endswith(")") else header + rest
    return sql.replace(f" WHEN {_SILENT}", "", 1)


def _existing(connection: Connection) -> dict[str, str]:
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    return {str(name): str(sql) for name, sql in rows if str(name).startswith(_PREFIX)}
