"""Encrypted backup and restore of a workstation database.

A backup is a full copy exported by SQLCipher into a keyed target (``sqlcipher_export``); a plain
``.backup`` or an unkeyed ``VACUUM INTO`` would write plaintext. The copy uses the database's own
key, so the recovery copy of the key opens the backups too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from medtrack_desktop.store.engine import (
    PAGE_SIZE,
    check_file_is_encrypted,
    connect_raw,
    key_pragma,
    page_size_pragma,
)
from medtrack_desktop.store.errors import ForeignDatabase, SchemaTooNew, StoreError
from medtrack_desktop.store.migrate import shipped_revisions

_SIDE_FILES = ("-wal", "-shm")


def _export(source: Path, source_key: bytes, target: Path, target_key: bytes) -> None:
    """Copy ``source`` into a new encrypted file ``target`` (which must not exist)."""
    connection = connect_raw(source, source_key, writable=False)
    try:
        literal = key_pragma(target_key).removeprefix("PRAGMA key = ")
        connection.execute(f"ATTACH DATABASE ? AS backup KEY {literal}", (str(target),))
        connection.execute(page_size_pragma(PAGE_SIZE, "backup"))
        connection.execute("SELECT sqlcipher_export('backup')")
        connection.execute("DETACH DATABASE backup")
    finally:
        connection.close()
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def backup_database(db_path: Path, key: bytes, out_path: Path) -> Path:
    """Write an encrypted, consistent copy of the database to ``out_path`` (atomically)."""
    out_path = Path(out_path)
    if out_path.exists():
        raise StoreError(f"{out_path.name} exists already; choose a new backup file name.")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _export(Path(db_path), key, partial, key)
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return out_path


def backup_revision(backup_path: Path, key: bytes) -> str:
    """The schema revision a backup was taken at (refusing foreign or newer files)."""
    check_file_is_encrypted(backup_path)
    connection = connect_raw(backup_path, key, writable=False)
    try:
        row = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if row is None:
            raise ForeignDatabase(f"{backup_path.name} is not a MedTrack backup.")
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        connection.close()
    if revision not in shipped_revisions():
        raise SchemaTooNew(f"{backup_path.name} was made by a newer MedTrack; update first.")
    return str(revision)


def restore_database(backup_path: Path, db_path: Path, key: bytes) -> Path | None:
    """Replace the database with a backup; the replaced files are kept aside, never deleted.

    Returns the path the previous database was moved to (None if there was none). The backup is
    checked (key, MedTrack schema, known revision) before anything is moved.
    """
    backup_path, db_path = Path(backup_path), Path(db_path)
    backup_revision(backup_path, key)
    staged = db_path.with_name(db_path.name + ".restoring")
    staged.unlink(missing_ok=True)
    _export(backup_path, key, staged, key)

    kept_aside = None
    if db_path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept_aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        number = 1
        while any(Path(f"{kept_aside}{suffix}").exists() for suffix in ("", *_SIDE_FILES)):
            number += 1  # a second restore within the same second must not replace the first
            kept_aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}-{number}")
        for suffix in ("", *_SIDE_FILES):
            current = Path(f"{db_path}{suffix}")
            if current.exists():
                os.replace(current, Path(f"{kept_aside}{suffix}"))
    os.replace(staged, db_path)
    return kept_aside
