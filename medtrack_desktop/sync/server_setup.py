"""Setting up the clinic's PostgreSQL server: the workstations' roles, their grants and the
row-level security that keeps each workstation inside its clinic.

**Roles.** One group role per database, ``<database>_workstation`` (NOLOGIN), holds every grant;
each workstation gets a LOGIN role of its own, ``<database>_ws_<name>``, member of the group and
mapped to one clinic in ``medtrack_server.workstations`` (migration 0010). Names carry the
database so two clinic databases on one PostgreSQL never share a login. The group alone may
connect to the database (CONNECT is taken from PUBLIC).

**Grants (least needed).** Every table with a ``clinic_id``, and every table that hangs from one
by a foreign key (``patient_search_terms``): SELECT, INSERT, UPDATE — never DELETE (records are
retired by ``deleted_at`` and synced as tombstones) and never TRUNCATE, REFERENCES or TRIGGER.
An append-only table (its trigger refuses every UPDATE: the audit log) gets SELECT and INSERT
only. ``clinics``: SELECT and UPDATE of the connected workstation's own clinic (it is registered
here, by ``register_clinic``). ``alembic_version``: SELECT (the sync handshake compares
revisions). Anything else — ``local_settings`` (a workstation's own seat and keys), the schema
``medtrack_server`` — nothing; only ``workstation_clinic_ids()`` may be called. A table a later
migration adds is shut to workstations until ``server init`` runs again (fail closed).

**Row-level security.** ENABLEd on every shared table with one policy ``medtrack_clinic`` for
all commands: USING ``clinic_id IN (SELECT medtrack_server.workstation_clinic_ids())`` — rows of
other clinics are invisible — and WITH CHECK the same, and every single-column foreign key to a
shared table naming a row the login sees: an INSERT or UPDATE that would put a row into another
clinic, or point a row at another clinic's patient (which a foreign key check alone allows),
fails (a reference within one table, ``patients.merged_into_id``, is not checked: a policy may
not read its own table). A child table without ``clinic_id`` asks for its parent row, which the
parent's own policy already filters. Not FORCEd: FORCE would subject the tables' owner (the
administrator who migrates and sets up) to the policies; workstations own nothing, cannot ALTER
a table, and have no BYPASSRLS.

No function here prints or logs a password; ``add_workstation`` returns it once to its caller.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from medtrack_desktop import __version__
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.migrate import upgrade

POLICY = "medtrack_clinic"
CLINIC_IDS = "medtrack_server.workstation_clinic_ids()"
_IN_CLINIC = f"IN (SELECT {CLINIC_IDS})"
#: The sync protocol's own tables (migration 0011): what a workstation may do with them.
_SYNC_TABLES = {
    "changes": ("SELECT, INSERT", f"clinic_id {_IN_CLINIC}"),
    "ledger": ("SELECT, INSERT",
               f"clinic_id {_IN_CLINIC} AND workstation_role = session_user"),
    "audit_anchors": ("SELECT, INSERT", f"clinic_id {_IN_CLINIC}"),
}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")
_MAX_IDENTIFIER = 63
_PASSWORD_BYTES = 32


class ServerSetupError(ValueError):
    """The clinic server cannot be set up as asked; the message says why (never a secret)."""


@dataclass(frozen=True)
class ServerSetup:
    """What ``prepare_server`` left in place."""

    database: str
    group_role: str
    shared_tables: tuple[str, ...]
    append_only_tables: tuple[str, ...]
    private_tables: tuple[str, ...]
    clinic_id: uuid.UUID | None
    clinic_created: bool


@dataclass(frozen=True)
class WorkstationLogin:
    """A workstation's connection settings; ``password`` exists only in this value."""

    name: str
    role: str
    clinic_id: uuid.UUID
    host: str | None
    port: int | None
    database: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class WorkstationEntry:
    name: str
    role: str
    clinic_id: uuid.UUID
    created_at: datetime
    revoked_at: datetime | None


# -- names ------------------------------------------------------------------------------------


def quote(identifier: str) -> str:
    """A PostgreSQL identifier, double-quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _database(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SELECT current_database()").scalar_one())


def _role_prefix(database: str) -> str:
    prefix = re.sub(r"[^a-z0-9_]", "_", database.lower())
    return prefix[:_MAX_IDENTIFIER - len("_workstation")]


def group_role_name(database: str) -> str:
    return f"{_role_prefix(database)}_workstation"


def workstation_name(name: str) -> str:
    """A workstation's name as its role spells it: lower case, ``-`` as ``_``, 1 to 30 of
    letters, digits and ``_``, starting with a letter."""
    cleaned = name.strip().lower().replace("-", "_")
    if not _NAME.fullmatch(cleaned):
        raise ServerSetupError(
            f"{name!r} is not a workstation name: use 1 to 30 letters, digits, '-' or '_', "
            "starting with a letter.")
    return cleaned


def login_role_name(database: str, name: str) -> str:
    role = f"{_role_prefix(database)}_ws_{workstation_name(name)}"
    if len(role) > _MAX_IDENTIFIER:
        raise ServerSetupError(f"The workstation name {name!r} is too long for this database.")
    return role


def _require_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise ServerSetupError("The clinic server must be PostgreSQL.")


# -- init -------------------------------------------------------------------------------------


def prepare_server(engine: Engine, *, clinic_name: str | None = None,
                   timezone: str = "America/Chicago") -> ServerSetup:
    """Migrate to head, then make (or bring up to date) the group role, its grants and the
    row-level security, and register ``clinic_name`` if given. Safe to run again: it converges
    on the same state, and an existing clinic of that name is kept."""
    _require_postgresql(engine)
    upgrade(engine)
    with engine.begin() as connection:
        database = _database(connection)
        group = group_role_name(database)
        _ensure_role(connection, group, login=False)
        shared, append_only, private = _secure_tables(connection, group)
        _secure_database(connection, database, group)
    clinic_id, created = (None, False)
    if clinic_name is not None:
        clinic_id, created = register_clinic(engine, clinic_name, timezone=timezone)
    return ServerSetup(database, group, shared, append_only, private, clinic_id, created)


def register_clinic(engine: Engine, name: str, *,
                    timezone: str = "America/Chicago") -> tuple[uuid.UUID, bool]:
    """The clinic of this name: (its id, whether it was made now)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ServerSetupError("The clinic needs a name of 1 to 200 characters.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServerSetupError(f"Unknown time zone {timezone!r}; use an IANA name.") from None
    with Session(engine) as session, session.begin():
        existing = session.scalars(select(Clinic.id).where(Clinic.name == name)).all()
        if len(existing) > 1:
            raise ServerSetupError(
                f"{len(existing)} clinics are named {name!r}; use the clinic's id.")
        if existing:
            return existing[0], False
        clinic = Clinic(name=name, timezone=timezone)
        session.add(clinic)
        session.flush()
        return clinic.id, True


def adopt_clinic(engine: Engine, clinic: Mapping[str, Any]) -> bool:
    """Register a clinic a workstation made, with its row as that workstation holds it (same
    id), so that the workstation's first push brings the rest of the clinic. False when the
    server has that clinic already (nothing changed)."""
    _require_postgresql(engine)
    table = Clinic.__table__
    with engine.begin() as connection:
        if connection.execute(select(table.c.id).where(table.c.id == clinic["id"])).first():
            return False
        if connection.execute(select(table.c.id).where(table.c.name == clinic["name"])).first():
            raise ServerSetupError(
                f"The server has another clinic named {clinic['name']!r}.")
        connection.execute(table.insert(), [dict(clinic)])
    return True


def _ensure_role(connection: Connection, role: str, *, login: bool) -> bool:
    """Make ``role`` unless it exists; True when made now."""
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}).first()
    if exists:
        return False
    connection.exec_driver_sql(
        f"CREATE ROLE {quote(role)} {'LOGIN' if login else 'NOLOGIN'} NOSUPERUSER NOCREATEDB "
        "NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT")
    return True


def _secure_database(connection: Connection, database: str, group: str) -> None:
    db, grp = quote(database), quote(group)
    for statement in (
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {grp}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {grp}",
        "REVOKE ALL ON SCHEMA medtrack_server FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA medtrack_server TO {grp}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA medtrack_server FROM {grp}",
        f"REVOKE ALL ON FUNCTION {CLINIC_IDS} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {CLINIC_IDS} TO {grp}",
        f"GRANT SELECT ON medtrack_server.server_info TO {grp}",
    ):
        connection.exec_driver_sql(statement)
    for table, (privileges, using) in _SYNC_TABLES.items():
        name = f"medtrack_server.{table}"
        connection.exec_driver_sql(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {name}")
        connection.exec_driver_sql(
            f"CREATE POLICY {POLICY} ON {name} FOR ALL TO PUBLIC "
            f"USING ({using}) WITH CHECK ({using})")
        connection.exec_driver_sql(f"GRANT {privileges} ON {name} TO {grp}")
    connection.exec_driver_sql(
        "INSERT INTO medtrack_server.server_info (key, value) VALUES ('app_version', "
        "%(version)s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        {"version": __version__})


def _columns(connection: Connection) -> dict[str, set[str]]:
    rows = connection.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public'").all()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    base = set(connection.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars())
    return {table: columns for table, columns in tables.items() if table in base}


def _parents(connection: Connection) -> dict[str, list[tuple[str, str, str]]]:
    """Single-column foreign keys: table -> [(column, parent table, parent column)]."""
    rows = connection.exec_driver_sql("""
        SELECT child.relname, a.attname, parent.relname, pa.attname
        FROM pg_constraint c
        JOIN pg_class child ON child.oid = c.conrelid
        JOIN pg_class parent ON parent.oid = c.confrelid
        JOIN pg_namespace n ON n.oid = child.relnamespace AND n.nspname = 'public'
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
        ORDER BY child.relname, a.attname""").all()
    parents: dict[str, list[tuple[str, str, str]]] = {}
    for child, column, parent, parent_column in rows:
        parents.setdefault(child, []).append((column, parent, parent_column))
    return parents


def _refusing_updates(connection: Connection) -> set[str]:
    """Tables with a trigger that refuses every UPDATE (tgtype bit 16 is UPDATE)."""
    return set(connection.exec_driver_sql("""
        SELECT c.relname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND p.proname = 'medtrack_refuse_change'
          AND (t.tgtype & 16) <> 0""").scalars())


def _visible(parent: str, parent_column: str, table: str, column: str) -> str:
    """SQL: ``table.column`` names a row of ``parent`` the connected login may see."""
    return (f"EXISTS (SELECT 1 FROM {quote(parent)} parent WHERE "
            f"parent.{quote(parent_column)} = {quote(table)}.{quote(column)})")


def _policies(connection: Connection, columns: dict[str, set[str]]
              ) -> dict[str, tuple[str, str]]:
    """Each shared table's policy: (USING, WITH CHECK). A written row must also point only at
    rows the login sees (its clinic's): a foreign key check alone would let a row of clinic A
    name a patient of clinic B."""
    using = {"clinics": f"id {_IN_CLINIC}"}
    for table, names in columns.items():
        if "clinic_id" in names:
            using[table] = f"clinic_id {_IN_CLINIC}"
    parents = _parents(connection)
    for table, links in parents.items():
        for column, parent, parent_column in links:
            if table in using:
                break
            if parent != "clinics" and "clinic_id" in columns.get(parent, set()):
                using[table] = _visible(parent, parent_column, table, column)
    policies = {}
    for table, expression in using.items():
        checks = [expression] + [
            f"({quote(column)} IS NULL OR {_visible(parent, parent_column, table, column)})"
            for column, parent, parent_column in parents.get(table, [])
            # not the table itself: PostgreSQL refuses a policy that reads its own table
            if parent in using and parent not in ("clinics", table) and column != "clinic_id"]
        policies[table] = (expression, " AND ".join(checks))
    return policies


def _secure_tables(connection: Connection, group: str
                   ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    columns = _columns(connection)
    policies = _policies(connection, columns)
    append_only = _refusing_updates(connection)
    grp = quote(group)
    connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {grp}")
    connection.exec_driver_sql("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    connection.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {grp}")
    for table, (expression, check) in sorted(policies.items()):
        name = quote(table)
        if table == "clinics":
            privileges = "SELECT, UPDATE"
        elif table in append_only:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE"
        connection.exec_driver_sql(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {name}")
        connection.exec_driver_sql(
            f"CREATE POLICY {POLICY} ON {name} FOR ALL TO PUBLIC "
            f"USING ({expression}) WITH CHECK ({check})")
        connection.exec_driver_sql(f"GRANT {privileges} ON {name} TO {grp}")
    if "alembic_version" in columns:
        connection.exec_driver_sql(f"GRANT SELECT ON alembic_version TO {grp}")
    private = sorted(set(columns) - set(policies) - {"alembic_version"})
    return (tuple(sorted(policies)), tuple(sorted(append_only & set(policies))),
            tuple(private))


# -- workstations -----------------------------------------------------------------------------


def add_workstation(engine: Engine, *, clinic_id: uuid.UUID, name: str) -> WorkstationLogin:
    """A new LOGIN role for workstation ``name`` of ``clinic_id``, with a random password
    (returned here and nowhere else; the server keeps only its SCRAM verifier)."""
    _require_postgresql(engine)
    name = workstation_name(name)
    password = secrets.token_urlsafe(_PASSWORD_BYTES)
    with engine.begin() as connection:
        database = _database(connection)
        group = group_role_name(database)
        if not connection.exec_driver_sql(
                "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": group}).first():
            raise ServerSetupError("This server is not set up; run 'server init' first.")
        if connection.exec_driver_sql("SELECT 1 FROM clinics WHERE id = %(id)s",
                                      {"id": clinic_id}).first() is None:
            raise ServerSetupError(f"There is no clinic {clinic_id} on this server.")
        role = login_role_name(database, name)
        known = connection.exec_driver_sql(
            "SELECT revoked_at FROM medtrack_server.workstations WHERE name = %(name)s",
            {"name": name}).first()
        if known is not None:
            state = "revoked" if known[0] is not None else "active"
            raise ServerSetupError(
                f"Workstation {name!r} already exists ({state}); give the new one another name.")
        if not _ensure_role(connection, role, login=True):
            raise ServerSetupError(f"A PostgreSQL role {role!r} already exists.")
        verifier = _scram_verifier(connection, role, password)
        connection.exec_driver_sql(
            f"ALTER ROLE {quote(role)} PASSWORD {_literal(verifier)} CONNECTION LIMIT 8")
        connection.exec_driver_sql(f"GRANT {quote(group)} TO {quote(role)}")
        connection.exec_driver_sql(
            "INSERT INTO medtrack_server.workstations (role_name, name, clinic_id) "
            "VALUES (%(role)s, %(name)s, %(clinic)s)",
            {"role": role, "name": name, "clinic": clinic_id})
    url = engine.url
    socket_dir = url.query.get("host")  # a Unix socket: postgresql://…/db?host=/run/postgresql
    host = url.host or (socket_dir if isinstance(socket_dir, str) else None)
    return WorkstationLogin(name, role, clinic_id, host, url.port, database, password)


def _scram_verifier(connection: Connection, role: str, password: str) -> str:
    """The password's SCRAM-SHA-256 verifier, computed by libpq on this side: the password
    itself never travels in a statement the server could log."""
    pgconn = connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    return bytes(pgconn.encrypt_password(password.encode(), role.encode(),
                                         b"scram-sha-256")).decode()


def revoke_workstation(engine: Engine, name: str) -> int | None:
    """Shut workstation ``name`` out: NOLOGIN, no password, out of the group, marked revoked
    (its policies see no clinic any more), and its open sessions ended. Returns how many
    sessions were ended (None when this administrator may not end them)."""
    _require_postgresql(engine)
    name = workstation_name(name)
    with engine.begin() as connection:
        row = connection.exec_driver_sql(
            "SELECT role_name FROM medtrack_server.workstations WHERE name = %(name)s "
            "FOR UPDATE", {"name": name}).first()
        if row is None:
            raise ServerSetupError(f"There is no workstation {name!r} on this server.")
        role = str(row[0])
        group = group_role_name(_database(connection))
        connection.exec_driver_sql(
            "UPDATE medtrack_server.workstations SET revoked_at = coalesce(revoked_at, now()) "
            "WHERE role_name = %(role)s", {"role": role})
        if connection.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(role)s",
                                      {"role": role}).first():
            connection.exec_driver_sql(f"ALTER ROLE {quote(role)} NOLOGIN PASSWORD NULL")
            connection.exec_driver_sql(f"REVOKE {quote(group)} FROM {quote(role)}")
    return end_sessions(engine, role)


def end_sessions(engine: Engine, role: str) -> int | None:
    """End ``role``'s open sessions: how many, or None when this administrator may not (no
    pg_signal_backend). A revoked login's sessions left open can read and write nothing: it
    is out of the group that holds the grants, and its clinic is gone from the policies."""
    try:
        with engine.begin() as connection:
            ended = connection.exec_driver_sql(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                "FROM pg_stat_activity WHERE usename = %(role)s", {"role": role}).scalar_one()
    except DBAPIError:
        return None
    return int(ended)


def list_workstations(engine: Engine) -> list[WorkstationEntry]:
    _require_postgresql(engine)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name, role_name, clinic_id, created_at, revoked_at "
            "FROM medtrack_server.workstations ORDER BY name").all()
    return [WorkstationEntry(str(name), str(role), clinic, created, revoked)
            for name, role, clinic, created, revoked in rows]


def row_security(engine: Engine) -> dict[str, tuple[bool, bool]]:
    """Every public table: (row level security enabled, forced)."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'").all()
    return {str(name): (bool(on), bool(forced)) for name, on, forced in rows}
