"""One Alembic history builds the same schema on SQLCipher and on a real PostgreSQL (DESIGN §3).

Compared by reflection, with types reduced to a coarse family: SQLite has no UUID type (SQLAlchemy
stores a ``Uuid`` as CHAR(32) there) and no zone on timestamps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.models import metadata
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import downgrade, head_revision, schema_status, upgrade
from medtrack_desktop.store.server import open_server_engine

pytestmark = pytest.mark.postgres

Schema = dict[str, dict[str, Any]]


@pytest.fixture
def sqlite_engine(tmp_path: Path, db_key: bytes) -> Iterator[sa.Engine]:
    """A fresh SQLCipher file, upgraded to head."""
    store = Store.open(tmp_path / "parity.db", db_key, create=True)
    upgrade(store.engine)
    yield store.engine
    store.close()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    """A fresh database on the real PostgreSQL, upgraded to head."""
    engine = open_server_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def any_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """Each engine in turn (for behaviour that must hold on both)."""
    engine: sa.Engine = request.getfixturevalue(f"{request.param}_engine")
    return engine


# -- reflection --------------------------------------------------------------------------------


def type_family(column_type: sa.types.TypeEngine[Any], dialect: str) -> tuple[Any, ...]:
    """A coarse, engine-neutral description of a column type."""
    if isinstance(column_type, sa.Uuid) or (
        dialect == "sqlite" and isinstance(column_type, sa.CHAR) and column_type.length == 32
    ):
        return ("uuid",)
    generic = column_type.as_generic()
    if isinstance(generic, sa.Text):
        return ("text",)
    if isinstance(generic, sa.String):
        return ("string", generic.length)
    if isinstance(generic, sa.Numeric) and not isinstance(generic, sa.Float):
        return ("numeric", generic.precision, generic.scale)
    if isinstance(generic, sa.DateTime):
        return ("datetime",)
    return (type(generic).__name__.lower(),)


def reflect(engine: sa.Engine) -> Schema:
    dialect = engine.dialect.name
    inspector = sa.inspect(engine)
    schema: Schema = {}
    for table in sorted(inspector.get_table_names()):
        pk = inspector.get_pk_constraint(table)
        indexes = [
            (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
            for ix in inspector.get_indexes(table)
            if "duplicates_constraint" not in ix  # PostgreSQL's index behind a UNIQUE
        ]
        schema[table] = {
            "columns": {
                column["name"]: (column["nullable"], type_family(column["type"], dialect))
                for column in inspector.get_columns(table)
            },
            "primary_key": (pk["name"], tuple(pk["constrained_columns"])),
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk["options"].get("ondelete") or "NO ACTION").upper(),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(indexes),
            "checks": sorted(ck["name"] for ck in inspector.get_check_constraints(table)),
        }
    return schema


def schema_differences(left: Schema, right: Schema) -> list[str]:
    """Readable differences, so a failure says which table and which aspect."""
    problems = []
    if set(left) != set(right):
        problems.append(f"tables: {sorted(set(left) ^ set(right))}")
    for table in sorted(set(left) & set(right)):
        for aspect in left[table]:
            if left[table][aspect] != right[table][aspect]:
                problems.append(
                    f"{table}.{aspect}: sqlite={left[table][aspect]!r} "
                    f"postgresql={right[table][aspect]!r}"
                )
    return problems


# -- same schema on both ----------------------------------------------------------------------


def test_upgrade_head_gives_the_same_schema_on_sqlcipher_and_postgresql(
    sqlite_engine: sa.Engine, pg_engine: sa.Engine
) -> None:
    on_sqlite, on_postgres = reflect(sqlite_engine), reflect(pg_engine)

    assert set(on_sqlite) == set(metadata.tables) | {"alembic_version"}
    assert schema_differences(on_sqlite, on_postgres) == []
    # The comparison is not vacuous: the rules of DESIGN §3 are visible in it.
    users = on_postgres["users"]
    assert users["columns"]["id"] == (False, ("uuid",))
    assert users["columns"]["created_at"] == (False, ("datetime",))
    assert users["columns"]["username"] == (False, ("string", 150))
    assert ("uq_users_clinic_id_username", ("clinic_id", "username")) in users["unique"]
    assert (
        "fk_users_patient_id_patients", ("patient_id",), "patients", ("id",), "RESTRICT"
    ) in users["foreign_keys"]
    assert on_postgres["audit_log"]["checks"] == ["ck_audit_log_outcome_allowed"]
    assert ("ix_patients_clinic_id_last_name_first_name",
            ("clinic_id", "last_name", "first_name"), False) in on_postgres["patients"]["indexes"]


def test_every_foreign_key_between_records_restricts_deletes(pg_engine: sa.Engine) -> None:
    foreign_keys = [
        (table, fk) for table, spec in reflect(pg_engine).items() for fk in spec["foreign_keys"]
    ]
    assert len(foreign_keys) >= 10
    assert [(table, fk[0]) for table, fk in foreign_keys if fk[4] != "RESTRICT"] == []


def test_models_and_migrations_do_not_drift(any_engine: sa.Engine) -> None:
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_downgrade_base_leaves_nothing_and_upgrade_again_rebuilds_the_same(
    sqlite_engine: sa.Engine, pg_engine: sa.Engine
) -> None:
    first_sqlite, first_postgres = reflect(sqlite_engine), reflect(pg_engine)

    for engine in (sqlite_engine, pg_engine):
        downgrade(engine, "base")
        assert sa.inspect(engine).get_table_names() == ["alembic_version"]
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 0
        assert schema_status(engine).state == "empty"

    with sqlite_engine.connect() as connection:
        leftovers = connection.exec_driver_sql(
            "SELECT type, name FROM sqlite_master WHERE tbl_name != 'alembic_version'"
        ).all()
    assert leftovers == []
    with pg_engine.connect() as connection:
        functions = connection.exec_driver_sql(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        ).scalars().all()
        triggers = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        ).scalars().all()
    assert (functions, triggers) == ([], [])

    for engine in (sqlite_engine, pg_engine):
        upgrade(engine)
        assert schema_status(engine).current == head_revision()
    assert reflect(sqlite_engine) == first_sqlite
    assert reflect(pg_engine) == first_postgres


# -- the audit log is append-only on both -------------------------------------------------------


def test_audit_log_accepts_appends_and_refuses_changes(any_engine: sa.Engine) -> None:
    with Session(any_engine) as session, session.begin():
        seat = initialize_workstation(session, clinic_name="Parity Clinic", workstation_name="WS")
        trail.record(
            session,
            seat=seat,
            actor=Actor.system(seat),
            action="patient.read",
            patient_id=uuid.uuid4(),
            changes={"name": "Zoë O'Neil-Núñez", "nested": {"b": [1, 2.5, None], "a": True}},
        )

    refused = ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"]
    if any_engine.dialect.name == "postgresql":
        refused.append("TRUNCATE audit_log")
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), any_engine.begin() as connection:
            connection.exec_driver_sql(statement)

    with Session(any_engine) as session:
        actions = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        check = trail.verify_chain(session, seat.workstation_id)
    assert actions == ["workstation.initialize", "patient.read"]
    assert check.intact and check.entries == 2
