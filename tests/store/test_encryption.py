"""The workstation database is encrypted at rest, and the store refuses what it must not touch."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.registry import import_patients
from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, Store, reading
from medtrack_desktop.store.errors import (
    DatabaseMissing,
    ForeignDatabase,
    PlaintextDatabase,
    WrongKey,
)
from medtrack_desktop.store.migrate import upgrade

SIDE_SUFFIXES = ("", "-wal", "-journal")
FileState = Callable[[Path], dict[str, str | None]]


@pytest.fixture
def marker() -> str:
    """A string that can only be in the file if a row was written in clear (UTF-8, accented)."""
    return f"MedTrackMarker{secrets.token_hex(6)}Núñez"


def write_marker_rows(store: Store, marker: str) -> None:
    """The marker as a clinic name and as a patient's name, committed."""
    with store.session() as session:
        seat = initialize_workstation(
            session, clinic_name=f"Clinic {marker}", workstation_name="WS"
        )
    with store.session() as session:
        import_patients(
            session,
            Actor.system(seat),
            records=[
                {
                    "mrn": "10000015",
                    "first_name": marker,
                    "last_name": f"O'{marker}-Smith",
                    "date_of_birth": date(1980, 5, 17),
                    "sex": "female",
                    "address_line1": f"1 {marker} Street",
                }
            ],
        )


def files_containing(db_path: Path, needle: bytes) -> list[str]:
    """Names of the database file and its -wal/-journal files whose raw bytes hold ``needle``."""
    found = []
    for suffix in SIDE_SUFFIXES:
        candidate = Path(f"{db_path}{suffix}")
        if candidate.exists() and needle in candidate.read_bytes():
            found.append(candidate.name)
    return found


@pytest.fixture
def closed_db(tmp_path: Path, db_key: bytes, marker: str) -> Iterator[Path]:
    """A migrated database holding the marker rows, closed (WAL checkpointed and removed)."""
    path = tmp_path / "closed.db"
    store = Store.open(path, db_key, create=True)
    upgrade(store.engine)
    write_marker_rows(store, marker)
    store.close()
    yield path


# -- at rest ----------------------------------------------------------------------------------


def test_scan_finds_a_marker_in_a_plaintext_sqlite_file(tmp_path: Path, marker: str) -> None:
    """Control: the byte scan used below does see clear text when there is some."""
    path = tmp_path / "plain.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (name TEXT)")
        connection.execute("INSERT INTO t VALUES (?)", (marker,))
    connection.close()
    assert files_containing(path, marker.encode("utf-8")) == ["plain.db"]


def test_marker_never_in_db_or_wal_after_commit(store: Store, marker: str) -> None:
    assert store.path is not None
    write_marker_rows(store, marker)

    wal = Path(f"{store.path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the committed rows should sit in the WAL"
    assert files_containing(store.path, marker.encode("utf-8")) == []
    # The rows are really there (the scan is not vacuous).
    with store.read_session() as session:
        names = session.execute(text("SELECT first_name FROM patients")).scalars().all()
        clinic = session.execute(text("SELECT name FROM clinics")).scalar_one()
    assert names == [marker]
    assert clinic == f"Clinic {marker}"


def test_marker_never_in_files_after_close(closed_db: Path, db_key: bytes, marker: str) -> None:
    assert not Path(f"{closed_db}-wal").exists(), "closing checkpoints and removes the WAL"
    assert files_containing(closed_db, marker.encode("utf-8")) == []
    assert [p.name for p in closed_db.parent.iterdir()] == ["closed.db"]

    reopened = Store.open(closed_db, db_key)
    try:
        with reopened.read_session() as session:
            count = session.execute(
                text("SELECT count(*) FROM patients WHERE first_name = :m"), {"m": marker}
            ).scalar_one()
    finally:
        reopened.close()
    assert count == 1


def test_file_has_no_plaintext_sqlite_header(closed_db: Path) -> None:
    head = closed_db.read_bytes()[:100]
    assert not head.startswith(SQLITE_PLAINTEXT_HEADER)
    assert b"SQLite format" not in head


def test_an_open_database_file_has_no_plaintext_header(store: Store) -> None:
    assert store.path is not None
    assert not store.path.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)


# -- wrong key --------------------------------------------------------------------------------


def test_wrong_key_is_refused_clearly_and_the_file_is_unchanged(
    closed_db: Path, db_key: bytes, file_state: FileState
) -> None:
    before = file_state(closed_db)
    wrong = secrets.token_bytes(32)

    with pytest.raises(WrongKey) as raised:
        Store.open(closed_db, wrong)

    message = str(raised.value)
    assert "closed.db" in message
    assert "wrong key" in message
    assert "not changed" in message
    assert wrong.hex() not in message and db_key.hex() not in message
    assert file_state(closed_db) == before
    assert sorted(p.name for p in closed_db.parent.iterdir()) == ["closed.db"]


def test_wrong_key_with_create_does_not_overwrite(closed_db: Path, file_state: FileState) -> None:
    before = file_state(closed_db)
    with pytest.raises(WrongKey):
        Store.open(closed_db, secrets.token_bytes(32), create=True)
    assert file_state(closed_db) == before


def test_wrong_key_leaves_a_crash_left_wal_untouched(
    tmp_path: Path, db_key: bytes, marker: str, file_state: FileState
) -> None:
    """A database copied while open (as after a crash) keeps its -wal; a wrong key must not
    checkpoint it into the file or delete it."""
    live = tmp_path / "live"
    live.mkdir()
    store = Store.open(live / "ws.db", db_key, create=True)
    upgrade(store.engine)
    write_marker_rows(store, marker)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("ws.db", "ws.db-wal", "ws.db-shm"):
        shutil.copyfile(live / name, crashed / name)
    store.close()

    path = crashed / "ws.db"
    before = file_state(path)
    assert before["-wal"] is not None

    with pytest.raises(WrongKey):
        Store.open(path, secrets.token_bytes(32))

    assert file_state(path) == before
    # The right key still finds the rows that only lived in the WAL.
    reopened = Store.open(path, db_key)
    try:
        with reopened.read_session() as session:
            assert session.execute(text("SELECT first_name FROM patients")).scalars().all() == [
                marker
            ]
    finally:
        reopened.close()


def test_random_bytes_file_is_refused_as_wrong_key(
    tmp_path: Path, db_key: bytes, file_state: FileState
) -> None:
    path = tmp_path / "noise.db"
    path.write_bytes(secrets.token_bytes(8192))
    before = file_state(path)
    with pytest.raises(WrongKey):
        Store.open(path, db_key)
    assert file_state(path) == before


# -- files that are not ours -------------------------------------------------------------------


@pytest.mark.parametrize("create", [False, True])
def test_plaintext_sqlite_file_is_refused_and_left_as_is(
    tmp_path: Path, db_key: bytes, file_state: FileState, create: bool
) -> None:
    path = tmp_path / "plain.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.execute("INSERT INTO notes VALUES ('someone else''s data')")
    connection.commit()
    connection.close()
    before = file_state(path)

    with pytest.raises(PlaintextDatabase, match="unencrypted SQLite database"):
        Store.open(path, db_key, create=create)

    assert file_state(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.db"]
    check = sqlite3.connect(path)
    assert check.execute("SELECT body FROM notes").fetchall() == [("someone else's data",)]
    check.close()


@pytest.mark.parametrize("create", [False, True])
def test_empty_file_is_refused(tmp_path: Path, db_key: bytes, create: bool) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(ForeignDatabase, match="empty"):
        Store.open(path, db_key, create=create)
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_missing_file_without_create_is_reported_and_not_created(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "nowhere" / "missing.db"
    with pytest.raises(DatabaseMissing, match="There is no database at"):
        Store.open(path, db_key)
    assert not path.exists()
    assert not path.parent.exists()


def test_missing_file_with_create_makes_an_encrypted_database(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "sub" / "new.db"
    store = Store.open(path, db_key, create=True)
    upgrade(store.engine)
    store.close()
    assert path.exists()
    assert not path.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)
    with pytest.raises(WrongKey):
        Store.open(path, secrets.token_bytes(32))


# -- pragmas ----------------------------------------------------------------------------------

EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "secure_delete": 1,
    "temp_store": 2,  # MEMORY
    "foreign_keys": 1,
    "cache_size": -65536,  # 64 MiB of decrypted pages (store.engine's docstring says why)
    "cipher_memory_security": "0",  # pinned OFF, documented there too
}


def test_pragmas_in_effect_on_every_pooled_connection(store: Store) -> None:
    # Three DB-API connections checked out at once: the pool made each with its own pragmas.
    connections = [store.engine.raw_connection() for _ in range(3)]
    try:
        assert len({id(c.dbapi_connection) for c in connections}) == 3
        for connection in connections:
            cursor = connection.cursor()
            for pragma, expected in EXPECTED_PRAGMAS.items():
                assert cursor.execute(f"PRAGMA {pragma}").fetchone()[0] == expected, pragma
            version = cursor.execute("PRAGMA cipher_version").fetchone()[0]
            assert isinstance(version, str) and version.startswith("4.")
            cursor.close()
    finally:
        for connection in connections:
            connection.close()


def test_the_pool_hands_out_the_connection_used_last(store: Store) -> None:
    # Its page cache is the warm one: FIFO would rotate through every pooled connection, each
    # decrypting the same pages into a cache of its own.
    first, second = store.engine.raw_connection(), store.engine.raw_connection()
    used_last = id(second.dbapi_connection)
    first.close()
    second.close()
    again = store.engine.raw_connection()
    try:
        assert id(again.dbapi_connection) == used_last
    finally:
        again.close()


@pytest.mark.parametrize("reader", ["read_session", "reading"])
def test_a_reader_keeps_no_writer_waiting(store: Store, reader: str) -> None:
    # Every other transaction takes the write lock up front: a status read or the sync's
    # outbox reader holding it would keep the app's writes waiting (15 s, then an error).
    with ExitStack() as stack:
        if reader == "read_session":
            snapshot = stack.enter_context(store.read_session()).connection()
        else:
            snapshot = stack.enter_context(reading(store.engine).connect())
        before = snapshot.execute(text("SELECT count(*) FROM local_settings")).scalar_one()
        started = time.monotonic()
        with store.engine.begin() as writer:
            writer.execute(text("INSERT INTO local_settings (key, value) VALUES ('k', 'v')"))
        assert time.monotonic() - started < 2
        assert snapshot.execute(text("SELECT count(*) FROM local_settings")).scalar_one() == before
    with reading(store.engine).connect() as fresh:
        assert fresh.execute(text("SELECT count(*) FROM local_settings")).scalar_one() == before + 1


def test_pragmas_in_effect_in_sessions(store: Store) -> None:
    with store.session() as session:
        writer = {p: session.execute(text(f"PRAGMA {p}")).scalar() for p in EXPECTED_PRAGMAS}
    with store.read_session() as session:
        reader = {p: session.execute(text(f"PRAGMA {p}")).scalar() for p in EXPECTED_PRAGMAS}
    assert writer == EXPECTED_PRAGMAS
    assert reader == EXPECTED_PRAGMAS


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), store.session() as session:
        session.execute(
            text(
                "INSERT INTO workstations (id, clinic_id, name, created_at, updated_at, version) "
                "VALUES (:id, :clinic, 'ghost', '2026-01-01', '2026-01-01', 1)"
            ),
            {"id": secrets.token_hex(16), "clinic": secrets.token_hex(16)},
        )
