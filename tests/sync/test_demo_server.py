"""``server demo``'s logic (not the blocking command): on the suite's real PostgreSQL, it builds
workstation A with the demo clinic and B joined from the server, in step; run again, it reuses
them. Keys and sync passwords as on a machine without a keyring (the demo passphrase)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from keyring.backends import fail
from sqlalchemy.engine import make_url
from sync_world import differences, snapshot

from medtrack_desktop.config import DEMO_KEY_PASSPHRASE
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.sync.connection import PASSWORD_ENV, server_url_of
from medtrack_desktop.sync.demo_server import build_demo_clinic
from medtrack_desktop.sync.status import sync_counts

pytestmark = pytest.mark.postgres

TODAY = date(2026, 11, 25)


def test_demo_builds_two_workstations_in_step_and_reuses_them(
        server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    keys = KeyStore(keyring_backend=fail.Keyring(), environ={})
    database = str(make_url(server_url).database)
    said: list[str] = []
    clinic = build_demo_clinic(server_url, tmp_path / "sync-demo", keys, patients=5,
                               today=TODAY, say=said.append, database=database)
    a, b = clinic.workstations
    assert (a.login, b.login) == ("demo-a", "demo-b")
    assert a.path.exists() and b.path.exists()
    assert any("joins" in line for line in said)
    _assert_in_step(server_url, keys, clinic.clinic_id, a.path, b.path)

    # Run again (the demo started a second time): nothing rebuilt, still in step.
    again = build_demo_clinic(server_url, tmp_path / "sync-demo", keys, patients=5,
                              today=TODAY, database=database)
    assert again.clinic_id == clinic.clinic_id
    _assert_in_step(server_url, keys, clinic.clinic_id, a.path, b.path)


def _assert_in_step(server_url: str, keys: KeyStore, clinic_id: uuid.UUID, *paths: Path) -> None:
    admin = sa.create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        server = snapshot(admin, clinic_id)
    finally:
        admin.dispose()
    assert len(server["patients"]) == 5
    for path in paths:
        store = Store.open(path, keys.load(path, passphrase=DEMO_KEY_PASSPHRASE))
        try:
            assert server_url_of(store.engine) is not None
            assert differences(snapshot(store.engine, clinic_id), server) == []
            counts = sync_counts(store.engine)
            assert (counts.pending, counts.open_conflicts, counts.last_error) == (0, 0, None)
        finally:
            store.close()
