"""The clinic server's roles, grants and row-level security, tried with hand-written SQL by the
workstations' own logins on a real PostgreSQL (DESIGN §4-§5, issue 6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from server_data import ClinicServer, drop_roles
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from medtrack_desktop.domain.models import metadata
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync import server_setup
from medtrack_desktop.sync.server_setup import (
    ServerSetupError,
    add_workstation,
    group_role_name,
    list_workstations,
    prepare_server,
    revoke_workstation,
    row_security,
)

pytestmark = pytest.mark.postgres

# Where each clinic has rows after ``fill_clinic`` (the comparison below covers every table).
FILLED = ("patients", "appointments", "audit_log", "users", "user_roles", "roles",
          "workstations", "facilities", "appointment_categories", "weekly_availability",
          "patient_search_terms", "appointment_status_changes")


def _state(engine: sa.Engine) -> dict[str, Any]:
    """Everything ``prepare_server`` decides: roles, grants, policies, row security."""
    with engine.connect() as connection:
        database = connection.exec_driver_sql("SELECT current_database()").scalar_one()
        group = group_role_name(database)
        return {
            "roles": connection.exec_driver_sql(
                "SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles "
                "WHERE rolname LIKE %(p)s ORDER BY 1", {"p": f"{database}%"}).all(),
            "grants": connection.exec_driver_sql(
                "SELECT table_schema, table_name, privilege_type "
                "FROM information_schema.role_table_grants WHERE grantee IN (%(g)s, 'PUBLIC') "
                "ORDER BY 1, 2, 3", {"g": group}).all(),
            "policies": connection.exec_driver_sql(
                "SELECT tablename, policyname, cmd, roles::text, qual, with_check, schemaname "
                "FROM pg_policies ORDER BY 1, 2").all(),
            "security": row_security(engine),
            "database_acl": connection.exec_driver_sql(
                "SELECT datacl::text FROM pg_database WHERE datname = current_database()"
            ).scalar_one(),
            "clinics": connection.exec_driver_sql("SELECT id, name FROM clinics ORDER BY 1").all(),
        }


def _count(connection: sa.Connection, table: str, where: str = "") -> int:
    return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table} {where}").scalar_one())


def _clinic_rows(connection: sa.Connection, table: str, clinic: Any) -> int:
    """Rows of ``clinic`` in ``table`` (through the patient for the search terms)."""
    if table == "clinics":
        return _count(connection, table, f"WHERE id = '{clinic}'")
    if table == "patient_search_terms":
        return _count(connection, "patient_search_terms t JOIN patients p "
                      "ON p.id = t.patient_id", f"WHERE p.clinic_id = '{clinic}'")
    return _count(connection, table, f"WHERE clinic_id = '{clinic}'")


def _copied_into(table: str, clinic: Any) -> str:
    """INSERT of a copy of one of the workstation's own rows, with a new id, into ``clinic``."""
    return (f"INSERT INTO {table} SELECT (jsonb_populate_record(row, jsonb_build_object("
            f"'id', gen_random_uuid(), 'clinic_id', '{clinic}'))).* FROM {table} row LIMIT 1")


# -- init ---------------------------------------------------------------------------------------


def test_init_twice_changes_nothing_and_keeps_the_clinic(server_url: str) -> None:
    engine = open_server_engine(server_url)
    try:
        first = prepare_server(engine, clinic_name="Lakeside Family Practice")
        state = _state(engine)
        again = prepare_server(engine, clinic_name="Lakeside Family Practice")
        assert (first.clinic_created, again.clinic_created) == (True, False)
        assert again.clinic_id == first.clinic_id
        assert _state(engine) == state
        assert len(state["clinics"]) == 1
        assert state["roles"] == [(first.group_role, False, False)]
        # Shared: every clinic table and the search terms hanging from patients; the audit log
        # insert-only; the workstation's own settings and keys never.
        clinic_tables = {name for name, table in metadata.tables.items() if "clinic_id" in table.c}
        assert set(first.shared_tables) == clinic_tables | {"clinics", "patient_search_terms"}
        assert set(first.append_only_tables) >= {"audit_log"}
        assert first.private_tables == ("local_settings", "sync_outbox", "sync_own_changes",
                                    "sync_state")
        grants = {(table, privilege) for _, table, privilege in state["grants"]}
        assert ("audit_log", "INSERT") in grants
        assert {("audit_log", "UPDATE"), ("local_settings", "SELECT")} & grants == set()
        assert {privilege for _, privilege in grants} <= {"SELECT", "INSERT", "UPDATE"}
        policies = {(row[-1], row[0]) for row in state["policies"]}
        assert {table for schema, table in policies if schema == "public"} == set(
            first.shared_tables)
        # the sync protocol's tables, each kept to the login's clinic
        assert {table for schema, table in policies if schema == "medtrack_server"} == {
            "changes", "ledger", "audit_anchors"}
        assert {(table, privilege) for schema, table, privilege in state["grants"]
                if schema == "medtrack_server"} == {
            ("changes", "SELECT"), ("changes", "INSERT"), ("ledger", "SELECT"),
            ("ledger", "INSERT"), ("audit_anchors", "SELECT"), ("audit_anchors", "INSERT"),
            ("server_info", "SELECT")}
        for table in first.shared_tables:
            assert state["security"][table] == (True, False)  # enabled, not forced (owner)
    finally:
        engine.dispose()


def test_init_refuses_a_bad_clinic_and_add_workstation_needs_init(server_url: str) -> None:
    engine = open_server_engine(server_url)
    try:
        with pytest.raises(ServerSetupError, match="time zone"):
            prepare_server(engine, clinic_name="Somewhere", timezone="Mars/Base")
        with pytest.raises(ServerSetupError, match="needs a name"):
            prepare_server(engine, clinic_name="  ")
        clinic = prepare_server(engine, clinic_name="Clinic").clinic_id
        assert clinic is not None
        with pytest.raises(ServerSetupError, match="not a workstation name"):
            add_workstation(engine, clinic_id=clinic, name="front desk; DROP")
    finally:
        engine.dispose()


# -- a workstation reads its clinic only ------------------------------------------------------


def test_a_workstation_sees_every_row_of_its_clinic_and_none_of_the_other(
    clinic_server: ClinicServer, as_a: sa.Engine
) -> None:
    server = clinic_server
    setup = prepare_server(server.admin)  # again, now that the clinics are filled
    with server.admin.connect() as admin:
        expected = {table: _clinic_rows(admin, table, server.clinic_a)
                    for table in setup.shared_tables}
        theirs = {table: _clinic_rows(admin, table, server.clinic_b) for table in FILLED}
    assert all(theirs[table] > 0 for table in FILLED), theirs  # there is something to hide
    with as_a.connect() as connection:
        seen = {table: _count(connection, table) for table in setup.shared_tables}
        for table in ("patients", "appointments", "audit_log", "users"):
            assert _count(connection, table, f"WHERE clinic_id = '{server.clinic_b}'") == 0
        assert connection.exec_driver_sql("SELECT id FROM clinics").scalars().all() == [
            server.clinic_a]
        assert connection.exec_driver_sql(
            "SELECT medtrack_server.workstation_clinic_ids()").scalars().all() == [
            server.clinic_a]
    assert seen == expected
    assert all(seen[table] > 0 for table in FILLED)


def test_a_workstation_cannot_write_into_another_clinic(
    clinic_server: ClinicServer, as_a: sa.Engine
) -> None:
    server = clinic_server
    a, b = server.clinic_a, server.clinic_b
    with server.admin.connect() as admin:
        b_patient = admin.exec_driver_sql(
            f"SELECT id FROM patients WHERE clinic_id = '{b}' LIMIT 1").scalar_one()
        b_names = admin.exec_driver_sql("SELECT last_name FROM patients WHERE clinic_id = "
                                        f"'{b}' ORDER BY id").scalars().all()
    copy_facility = ("INSERT INTO facilities (id, clinic_id, name, address, phone, is_active, "
                     "created_at, updated_at, version) VALUES (gen_random_uuid(), '{clinic}', "
                     "'{name}', '', '', true, now(), now(), 1)")

    refused = {
        # WITH CHECK: a new row, or a row moved, into clinic B
        copy_facility.format(clinic=b, name="Smuggled"): "row-level security",
        f"UPDATE facilities SET clinic_id = '{b}' WHERE clinic_id = '{a}'": "row-level security",
        # ... or one of its own rows pointing at clinic B's patient
        f"UPDATE appointments SET patient_id = '{b_patient}' WHERE clinic_id = '{a}'":
            "row-level security",
        f"UPDATE appointment_status_changes SET patient_id = '{b_patient}' "
        f"WHERE clinic_id = '{a}'": "row-level security",
        _copied_into("audit_log", b): "row-level security",
        _copied_into("patients", b): "row-level security",
        # no such grant at all
        "DELETE FROM patients": "permission denied",
        "UPDATE audit_log SET action = 'forged'": "permission denied",
        "TRUNCATE patients": "permission denied",
        "SELECT * FROM local_settings": "permission denied",
        "SELECT * FROM medtrack_server.workstations": "permission denied",
        "INSERT INTO clinics (id, name) VALUES (gen_random_uuid(), 'Mine')": "permission denied",
    }
    for statement, error in refused.items():
        with pytest.raises(DBAPIError, match=error), as_a.begin() as connection:
            connection.exec_driver_sql(statement)

    with as_a.begin() as connection:
        # Rows of clinic B are not there to change: nothing happens.
        assert connection.exec_driver_sql(
            f"UPDATE patients SET last_name = 'Changed' WHERE clinic_id = '{b}'").rowcount == 0
        assert connection.exec_driver_sql(
            f"UPDATE patients SET last_name = 'Changed' WHERE id = '{b_patient}'").rowcount == 0
        assert connection.exec_driver_sql(
            f"UPDATE clinics SET name = 'Taken over' WHERE id = '{b}'").rowcount == 0
        # Its own clinic's rows it may read and write.
        connection.exec_driver_sql(copy_facility.format(clinic=a, name="Annex"))
        assert connection.exec_driver_sql(
            f"UPDATE patients SET last_name = last_name || '-Moved' WHERE clinic_id = '{a}'"
        ).rowcount == 2
        assert connection.exec_driver_sql(
            f"UPDATE appointments SET notes = 'Bring the list' WHERE clinic_id = '{a}'"
        ).rowcount == 1
        assert connection.exec_driver_sql(
            f"UPDATE facilities SET phone = '555-0100' WHERE clinic_id = '{a}'").rowcount == 2
        assert connection.exec_driver_sql(
            f"UPDATE clinics SET phone = '555-0199' WHERE id = '{a}'").rowcount == 1
    with server.admin.connect() as admin:
        assert admin.exec_driver_sql("SELECT last_name FROM patients WHERE clinic_id = "
                                     f"'{b}' ORDER BY id").scalars().all() == b_names
        assert admin.exec_driver_sql(
            "SELECT clinic_id, count(*) FROM facilities GROUP BY 1 ORDER BY 2").all() == [
            (b, 1), (a, 2)]
        assert admin.exec_driver_sql(
            "SELECT name, coalesce(phone, '') FROM clinics ORDER BY name").all() == [
            ("Clinic A", "555-0199"), ("Clinic B", "")]


def test_a_workstation_cannot_change_the_schema_or_lift_the_policies(
    clinic_server: ClinicServer, as_a: sa.Engine
) -> None:
    group = group_role_name(str(make_url(clinic_server.url).database))
    refused = {
        "ALTER TABLE patients DISABLE ROW LEVEL SECURITY": "must be owner",
        "ALTER TABLE patients NO FORCE ROW LEVEL SECURITY": "must be owner",
        "DROP POLICY medtrack_clinic ON patients": "must be owner",
        "ALTER TABLE patients ADD COLUMN x int": "must be owner",
        "DROP TABLE patients": "must be owner",
        "CREATE TABLE stash (x int)": "permission denied for schema public",
        "CREATE TEMP TABLE stash (x int)": "permission denied",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'":
            "permission denied for schema public",
        "ALTER ROLE CURRENT_USER BYPASSRLS": "permission denied",
        "GRANT SELECT ON local_settings TO CURRENT_USER": "permission denied|not permitted",
        "SET session_authorization = postgres": "permission denied",
    }
    for statement, error in refused.items():
        with pytest.raises(DBAPIError, match=error), as_a.begin() as connection:
            connection.exec_driver_sql(statement)
    # Taking the group's role changes nothing: the policies ask who logged in.
    with as_a.begin() as connection:
        connection.exec_driver_sql(f'SET ROLE "{group}"')
        assert connection.exec_driver_sql("SELECT count(*) FROM clinics").scalar_one() == 1
        assert connection.exec_driver_sql(
            f"SELECT count(*) FROM patients WHERE clinic_id = '{clinic_server.clinic_b}'"
        ).scalar_one() == 0


# -- logins -----------------------------------------------------------------------------------


def test_a_revoked_workstation_cannot_connect_and_its_sessions_end(
    clinic_server: ClinicServer, as_a: sa.Engine
) -> None:
    server = clinic_server
    open_session = as_a.connect()
    assert open_session.exec_driver_sql("SELECT count(*) FROM patients").scalar_one() == 2

    assert revoke_workstation(server.admin, "front-a") == 1
    with pytest.raises(DBAPIError):
        open_session.exec_driver_sql("SELECT count(*) FROM patients").scalar_one()
    open_session.invalidate()
    with pytest.raises(OperationalError, match="not permitted to log in"), as_a.connect():
        pass
    entries = {entry.name: entry for entry in list_workstations(server.admin)}
    assert entries["front_a"].revoked_at is not None
    assert entries["front_b"].revoked_at is None
    # Even were it let in again by hand, it belongs to no clinic and to no group any more.
    with server.admin.connect() as admin:
        assert admin.exec_driver_sql(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = %(role)s", {"role": server.login_a.role}).scalar_one() == 0
    # Revoking again is harmless; the name stays taken; the other clinic's login still works.
    assert revoke_workstation(server.admin, "front-a") == 0
    with pytest.raises(ServerSetupError, match="already exists"):
        add_workstation(server.admin, clinic_id=server.clinic_a, name="front-a")
    with pytest.raises(ServerSetupError, match="no workstation"):
        revoke_workstation(server.admin, "nobody")
    engine_b = sa.create_engine(make_url(server.login_url(server.login_b)).set(
        drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    try:
        with engine_b.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM patients").scalar_one() == 2
    finally:
        engine_b.dispose()


def test_a_login_is_no_superuser_and_its_password_is_kept_as_a_verifier_only(
    clinic_server: ClinicServer,
) -> None:
    server = clinic_server
    with server.admin.connect() as admin:
        role = admin.exec_driver_sql(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin, "
            "rolpassword FROM pg_authid WHERE rolname = %(r)s",
            {"r": server.login_a.role}).one()
    assert role[:5] == (False, False, False, False, True)
    assert role[5].startswith("SCRAM-SHA-256$")
    assert server.login_a.password not in role[5]
    assert len(server.login_a.password) >= 40
    assert server.login_a.password != server.login_b.password
    assert server.login_a.password not in repr(server.login_a)  # a log line shows no secret
    with pytest.raises(ServerSetupError, match="no clinic"):
        add_workstation(server.admin, clinic_id=uuid.uuid4(), name="ghost")


def test_a_login_of_another_database_on_the_same_server_cannot_connect(
    clinic_server: ClinicServer, pg_url: str
) -> None:
    """CONNECT is the group's alone: a workstation of this clinic database is refused by the
    server's default database, and the other way round."""
    other = make_url(clinic_server.login_url(clinic_server.login_a)).set(
        drivername="postgresql+psycopg", database="postgres")
    engine = sa.create_engine(other, poolclass=sa.pool.NullPool)
    try:
        # The cluster's default database lets PUBLIC connect; it holds no clinic data.
        with engine.connect() as connection, pytest.raises(ProgrammingError):
            connection.exec_driver_sql("SELECT count(*) FROM patients")
    finally:
        engine.dispose()
    with clinic_server.admin.connect() as admin:
        acl = admin.exec_driver_sql(
            "SELECT datacl::text FROM pg_database WHERE datname = current_database()"
        ).scalar_one()
    group = group_role_name(str(make_url(pg_url).database))
    assert f"{group}=c/" in acl
    assert not any(entry.startswith("=") for entry in acl.strip("{}").split(","))


def test_only_the_printed_password_lets_a_workstation_in(scram_server_url: str) -> None:
    """On a server that checks passwords: the one ``add_workstation`` returned works, another
    does not, and none after revocation."""
    engine = open_server_engine(scram_server_url)
    try:
        clinic = prepare_server(engine, clinic_name="Checked Clinic").clinic_id
        assert clinic is not None
        login = add_workstation(engine, clinic_id=clinic, name="exam-1")

        def connect(password: str | None) -> int:
            url = make_url(scram_server_url).set(drivername="postgresql+psycopg",
                                                 username=login.role, password=password)
            workstation = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                with workstation.connect() as connection:
                    return int(connection.exec_driver_sql(
                        "SELECT count(*) FROM clinics").scalar_one())
            finally:
                workstation.dispose()

        assert connect(login.password) == 1
        for wrong in (login.password[:-1], "", None):
            with pytest.raises(OperationalError, match="password"):
                connect(wrong)
        revoke_workstation(engine, "exam-1")
        with pytest.raises(OperationalError):
            connect(login.password)
    finally:
        engine.dispose()
        drop_roles(scram_server_url, "clinic")


def test_a_revoked_session_left_open_reads_and_writes_nothing(
    clinic_server: ClinicServer, as_a: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator who may not end sessions (no pg_signal_backend) still shuts them out."""
    monkeypatch.setattr(server_setup, "end_sessions", lambda engine, role: None)
    with as_a.connect() as open_session:
        assert open_session.exec_driver_sql("SELECT count(*) FROM patients").scalar_one() == 2
        open_session.commit()
        assert revoke_workstation(clinic_server.admin, "front-a") is None
        for statement in ("SELECT count(*) FROM patients", "SELECT count(*) FROM audit_log",
                          f"UPDATE clinics SET phone = '1' WHERE id = '{clinic_server.clinic_a}'"):
            with pytest.raises(DBAPIError, match="permission denied"):
                open_session.exec_driver_sql(statement)
            open_session.rollback()
    # The policies too have forgotten its clinic (were the grants given back by mistake).
    with clinic_server.admin.connect() as admin:
        assert admin.exec_driver_sql(
            "SELECT count(*) FROM medtrack_server.workstations "
            "WHERE name = 'front_a' AND revoked_at IS NULL").scalar_one() == 0


def test_an_administrator_without_superuser_sets_the_server_up(server_url: str) -> None:
    """As on a managed PostgreSQL: the database's owner with CREATEROLE, no superuser."""
    database = str(make_url(server_url).database)
    owner = f"{database}_owner"
    superuser = open_server_engine(server_url)
    with superuser.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        connection.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO "{owner}"')
        connection.commit()
    superuser.dispose()
    engine = open_server_engine(make_url(server_url).set(username=owner).render_as_string(
        hide_password=False))
    try:
        clinic = prepare_server(engine, clinic_name="Managed Clinic").clinic_id
        assert clinic is not None
        assert prepare_server(engine, clinic_name="Managed Clinic").clinic_id == clinic
        login = add_workstation(engine, clinic_id=clinic, name="desk")
        workstation = sa.create_engine(make_url(server_url).set(
            drivername="postgresql+psycopg", username=login.role, password=login.password),
            poolclass=sa.pool.NullPool)
        try:
            with workstation.connect() as connection:
                assert connection.exec_driver_sql(
                    "SELECT id FROM clinics").scalars().all() == [clinic]
                # PostgreSQL 16 gives a role's creator no right to end its sessions: the one
                # left open is shut out all the same.
                if revoke_workstation(engine, "desk") is None:
                    with pytest.raises(DBAPIError, match="permission denied"):
                        connection.exec_driver_sql("SELECT count(*) FROM patients")
            with pytest.raises(OperationalError), workstation.connect():
                pass
        finally:
            workstation.dispose()
    finally:
        engine.dispose()
