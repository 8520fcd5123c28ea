"""``server demo``: its logic on the suite's real PostgreSQL (workstation A with the demo
clinic and B joined from the server, in step; run again, it reuses them), and the blocking
command itself with its own throwaway server. Keys and sync passwords as on a machine without
a keyring (the demo passphrase)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
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


def test_the_demo_command_serves_two_workstations_until_stopped(tmp_path: Path) -> None:
    """``medtrack-admin server demo`` itself, as a user runs it: it says how to start and sync
    each workstation, serves until SIGTERM (or Ctrl+C), then stops its server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    env.update(MEDTRACK_DATA_DIR=str(tmp_path / "data"),
               MEDTRACK_CONFIG=str(tmp_path / "absent.toml"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    command = [sys.executable, "-m", "medtrack_desktop.cli"]
    demo = subprocess.Popen([*command, "server", "demo", "--patients", "3"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [said.put(line) for line in demo.stderr],  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        lines = []
        while not any("runs until Ctrl+C" in line for line in lines):
            lines.append(said.get(timeout=300))
        server_data = tmp_path / "data" / "sync-demo" / "server"
        assert (server_data / "postmaster.pid").exists()
        databases = sorted((tmp_path / "data" / "sync-demo").glob("*.db"))
        assert len(databases) == 2
        synced = subprocess.run(
            [*command, "sync", "--db", str(databases[1])], capture_output=True, text=True,
            timeout=300, check=False, env={**env, "MEDTRACK_DB_PASSPHRASE": DEMO_KEY_PASSPHRASE})
        assert synced.returncode == 0, synced.stderr
        assert "pending 0" in synced.stdout
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=120) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    shown = demo.stdout.read()  # type: ignore[union-attr]
    for database in databases:
        assert f"medtrack-desktop --db '{database}'" in shown
        assert f"medtrack-admin sync --db '{database}'" in shown
    assert "demo passphrase" in shown
    assert not (server_data / "postmaster.pid").exists()  # the server stopped with the demo
