"""``medtrack-admin sync …`` and ``server add-clinic`` run as real subprocesses against the
suite's real PostgreSQL and real SQLCipher files: exit codes, messages, what is kept, and that
no password is ever printed or written in clear."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from keyring.backends import fail
from server_data import fill_clinic
from sqlalchemy.engine import URL, make_url
from sync_world import differences, snapshot

from medtrack_desktop.cli import main
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.engine import Store, connect_raw
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.migrate import upgrade
from medtrack_desktop.sync.connection import save_server_connection, server_url_of
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.server_setup import (
    WorkstationLogin,
    add_workstation,
    adopt_clinic,
    register_clinic,
)

pytestmark = pytest.mark.postgres

DB_PASSPHRASE = "demo passphrase for tests"
FIELD_PASSPHRASE = "field key hand-over phrase"
NO_KEYRING = KeyStore(keyring_backend=fail.Keyring(), environ={})


def cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medtrack_desktop.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def env(tmp_path: Path, key: bytes) -> dict[str, str]:
    """The database key from the environment, no OS keyring (the server password is sealed
    under MEDTRACK_DB_PASSPHRASE), the settings file pointed at a missing path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    clean.update(MEDTRACK_DB_KEY=key.hex(), MEDTRACK_DB_PASSPHRASE=DB_PASSPHRASE,
                 MEDTRACK_FIELD_KEY_PASSPHRASE=FIELD_PASSPHRASE,
                 MEDTRACK_CONFIG=str(tmp_path / "absent.toml"),
                 PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return clean


def _login_url(server_url: str, login: WorkstationLogin) -> str:
    address = make_url(server_url)
    return URL.create("postgresql", username=login.role, host=address.host,
                      port=address.port, database=address.database,
                      query=address.query).render_as_string(hide_password=False)


def _clinic_database(path: Path, key: bytes, name: str = "Clinic A") -> uuid.UUID:
    """A workstation that made its clinic offline (staff, patients, a booking)."""
    store = Store.open(path, key, create=True)
    try:
        upgrade(store.engine)
        return fill_clinic(store, name, keep_seat=True)
    finally:
        store.close()


def _file_bytes(path: Path) -> bytes:
    return b"".join(Path(f"{path}{suffix}").read_bytes()
                    for suffix in ("", "-wal", "-journal") if Path(f"{path}{suffix}").exists())


def _snapshot_of(path: Path, key: bytes, clinic_id: uuid.UUID) -> dict:
    store = Store.open(path, key)
    try:
        return snapshot(store.engine, clinic_id)
    finally:
        store.close()


def _saved_url(path: Path, key: bytes) -> str | None:
    store = Store.open(path, key)
    try:
        return server_url_of(store.engine)
    finally:
        store.close()


def test_every_sync_command_has_help_and_wrong_usage_exits_2(
        env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    def exit_code(*args: str) -> int:
        with pytest.raises(SystemExit) as stopped:
            main(list(args), keys=NO_KEYRING)
        return int(stopped.value.code or 0)

    assert exit_code("sync", "--help") == 0
    listed = capsys.readouterr().out
    for action in ("run", "connect", "join", "status", "export-field-key"):
        assert action in listed
        assert exit_code("sync", action, "--help") == 0
        assert "--db" in capsys.readouterr().out
    assert exit_code("--help") == 0
    assert "sync" in capsys.readouterr().out
    assert exit_code("server", "--help") == 0
    server_help = capsys.readouterr().out
    assert "add-clinic" in server_help and "demo" in server_help
    for command in (["server", "add-clinic", "--help"], ["server", "demo", "--help"]):
        assert exit_code(*command) == 0
    for wrong in (["sync", "run"], ["sync", "connect", "--db", "x.db"], ["sync", "frobnicate"],
                  ["server", "add-clinic", "--url", "x"]):
        assert exit_code(*wrong) == 2, wrong
    # As the script: ``sync`` without --db is wrong usage too, never a traceback.
    bare = cli("sync", env=env)
    assert bare.returncode == 2 and "--db" in bare.stderr and "Traceback" not in bare.stderr


def test_connect_refuses_a_login_of_another_clinic_and_keeps_nothing(
        env: dict[str, str], tmp_path: Path, key: bytes, admin: sa.Engine,
        server_url: str) -> None:
    db = tmp_path / "a.db"
    clinic_a = _clinic_database(db, key)
    store = Store.open(db, key)
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(Clinic.__table__)).mappings().one()
    store.close()
    adopt_clinic(admin, dict(row))
    clinic_b, _ = register_clinic(admin, "Clinic B")
    other = add_workstation(admin, clinic_id=clinic_b, name="other")
    own = add_workstation(admin, clinic_id=clinic_a, name="front-a")

    refused = cli("sync", "connect", "--db", str(db), "--url", _login_url(server_url, other),
                    "--password-stdin", env=env, stdin=other.password + "\n")
    assert refused.returncode == 1
    assert "does not belong to its clinic" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _saved_url(db, key) is None
    for bad in ("sqlite:///x.db", "postgresql://ws:pw-in-url@localhost/clinic"):
        done = cli("sync", "connect", "--db", str(db), "--url", bad, "--password-stdin",
                     env=env, stdin="x\n")
        assert done.returncode == 1 and "pw-in-url" not in done.stderr
    assert _saved_url(db, key) is None

    done = cli("sync", "connect", "--db", str(db), "--url", _login_url(server_url, own),
                 "--password-stdin", env=env, stdin=own.password + "\n")
    assert done.returncode == 0, done.stderr
    assert _saved_url(db, key) == _login_url(server_url, own)
    assert "sealed under a passphrase" in done.stderr
    for text in (refused.stdout, refused.stderr, done.stdout, done.stderr):
        assert own.password not in text and other.password not in text
    assert own.password.encode() not in _file_bytes(db)


def test_join_then_run_gives_the_same_rows_and_no_password_leaks(
        env: dict[str, str], tmp_path: Path, key: bytes, admin: sa.Engine,
        server_url: str) -> None:
    a_db, b_db = tmp_path / "a.db", tmp_path / "b.db"
    clinic_id = _clinic_database(a_db, key)
    outputs: list[str] = []

    def run(*args: str, stdin: str = "", extra: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = cli(*args, env={**env, **(extra or {})}, stdin=stdin)
        outputs.append(done.stdout + done.stderr)
        return done

    adopted = run("server", "add-clinic", "--url", server_url, "--from-db", str(a_db))
    assert adopted.returncode == 0, adopted.stderr
    assert uuid.UUID(adopted.stdout.strip()) == clinic_id
    assert "registered" in adopted.stderr
    again = run("server", "add-clinic", "--url", server_url, "--from-db", str(a_db))
    assert again.returncode == 0 and "already registered" in again.stderr

    login_a = add_workstation(admin, clinic_id=clinic_id, name="ws-a")
    login_b = add_workstation(admin, clinic_id=clinic_id, name="ws-b")
    connected = run("sync", "connect", "--db", str(a_db), "--url",
                    _login_url(server_url, login_a), "--password-stdin",
                    stdin=login_a.password + "\n")
    assert connected.returncode == 0, connected.stderr
    first = run("sync", "--db", str(a_db))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("pushed ") and "pending 0" in first.stdout

    key_file = tmp_path / "field.key"
    exported = run("sync", "export-field-key", "--db", str(a_db), str(key_file))
    assert exported.returncode == 0, exported.stderr
    field_key = _field_key(a_db, key, clinic_id)
    assert field_key.hex() not in key_file.read_text() and field_key not in key_file.read_bytes()
    refused = run("sync", "join", "--db", str(b_db), "--url", _login_url(server_url, login_b),
                  "--password-stdin", stdin=login_b.password + "\n")
    assert refused.returncode == 1 and "--field-key-file" in refused.stderr

    joined = run("sync", "join", "--db", str(b_db), "--url", _login_url(server_url, login_b),
                 "--name", "Exam 2", "--field-key-file", str(key_file), "--password-stdin",
                 stdin=login_b.password + "\n")
    assert joined.returncode == 0, joined.stderr
    assert "pull:" in joined.stderr and "Joined" in joined.stderr
    assert _field_key(b_db, key, clinic_id) == field_key
    for db in (a_db, b_db, a_db):
        done = run("sync", "run", "--db", str(db))
        assert done.returncode == 0, done.stderr
        assert "pending 0" in done.stdout
    server_rows = snapshot(admin, clinic_id)
    assert len(server_rows["patients"]) == 2
    assert differences(_snapshot_of(a_db, key, clinic_id), server_rows) == []
    assert differences(_snapshot_of(b_db, key, clinic_id), server_rows) == []
    status = run("sync", "status", "--db", str(b_db))
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(": ", 1) for line in status.stdout.splitlines())
    assert lines["pending"] == "0" and lines["open conflicts"] == "0"
    assert lines["last error"] == "none" and lines["last success"] != "never"
    assert lines["server"] == _login_url(server_url, login_b)

    for text in outputs:
        for password in (login_a.password, login_b.password):
            assert password not in text
        assert field_key.hex() not in text
    for db in (a_db, b_db):
        assert login_a.password.encode() not in _file_bytes(db)
        assert login_b.password.encode() not in _file_bytes(db)


def test_an_interrupted_join_goes_on_when_run_again(
        env: dict[str, str], tmp_path: Path, key: bytes, admin: sa.Engine,
        server_url: str) -> None:
    a_db, b_db = tmp_path / "a.db", tmp_path / "b.db"
    clinic_id = _clinic_database(a_db, key)
    store_a = Store.open(a_db, key)
    with store_a.engine.connect() as connection:
        adopt_clinic(admin, dict(connection.execute(sa.select(Clinic.__table__))
                                  .mappings().one()))
    login_a = add_workstation(admin, clinic_id=clinic_id, name="ws-a")
    save_server_connection(store_a.engine, _login_url(server_url, login_a), login_a.password,
                           NO_KEYRING, passphrase=DB_PASSPHRASE)
    store_a.close()
    assert cli("sync", "--db", str(a_db), env=env).returncode == 0
    login_b = add_workstation(admin, clinic_id=clinic_id, name="ws-b")

    class Stopped(Exception):
        pass

    def stop_after_pull(phase: str, done: int, total: int) -> None:
        if phase == "pull":
            raise Stopped  # the process "dies" after the pulled rows were committed

    store_b = Store.open(b_db, key, create=True)
    upgrade(store_b.engine)
    login = make_url(_login_url(server_url, login_b)).set(drivername="postgresql+psycopg",
                                                           password=login_b.password)
    engine = sa.create_engine(login, poolclass=sa.pool.NullPool)
    with pytest.raises(Stopped):
        join_clinic(store_b.engine, engine, workstation_name="Exam 2",
                    progress=stop_after_pull)
    engine.dispose()
    with store_b.engine.connect() as connection:
        settings = dict(connection.execute(sa.text("SELECT key, value FROM local_settings"))
                        .all())
        cursor = connection.execute(sa.text("SELECT pulled_seq FROM sync_state")).scalar_one()
    store_b.close()
    assert "workstation_id" not in settings and cursor > 0  # pulled, not yet seated

    again = cli("sync", "join", "--db", str(b_db), "--url", _login_url(server_url, login_b),
                  "--name", "Exam 2", "--no-field-key", "--password-stdin", env=env,
                  stdin=login_b.password + "\n")
    assert again.returncode == 0, again.stderr
    # A finished join run once more only syncs.
    assert cli("sync", "join", "--db", str(b_db), "--url", _login_url(server_url, login_b),
                 "--no-field-key", "--password-stdin", env=env,
                 stdin=login_b.password + "\n").returncode == 0
    assert cli("sync", "--db", str(a_db), env=env).returncode == 0
    server_rows = snapshot(admin, clinic_id)
    assert differences(_snapshot_of(a_db, key, clinic_id), server_rows) == []
    assert differences(_snapshot_of(b_db, key, clinic_id), server_rows) == []
    assert len(server_rows["workstations"]) == 2  # A's and B's seats


def test_run_with_the_server_down_exits_1_with_a_clear_message(
        env: dict[str, str], tmp_path: Path, key: bytes) -> None:
    db = tmp_path / "a.db"
    _clinic_database(db, key)
    store = Store.open(db, key)
    save_server_connection(store.engine, "postgresql://ws_a@127.0.0.1:1/clinic",
                           "Never-Printed-Pw", NO_KEYRING, passphrase=DB_PASSPHRASE)
    store.close()
    down = cli("sync", "run", "--db", str(db), env=env)
    assert down.returncode == 1
    assert "could not be reached" in down.stderr and "Nothing was lost" in down.stderr
    assert "Traceback" not in down.stderr and "Never-Printed-Pw" not in down.stderr
    assert down.stdout == ""
    status = cli("sync", "status", "--db", str(db), env=env)
    assert status.returncode == 0
    assert "last error: The clinic server could not be reached." in status.stdout
    assert "last success: never" in status.stdout
    missing = cli("sync", "--db", str(tmp_path / "none.db"), env=env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    # A database with no server configured says what to do.
    plain = tmp_path / "plain.db"
    _clinic_database(plain, key, "Clinic P")
    unset = cli("sync", "--db", str(plain), env=env)
    assert unset.returncode == 1 and "sync connect" in unset.stderr


def _field_key(path: Path, key: bytes, clinic_id: uuid.UUID) -> bytes:
    store = Store.open(path, key)
    try:
        with store.engine.connect() as connection:
            return bytes.fromhex(connection.execute(
                sa.text("SELECT value FROM local_settings WHERE key = :key"),
                {"key": f"field_key:{clinic_id}"}).scalar_one())
    finally:
        store.close()


def test_audit_verify_with_the_server_finds_entries_cut_after_they_were_anchored(
        env: dict[str, str], tmp_path: Path, key: bytes, admin: sa.Engine,
        server_url: str) -> None:
    db = tmp_path / "a.db"
    clinic_id = _clinic_database(db, key)
    assert cli("server", "add-clinic", "--url", server_url, "--from-db", str(db),
               env=env).returncode == 0
    login = add_workstation(admin, clinic_id=clinic_id, name="ws-a")
    assert cli("sync", "connect", "--db", str(db), "--url", _login_url(server_url, login),
               "--password-stdin", env=env, stdin=login.password + "\n").returncode == 0
    synced_up = cli("sync", "--db", str(db), env=env)  # the chain goes up, its head anchored
    assert synced_up.returncode == 0, synced_up.stderr
    checked = cli("audit", "verify", "--db", str(db), "--server", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "anchored 1 of this database's chain(s)" in checked.stderr
    assert "intact" in checked.stdout

    with admin.connect() as connection:  # what the server anchored of this workstation
        workstation_id, anchored_seq = connection.execute(sa.text(
            "SELECT workstation_id, max(seq) FROM medtrack_server.audit_anchors "
            "WHERE clinic_id = :clinic GROUP BY workstation_id"), {"clinic": clinic_id}).one()
    # Someone with the key and a SQL shell removes the newest entries, the anchored one too.
    connection = connect_raw(db, key)
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute("DELETE FROM audit_log WHERE workstation_id = ? AND seq >= ?",
                       (workstation_id.hex, anchored_seq - 1))
    connection.close()
    assert cli("audit", "verify", "--db", str(db), env=env).returncode == 0, (
        "the chain that is left is intact: alone it cannot show its cut tail")
    cut = cli("audit", "verify", "--db", str(db), "--server", env=env)
    assert cut.returncode == 1
    assert "newest entries are missing" in cut.stdout
    assert "does not verify" in cut.stderr

    elsewhere = tmp_path / "never-synced.db"
    _clinic_database(elsewhere, key, name="Clinic B")
    unconnected = cli("audit", "verify", "--db", str(elsewhere), "--server", env=env)
    assert unconnected.returncode == 1 and "No clinic server is set" in unconnected.stderr
