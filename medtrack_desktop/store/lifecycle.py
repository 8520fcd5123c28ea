"""Opening a workstation database the safe way: key, decrypt check, schema check, upgrade.

An older database is upgraded only after an automatic encrypted backup; a newer one is refused
before anything is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from medtrack_desktop.store.backup import backup_database
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import SchemaTooNew
from medtrack_desktop.store.migrate import schema_status, upgrade


def open_workstation_store(
    path: Path, key: bytes, *, backup_dir: Path, create: bool = False
) -> Store:
    """Open (or with ``create``, make) a workstation database at the current schema."""
    store = Store.open(path, key, create=create)
    try:
        status = schema_status(store.engine)
        if status.state == "ahead":
            raise SchemaTooNew(
                "This database was updated by a newer version of MedTrack "
                f"(schema {status.current}). Install that version to open it."
            )
        if status.state == "behind":
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            backup_database(path, key, backup_dir / f"{path.stem}-{status.current}-{stamp}.db")
        if status.state != "current":
            upgrade(store.engine)
    except BaseException:
        store.close()
        raise
    return store
