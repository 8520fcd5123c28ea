"""``medtrack-admin server …`` run as a real subprocess against the real PostgreSQL: exit codes,
what goes to stdout and stderr, and that no password is ever printed but the new login's, once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from medtrack_desktop.sync.server_setup import list_workstations

pytestmark = pytest.mark.postgres

ADMIN_PASSWORD = "Adm1n-Secret-Pw"  # the test server trusts local logins: carried, never checked


def admin(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medtrack_desktop.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=180, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    clean.update(MEDTRACK_CONFIG=str(tmp_path / "absent.toml"),
                 PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return clean


def test_every_server_command_has_help(env: dict[str, str]) -> None:
    listed = admin("server", "--help", env=env)
    assert listed.returncode == 0
    for action in ("init", "add-workstation", "revoke-workstation", "list-workstations"):
        assert action in listed.stdout
        shown = admin("server", action, "--help", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "--url" in shown.stdout and "--password-stdin" in shown.stdout
    assert "server" in admin("--help", env=env).stdout


def test_wrong_usage_exits_2_and_a_refusal_exits_1(env: dict[str, str], server_url: str) -> None:
    assert admin("server", "init", env=env).returncode == 2  # no --url
    assert admin("server", "add-workstation", "--url", server_url, "--clinic", "not-a-uuid",
                 "ws1", env=env).returncode == 2
    for url, reason in (("sqlite:///x.db", "PostgreSQL"), ("nonsense", "not a database URL")):
        refused = admin("server", "init", "--url", url, env=env)
        assert (refused.returncode, refused.stdout) == (1, "")
        assert reason in refused.stderr
    unreachable = make_url(server_url).set(username="nobody_here", password=ADMIN_PASSWORD)
    refused = admin("server", "list-workstations", "--url",
                    unreachable.render_as_string(hide_password=False), env=env)
    assert refused.returncode == 1
    assert "Cannot connect to the clinic server" in refused.stderr
    assert ADMIN_PASSWORD not in refused.stderr + refused.stdout


def test_init_add_list_revoke_from_the_command_line(env: dict[str, str], server_url: str) -> None:
    url = make_url(server_url).set(password=ADMIN_PASSWORD).render_as_string(hide_password=False)
    outputs: list[str] = []

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = admin("server", *args, env=env, stdin=stdin)
        outputs.append(done.stdout + done.stderr)
        return done

    first = run("init", "--url", url, "--clinic", "Lakeside Family Practice")
    assert first.returncode == 0, first.stderr
    clinic = uuid.UUID(first.stdout.strip())
    assert "registered" in first.stderr and "row-level security" in first.stderr
    # Again, its password from standard input instead: the same clinic, nothing broken.
    bare = make_url(server_url).set(password=None).render_as_string(hide_password=False)
    again = run("init", "--url", bare, "--password-stdin", "--clinic",
                "Lakeside Family Practice", stdin=ADMIN_PASSWORD + "\n")
    assert again.returncode == 0, again.stderr
    assert uuid.UUID(again.stdout.strip()) == clinic
    assert "already registered" in again.stderr

    added = admin("server", "add-workstation", "--url", url, "--clinic", str(clinic),
                  "Front-1", env=env)
    assert added.returncode == 0, added.stderr
    settings = dict(line.split("=", 1) for line in added.stdout.splitlines())
    assert set(settings) == {"host", "port", "database", "role", "password"}
    assert settings["database"] == make_url(server_url).database
    assert settings["role"].endswith("_ws_front_1")
    assert "shown this once" in added.stderr and settings["password"] not in added.stderr
    assert run("add-workstation", "--url", url, "--clinic", str(clinic),
               "front-1").returncode == 1  # the name is taken
    assert run("add-workstation", "--url", url, "--clinic", str(uuid.uuid4()),
               "front-2").returncode == 1  # no such clinic

    # The printed settings let the workstation in, to its clinic.
    login = make_url(server_url).set(drivername="postgresql+psycopg",
                                     username=settings["role"], password=settings["password"])
    engine = sa.create_engine(login, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT id FROM clinics").scalars().all() == [
                clinic]
        listed = run("list-workstations", "--url", url)
        assert listed.returncode == 0
        assert "front_1" in listed.stdout and "active" in listed.stdout
        revoked = run("revoke-workstation", "--url", url, "front-1")
        assert revoked.returncode == 0, revoked.stderr
        with pytest.raises(sa.exc.OperationalError), engine.connect():
            pass
    finally:
        engine.dispose()
    assert "revoked" in run("list-workstations", "--url", url).stdout
    assert run("revoke-workstation", "--url", url, "nobody").returncode == 1
    # No output but add-workstation's stdout ever held a password.
    for text in [*outputs, added.stderr]:
        assert settings["password"] not in text
        assert ADMIN_PASSWORD not in text
    admin_engine = sa.create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        assert [entry.name for entry in list_workstations(admin_engine)] == ["front_1"]
    finally:
        admin_engine.dispose()
