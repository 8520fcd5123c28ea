"""New databases use 16 KiB encrypted pages; files made with SQLCipher's 4 KiB default still
open, keep working, and back up into the new size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlcipher3

from medtrack_desktop.store.backup import backup_database
from medtrack_desktop.store.engine import PAGE_SIZE, connect_raw, key_pragma
from medtrack_desktop.store.errors import WrongKey

KEY = b"\x07" * 32


def page_size_of(path: Path) -> int:
    connection = connect_raw(path, KEY, writable=False)
    try:
        return int(connection.execute("PRAGMA cipher_page_size").fetchone()[0])
    finally:
        connection.close()


def legacy_database(path: Path) -> None:
    """A file as MedTrack made it before: SQLCipher's defaults (4 KiB pages)."""
    connection = sqlcipher3.connect(str(path), isolation_level=None)
    connection.execute(key_pragma(KEY))
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.executemany("INSERT INTO notes (body) VALUES (?)",
                           [(f"note {i} " * 20,) for i in range(500)])
    connection.close()


def test_a_new_database_has_16_kib_pages(tmp_path: Path) -> None:
    connect_raw(tmp_path / "new.db", KEY).close()
    assert PAGE_SIZE == 16384
    assert page_size_of(tmp_path / "new.db") == 16384


def test_a_4_kib_database_still_opens_and_backs_up_into_16_kib(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    legacy_database(old)
    assert page_size_of(old) == 4096
    connection = connect_raw(old, KEY)
    connection.execute("INSERT INTO notes (body) VALUES ('after the change')")
    count = connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    connection.close()
    assert count == 501 and page_size_of(old) == 4096, "written in place, format kept"

    copy = backup_database(old, KEY, tmp_path / "backup.db")
    assert page_size_of(copy) == 16384
    reader = connect_raw(copy, KEY, writable=False)
    assert reader.execute("SELECT count(*) FROM notes").fetchone()[0] == 501
    reader.close()


def test_a_wrong_key_fails_at_every_page_size_and_changes_nothing(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    legacy_database(old)
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    with pytest.raises(WrongKey, match="wrong key"):
        connect_raw(old, b"\x08" * 32)
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before
