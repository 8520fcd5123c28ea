"""Where a workstation's clinic server is kept: the address in the workstation database, the
login's password in the OS keyring or sealed under a passphrase — never in clear — on a real
SQLCipher file and the suite's real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from keyring.backends import fail
from keyrings import MemoryKeyring
from sqlalchemy.engine import make_url
from sync_world import Workstation, first_workstation

from medtrack_desktop.store.errors import PassphraseRequired, WrongPassphrase
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.connection import (
    KEYRING_SERVICE,
    PASSWORD_ENV,
    ServerConnectionError,
    forget_server_connection,
    keyring_user,
    open_clinic_server,
    parse_server_url,
    save_server_connection,
    server_url_of,
)
from medtrack_desktop.sync.round import sync_round
from medtrack_desktop.sync.server_setup import prepare_server

pytestmark = pytest.mark.postgres






@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def workstation(tmp_path: Path, server_url: str) -> Iterator[tuple[Workstation, str, str]]:
    """Workstation A of a clinic adopted by the server: (it, its login URL without the
    password, the password)."""
    admin = open_server_engine(server_url)
    prepare_server(admin)
    a, _clinic = first_workstation(tmp_path, admin, server_url, "a")
    login = a.server.url
    password = str(login.password)
    address = make_url(server_url).set(username=login.username)
    bare = sa.engine.URL.create("postgresql", username=address.username, host=address.host,
                                port=address.port, database=address.database,
                                query=address.query)
    yield a, bare.render_as_string(hide_password=False), password
    a.close()
    admin.dispose()


def _file_bytes(path: Path) -> bytes:
    return b"".join(Path(f"{path}{suffix}").read_bytes()
                    for suffix in ("", "-wal", "-journal") if Path(f"{path}{suffix}").exists())


def test_saved_in_the_keyring_and_read_back(workstation: tuple[Workstation, str, str]) -> None:
    a, url, password = workstation
    engine = a.store.engine
    memory = MemoryKeyring()
    keys = KeyStore(keyring_backend=memory, environ={})
    assert server_url_of(engine) is None
    assert open_clinic_server(engine, keys) is None

    save_server_connection(engine, url, password, keys)
    assert server_url_of(engine) == url
    entry = (KEYRING_SERVICE, keyring_user(parse_server_url(url)))
    assert memory.secrets == {entry: password}
    server = open_clinic_server(engine, keys)
    assert server is not None
    try:
        assert server.url.get_driver_name() == "psycopg"
        assert server.url.query["connect_timeout"] == "5"
        for shown in (str(server.url), repr(server), repr(server.url)):
            assert password not in shown
        summary = sync_round(engine, server)
        assert summary.pending == 0
    finally:
        server.dispose()
    with engine.connect() as connection:
        settings = dict(connection.execute(
            sa.text("SELECT key, value FROM local_settings")).all())
    assert not any(password in str(value) for value in settings.values())
    assert a.store.path is not None
    assert password.encode() not in _file_bytes(a.store.path)

    forget_server_connection(engine, keys)
    assert server_url_of(engine) is None
    assert memory.secrets == {}


def test_without_a_keyring_the_password_is_sealed_under_a_passphrase(
        workstation: tuple[Workstation, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    a, url, password = workstation
    engine = a.store.engine
    keys = KeyStore(keyring_backend=fail.Keyring(), environ={})
    with pytest.raises(PassphraseRequired):
        save_server_connection(engine, url, password, keys)
    assert server_url_of(engine) is None  # nothing half saved
    save_server_connection(engine, url, password, keys, passphrase="correct horse battery")
    with pytest.raises(PassphraseRequired):
        open_clinic_server(engine, keys)
    with pytest.raises(WrongPassphrase):
        open_clinic_server(engine, keys, passphrase="wrong")
    server = open_clinic_server(engine, keys, passphrase="correct horse battery")
    assert server is not None
    assert server.url.password == password
    server.dispose()
    with engine.connect() as connection:
        sealed = connection.execute(sa.text(
            "SELECT value FROM local_settings WHERE key = 'sync.server_password'")).scalar_one()
    assert password not in sealed
    # The environment overrides every kept password (automation).
    monkeypatch.setenv(PASSWORD_ENV, "from-the-environment")
    server = open_clinic_server(engine, keys)
    assert server is not None and server.url.password == "from-the-environment"
    server.dispose()
    # Saved again with a keyring: the sealed copy goes.
    save_server_connection(engine, url, password, KeyStore(keyring_backend=MemoryKeyring(),
                                                           environ={}))
    with engine.connect() as connection:
        assert connection.execute(sa.text(
            "SELECT count(*) FROM local_settings WHERE key = 'sync.server_password'")
        ).scalar_one() == 0


@pytest.mark.parametrize(("url", "reason"), [
    ("sqlite:///x.db", "PostgreSQL"),
    ("not a url", "not a database URL"),
    ("postgresql://ws:secret-pw@db.example.org/clinic", "must not carry the password"),
    ("postgresql://ws@db.example.org/clinic?password=secret-pw", "must not carry the password"),
    ("postgresql://ws@/clinic", "needs a host"),
    ("postgresql://ws@db.example.org/", "name the clinic's database"),
    ("postgresql://db.example.org/clinic", "login"),
])
def test_an_unusable_address_is_refused_without_echoing_a_secret(url: str, reason: str) -> None:
    with pytest.raises(ServerConnectionError) as refused:
        parse_server_url(url)
    assert reason in str(refused.value)
    assert "secret-pw" not in str(refused.value)


def test_addresses_kept_as_given() -> None:
    tls = parse_server_url("postgresql+psycopg://ws@db.example.org:6543/clinic?sslmode=verify-full")
    assert tls.render_as_string() == \
        "postgresql://ws@db.example.org:6543/clinic?sslmode=verify-full"
    assert keyring_user(tls) == "ws@db.example.org:6543/clinic"
    socket = parse_server_url("postgresql://ws@/clinic?host=/run/postgresql")
    assert keyring_user(socket) == "ws@/run/postgresql:5432/clinic"


def test_sslmode_reaches_the_driver(workstation: tuple[Workstation, str, str]) -> None:
    a, url, password = workstation
    keys = KeyStore(keyring_backend=MemoryKeyring(), environ={})
    with_tls = make_url(url).update_query_dict({"sslmode": "disable"})
    save_server_connection(a.store.engine, with_tls.render_as_string(), password, keys)
    server = open_clinic_server(a.store.engine, keys)
    assert server is not None
    try:
        assert server.url.query["sslmode"] == "disable"
        with server.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        server.dispose()
