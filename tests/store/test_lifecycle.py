"""Opening a workstation database: older ones are backed up then upgraded, others refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from medtrack_desktop.domain.identity.workstation import current_seat, initialize_workstation
from medtrack_desktop.store.backup import backup_revision
from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, Store, connect_raw
from medtrack_desktop.store.errors import ForeignDatabase, SchemaTooNew
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.store.migrate import downgrade, head_revision, schema_status, upgrade


def directory_digests(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@pytest.fixture
def older_db(tmp_path: Path, db_key: bytes) -> Path:
    """A set-up workstation database taken back to revision 0001 (before patients), closed."""
    path = tmp_path / "data" / "workstation.db"
    store = Store.open(path, db_key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        initialize_workstation(session, clinic_name="Lakeside Clinic", workstation_name="Desk")
    downgrade(store.engine, "0001")
    assert schema_status(store.engine).current == "0001"
    store.close()
    return path


def test_older_database_is_backed_up_encrypted_then_upgraded(
    older_db: Path, db_key: bytes, tmp_path: Path
) -> None:
    backup_dir = tmp_path / "backups"

    store = open_workstation_store(older_db, db_key, backup_dir=backup_dir)
    try:
        status = schema_status(store.engine)
        assert (status.state, status.current) == ("current", head_revision())
        with store.read_session() as session:
            seat = current_seat(session)
            assert "patients" in inspect(session.connection()).get_table_names()
        assert seat is not None and seat.clinic_name == "Lakeside Clinic"
    finally:
        store.close()

    backups = sorted(backup_dir.iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert backup.name.startswith("workstation-0001-") and backup.suffix == ".db"
    assert not backup.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)
    assert b"Lakeside Clinic" not in backup.read_bytes()
    assert backup_revision(backup, db_key) == "0001"
    copy = Store.open(backup, db_key)
    try:
        with copy.read_session() as session:
            names = session.execute(text("SELECT name FROM clinics")).scalars().all()
            tables = set(inspect(session.connection()).get_table_names())
    finally:
        copy.close()
    assert names == ["Lakeside Clinic"]
    assert "patients" not in tables


def test_current_database_opens_without_a_backup(
    older_db: Path, db_key: bytes, tmp_path: Path
) -> None:
    open_workstation_store(older_db, db_key, backup_dir=tmp_path / "first").close()

    store = open_workstation_store(older_db, db_key, backup_dir=tmp_path / "second")
    store.close()

    assert not (tmp_path / "second").exists()


def test_new_database_is_created_at_head_without_a_backup(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "new.db"
    store = open_workstation_store(path, db_key, backup_dir=tmp_path / "backups", create=True)
    try:
        assert schema_status(store.engine).state == "current"
    finally:
        store.close()
    assert not (tmp_path / "backups").exists()
    assert not path.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)


def test_database_from_a_newer_medtrack_is_refused_and_left_byte_identical(
    older_db: Path, db_key: bytes, tmp_path: Path
) -> None:
    connection = connect_raw(older_db, db_key)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    connection.close()
    before = directory_digests(older_db.parent)
    assert list(before) == ["workstation.db"]

    with pytest.raises(SchemaTooNew, match="newer version of MedTrack") as raised:
        open_workstation_store(older_db, db_key, backup_dir=tmp_path / "backups")

    assert "ffff9999" in str(raised.value)
    assert directory_digests(older_db.parent) == before
    assert not (tmp_path / "backups").exists()
    # Refusal closed the engine: the file opens again, still at the unknown revision.
    store = Store.open(older_db, db_key)
    try:
        assert schema_status(store.engine).state == "ahead"
    finally:
        store.close()


def test_keyed_database_with_foreign_tables_is_refused_and_left_as_is(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "data" / "other-app.db"
    path.parent.mkdir()
    connection = connect_raw(path, db_key)
    connection.execute("CREATE TABLE inventory (sku TEXT PRIMARY KEY, quantity INTEGER)")
    connection.execute("INSERT INTO inventory VALUES ('A-1', 3)")
    connection.close()
    before = directory_digests(path.parent)

    with pytest.raises(ForeignDatabase, match="not MedTrack's"):
        open_workstation_store(path, db_key, backup_dir=tmp_path / "backups")

    assert directory_digests(path.parent) == before
    check = connect_raw(path, db_key, writable=False)
    tables = [row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    check.close()
    assert tables == ["inventory"]


def test_a_populated_database_upgrades_and_keeps_foreign_keys_enforced(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    """Batch migrations rebuild referenced tables (clinics) holding rows; afterwards every
    pooled connection enforces foreign keys again."""
    path, key = demo_db
    store = Store.open(path, key)
    downgrade(store.engine, "0002")
    store.close()

    store = open_workstation_store(path, key, backup_dir=tmp_path / "backups")
    try:
        assert schema_status(store.engine).state == "current"
        for _ in range(3):  # several pooled connections
            with store.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with store.session() as session:
            assert session.execute(text("SELECT count(*) FROM patients")).scalar() > 0
            with pytest.raises(Exception, match="FOREIGN KEY"):
                session.execute(text(
                    "UPDATE users SET clinic_id = '00000000000000000000000000000000'"))
    finally:
        store.close()
