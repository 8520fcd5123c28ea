"""Encrypted backups and restores of a workstation database."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.registry import import_patients
from medtrack_desktop.store.backup import backup_database, backup_revision, restore_database
from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, Store, connect_raw
from medtrack_desktop.store.errors import (
    ForeignDatabase,
    PlaintextDatabase,
    SchemaTooNew,
    StoreError,
    WrongKey,
)
from medtrack_desktop.store.migrate import head_revision

Rows = dict[str, list[tuple[Any, ...]]]
COMPARED_TABLES = ("patients", "users", "user_roles", "roles", "clinics", "audit_log")


def read_rows(path: Path, key: bytes) -> Rows:
    """Every row of the compared tables, in a stable order, straight from the file."""
    store = Store.open(path, key)
    try:
        with store.read_session() as session:
            return {
                table: [
                    tuple(row)
                    for row in session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
                ]
                for table in COMPARED_TABLES
            }
    finally:
        store.close()


def add_patient(path: Path, key: bytes, last_name: str) -> None:
    store = Store.open(path, key)
    try:
        with store.session() as session:
            seat = current_seat(session)
            assert seat is not None
            import_patients(
                session,
                Actor.system(seat),
                records=[
                    {
                        "mrn": "99999997",
                        "first_name": "Backup",
                        "last_name": last_name,
                        "date_of_birth": date(1970, 1, 1),
                        "sex": "unknown",
                    }
                ],
            )
    finally:
        store.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(directory: Path) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if p.name.endswith((".partial", ".restoring"))
    )


# -- backup -----------------------------------------------------------------------------------


def test_backup_restore_round_trip_gives_the_same_rows(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    original = read_rows(path, key)
    assert len(original["patients"]) == 40 and len(original["users"]) == 7

    backup = backup_database(path, key, tmp_path / "backups" / "copy.db")
    target = tmp_path / "elsewhere" / "restored.db"
    target.parent.mkdir()
    kept_aside = restore_database(backup, target, key)

    assert kept_aside is None
    assert read_rows(target, key) == original
    assert leftovers(tmp_path / "backups") == [] and leftovers(target.parent) == []


def test_backup_is_encrypted_and_opens_with_the_same_key(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    marker = f"Marker{secrets.token_hex(6)}"
    add_patient(path, key, marker)

    backup = backup_database(path, key, tmp_path / "copy.db")

    raw = backup.read_bytes()
    assert not raw.startswith(SQLITE_PLAINTEXT_HEADER)
    assert marker.encode() not in raw
    assert not Path(f"{backup}-wal").exists()
    with pytest.raises(WrongKey):
        Store.open(backup, secrets.token_bytes(32))
    rows = read_rows(backup, key)
    assert len([row for row in rows["patients"] if marker in row]) == 1
    assert backup_revision(backup, key) == head_revision()


def test_backup_of_an_open_database_holds_rows_still_in_its_wal(
    demo_store: Store, demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    with demo_store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        import_patients(
            session,
            Actor.system(seat),
            records=[
                {
                    "mrn": "99999997",
                    "first_name": "Walled",
                    "last_name": "In",
                    "date_of_birth": date(2001, 2, 3),
                    "sex": "male",
                }
            ],
        )
    assert Path(f"{path}-wal").stat().st_size > 0

    backup = backup_database(path, key, tmp_path / "hot.db")

    copy = Store.open(backup, key)
    try:
        with copy.read_session() as session:
            names = session.execute(text("SELECT first_name FROM patients")).scalars().all()
    finally:
        copy.close()
    assert "Walled" in names and len(names) == 41


def test_restored_database_keeps_its_triggers(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    backup = backup_database(path, key, tmp_path / "copy.db")
    target = tmp_path / "restored.db"
    restore_database(backup, target, key)

    store = Store.open(target, key)
    try:
        with pytest.raises(DBAPIError, match="append-only"), store.session() as session:
            session.execute(text("UPDATE audit_log SET action = 'forged'"))
        with pytest.raises(DBAPIError, match="append-only"), store.session() as session:
            session.execute(text("DELETE FROM audit_log"))
    finally:
        store.close()


def test_backup_onto_an_existing_file_is_refused(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"precious")

    with pytest.raises(StoreError, match="exists already"):
        backup_database(path, key, existing)

    assert existing.read_bytes() == b"precious"
    assert leftovers(tmp_path) == []


# -- restore: refused before anything moves ---------------------------------------------------


def _directory_state(directory: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(directory.iterdir()) if p.is_file()}


def test_restore_with_a_wrong_key_is_refused_before_anything_moves(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    backup = backup_database(path, key, tmp_path / "backups" / "copy.db")
    before = _directory_state(path.parent)

    with pytest.raises(WrongKey):
        restore_database(backup, path, secrets.token_bytes(32))

    assert _directory_state(path.parent) == before
    assert leftovers(path.parent) == []


def test_restore_of_a_plaintext_backup_is_refused(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    plain = tmp_path / "backups" / "plain.db"
    plain.parent.mkdir()
    connection = sqlite3.connect(plain)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    connection.execute("INSERT INTO alembic_version VALUES (?)", (head_revision(),))
    connection.commit()
    connection.close()
    before, plain_before = _directory_state(path.parent), digest(plain)

    with pytest.raises(PlaintextDatabase):
        restore_database(plain, path, key)

    assert _directory_state(path.parent) == before
    assert digest(plain) == plain_before


def test_restore_of_a_foreign_encrypted_file_is_refused(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    foreign = tmp_path / "backups" / "foreign.db"
    foreign.parent.mkdir()
    connection = connect_raw(foreign, key)
    connection.execute("CREATE TABLE inventory (sku TEXT, quantity INTEGER)")
    connection.close()
    before = _directory_state(path.parent)

    with pytest.raises(ForeignDatabase, match="not a MedTrack backup"):
        restore_database(foreign, path, key)

    assert _directory_state(path.parent) == before


def test_restore_of_a_backup_from_a_newer_medtrack_is_refused(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    newer = backup_database(path, key, tmp_path / "backups" / "newer.db")
    connection = connect_raw(newer, key)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    connection.close()
    before = _directory_state(path.parent)

    with pytest.raises(SchemaTooNew, match="newer MedTrack"):
        restore_database(newer, path, key)

    assert _directory_state(path.parent) == before


# -- restore over an existing database ---------------------------------------------------------


def test_restore_keeps_the_previous_database_aside(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    at_backup = read_rows(path, key)
    backup = backup_database(path, key, tmp_path / "backups" / "copy.db")
    add_patient(path, key, "AfterTheBackup")
    current = read_rows(path, key)
    assert current != at_backup

    kept_aside = restore_database(backup, path, key)

    assert read_rows(path, key) == at_backup
    assert kept_aside is not None and kept_aside.exists()
    assert kept_aside.parent == path.parent
    assert kept_aside.name.startswith("demo.db.before-restore-")
    assert read_rows(kept_aside, key) == current
    assert leftovers(path.parent) == []


def test_two_restores_in_a_row_keep_both_previous_databases(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    backup = backup_database(path, key, tmp_path / "backups" / "copy.db")
    add_patient(path, key, "First")
    first_state = read_rows(path, key)

    first_aside = restore_database(backup, path, key)
    add_patient(path, key, "Second")
    second_state = read_rows(path, key)
    second_aside = restore_database(backup, path, key)

    assert first_aside is not None and second_aside is not None
    assert first_aside != second_aside
    assert read_rows(first_aside, key) == first_state
    assert read_rows(second_aside, key) == second_state
