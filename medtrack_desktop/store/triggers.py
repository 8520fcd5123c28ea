"""Database triggers that make a table append-only, or a signed record and what it contains
read-only, for SQLite and PostgreSQL alike.

Used from migrations (the audit log, signatures, signed encounters). SQLite batch migrations rebuild
a table and lose its triggers, so a migration that rebuilds such a table must create them again.

**Re-filing.** Merging a duplicate patient moves its signed notes to the surviving record: the
chart locks (and ``create_append_only(..., refiled=True)``) let an UPDATE through that changes
nothing but ``REFILING_COLUMNS``. The content is untouched, and the signature still proves what
was signed: its hash covers the patient at signing, which verification finds through the merge
record (``chart.signing``); a signed note moved by hand to any other patient fails verification.
On SQLite the exception is an ``UPDATE OF`` column list read from the table when the trigger is
made, so a migration that adds a column to a locked table makes its triggers again (a test
updates every column of every locked table).
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect

REFILING_COLUMNS = ("patient_id", "version", "updated_at", "updated_by")
_PG_REFILING = f"""
CREATE OR REPLACE FUNCTION medtrack_refiling(old jsonb, new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (old - ARRAY[{", ".join(f"'{c}'" for c in REFILING_COLUMNS)}])
         = (new - ARRAY[{", ".join(f"'{c}'" for c in REFILING_COLUMNS)}])
$$
"""
_REFILED = "TG_OP = 'UPDATE' AND medtrack_refiling(to_jsonb(OLD), to_jsonb(NEW))"


def _guarded_columns(connection: Connection, table: str) -> str:
    """``UPDATE OF`` list of a SQLite trigger that lets re-filing through: every column of
    ``table`` but ``REFILING_COLUMNS``."""
    return ", ".join(column["name"] for column in inspect(connection).get_columns(table)
                     if column["name"] not in REFILING_COLUMNS)

# No percent sign anywhere in this SQL: psycopg would read it as a parameter placeholder.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION medtrack_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$
"""


def create_append_only(connection: Connection, table: str, *, refiled: bool = False) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on ``table``; with ``refiled``, an
    UPDATE that only re-files the row under another patient goes through (see module doc)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_FUNCTION)
        connection.exec_driver_sql(_PG_REFILING)
        connection.exec_driver_sql(_PG_REFUSE_UNLESS_REFILED)
        function = "medtrack_refuse_unless_refiled" if refiled else "medtrack_refuse_change"
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION medtrack_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        columns = (f" OF {_guarded_columns(connection, table)}"
                   if refiled and operation == "UPDATE" else "")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation}{columns} "
            f"ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} "
            "refused'); END"
        )


def drop_append_only(connection: Connection, table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    for operation in ("update", "delete"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


_PG_REFUSE_UNLESS_REFILED = f"""
CREATE OR REPLACE FUNCTION medtrack_refuse_unless_refiled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_REFILED} THEN RETURN NEW; END IF;
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$
"""

_SIGNED = "'signed'"
_PG_LOCK_SIGNED = f"""
CREATE OR REPLACE FUNCTION medtrack_lock_signed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = {_SIGNED} AND NOT ({_REFILED}) THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ': a signed record is read-only (' || TG_OP || ' refused)',
            ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$
"""
_PG_LOCK_WITH_ENCOUNTER = f"""
CREATE OR REPLACE FUNCTION medtrack_lock_with_encounter() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_REFILED} THEN RETURN NEW; END IF;
    IF (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM encounters
                                      WHERE id = OLD.encounter_id AND status = {_SIGNED}))
       OR (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM encounters
                                         WHERE id = NEW.encounter_id AND status = {_SIGNED}))
    THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ': the encounter is signed (' || TG_OP || ' refused)',
            ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$
"""


def create_signed_lock(connection: Connection, table: str) -> None:
    """Refuse UPDATE and DELETE of a row of ``table`` whose ``status`` is 'signed' (and
    TRUNCATE on PostgreSQL), re-filing aside. Signing itself is an update of a row not yet
    signed."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_REFILING)
        connection.exec_driver_sql(_PG_LOCK_SIGNED)
        connection.exec_driver_sql(_PG_FUNCTION)
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_signed_lock BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION medtrack_lock_signed()")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION medtrack_refuse_change()")
        return
    for operation in ("UPDATE", "DELETE"):
        columns = f" OF {_guarded_columns(connection, table)}" if operation == "UPDATE" else ""
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_signed_no_{operation.lower()} BEFORE {operation}{columns} "
            f"ON {table} WHEN OLD.status = {_SIGNED} BEGIN SELECT RAISE(ABORT, "
            f"'{table}: a signed record is read-only ({operation} refused)'); END")


def create_encounter_lock(connection: Connection, table: str) -> None:
    """Refuse INSERT, UPDATE and DELETE of a row of ``table`` whose ``encounter_id`` names a
    signed encounter (before or after an update: nothing moves in or out of one), re-filing
    aside."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_REFILING)
        connection.exec_driver_sql(_PG_LOCK_WITH_ENCOUNTER)
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_encounter_lock BEFORE INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION medtrack_lock_with_encounter()")
        return
    signed = "(SELECT status FROM encounters WHERE id = {row}.encounter_id) = " + _SIGNED
    rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
    for operation, sides in rows.items():
        when = " OR ".join(signed.format(row=side) for side in sides)
        columns = f" OF {_guarded_columns(connection, table)}" if operation == "UPDATE" else ""
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_encounter_no_{operation.lower()} BEFORE {operation}"
            f"{columns} ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, "
            f"'{table}: the encounter is signed ({operation} refused)'); END")


def drop_lock_functions(connection: Connection) -> None:
    """Drop the PostgreSQL functions of the signed-record locks and of re-filing (a downgrade,
    once the tables that used them are gone); ``medtrack_refuse_change`` is the audit log's."""
    if connection.dialect.name != "postgresql":
        return
    for function in ("medtrack_lock_signed()", "medtrack_lock_with_encounter()",
                     "medtrack_refuse_unless_refiled()", "medtrack_refiling(jsonb, jsonb)"):
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}")


def _holding(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{status}'" for status in statuses)


def _overlapping(row: str, column: str, statuses: tuple[str, ...], slack: str,
                 moment: str = "{}") -> str:
    """SQL: another live, holding, not overbooked appointment on ``row``'s ``column`` (the
    provider or the room) whose time overlaps ``row``'s. ``slack`` is the earliest start that
    can still overlap (the longest appointment before ``row``'s start), so an index on
    (column, starts_at) reads a short range; ``moment`` wraps a time for the exact comparison
    (SQLite compares times as text, and a time written by hand may lack the microseconds)."""
    at = moment.format
    return (f"EXISTS (SELECT 1 FROM appointments other WHERE other.{column} = {row}.{column} "
            f"AND other.id <> {row}.id AND other.deleted_at IS NULL "
            f"AND other.status IN ({_holding(statuses)}) AND NOT other.overbooked "
            f"AND other.starts_at > {slack} AND other.starts_at <= {row}.ends_at "
            f"AND {at('other.starts_at')} < {at(row + '.ends_at')} "
            f"AND {at('other.ends_at')} > {at(row + '.starts_at')})")


def create_no_double_booking(connection: Connection, *, statuses: tuple[str, ...],
                             max_minutes: int) -> None:
    """Refuse an appointment (inserted, or updated into place) that holds its slot
    (``statuses``) while another one of the same provider or room does, at overlapping
    times; an appointment booked as ``overbooked`` is let through, and others through it.
    On PostgreSQL the check runs under a transaction lock per provider and per room, so two
    workstations booking the same slot at once cannot both pass it."""
    message = "appointments: double booking refused (the provider or room is taken then)"
    if connection.dialect.name == "postgresql":
        slack = f"NEW.starts_at - interval '{max_minutes} minutes'"
        connection.exec_driver_sql(f"""
CREATE OR REPLACE FUNCTION medtrack_no_double_booking() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL OR NEW.overbooked
       OR NEW.status NOT IN ({_holding(statuses)}) THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('appointments:' || NEW.provider_id, 0));
    IF NEW.room_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('appointments:' || NEW.room_id, 0));
    END IF;
    IF {_overlapping("NEW", "provider_id", statuses, slack)}
       OR (NEW.room_id IS NOT NULL AND {_overlapping("NEW", "room_id", statuses, slack)}) THEN
        RAISE EXCEPTION USING MESSAGE = '{message}', ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END
$$""")
        connection.exec_driver_sql(
            "CREATE TRIGGER appointments_no_double_booking BEFORE INSERT OR UPDATE "
            "ON appointments FOR EACH ROW EXECUTE FUNCTION medtrack_no_double_booking()")
        return
    slack = f"datetime(NEW.starts_at, '-{max_minutes} minutes', '-1 minutes')"
    by_provider = _overlapping("NEW", "provider_id", statuses, slack, "julianday({})")
    by_room = _overlapping("NEW", "room_id", statuses, slack, "julianday({})")
    when = (f"NEW.deleted_at IS NULL AND NOT NEW.overbooked "
            f"AND NEW.status IN ({_holding(statuses)}) "
            f"AND ({by_provider} OR (NEW.room_id IS NOT NULL AND {by_room}))")
    for operation in ("INSERT", "UPDATE"):
        connection.exec_driver_sql(
            f"CREATE TRIGGER appointments_no_double_booking_{operation.lower()} "
            f"BEFORE {operation} ON appointments WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def drop_no_double_booking(connection: Connection) -> None:
    """Drop the PostgreSQL function of ``create_no_double_booking`` (its table is gone)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS medtrack_no_double_booking()")
