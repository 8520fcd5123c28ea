"""``medtrack-admin server demo``: sync tried on one machine — a throwaway local clinic server
(pgserver) and two demo workstations, A and B, that sync with each other through it.

Everything lives in one directory of the user's data dir (``sync-demo/``): the server's data
(``server/``), ``workstation-a.db`` (the demo clinic, built as ``medtrack-admin demo`` builds
it) and ``workstation-b.db`` (joined from the server). Run again, it reuses them: the server
keeps what A and B pushed, and each database keeps its connection. The demo's logins and keys
are protected as any workstation's (OS keyring, else the documented demo passphrase): demo data
only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import URL, make_url

from medtrack_desktop.config import DEMO_KEY_PASSPHRASE
from medtrack_desktop.demo import create_demo_database
from medtrack_desktop.domain.identity.field_keys import field_key_setting
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import StoreError
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.connection import (
    open_clinic_server,
    save_server_connection,
    server_url_of,
    without_password,
)
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.round import local_identity, sync_round
from medtrack_desktop.sync.server_setup import (
    add_workstation,
    adopt_clinic,
    list_workstations,
    prepare_server,
    workstation_name,
)

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

DEMO_DATABASE = "medtrack_demo"
Say = Callable[[str], None]


class DemoServerError(StoreError):
    """The demo cannot be set up as it stands; the message says what to do."""


@dataclass(frozen=True)
class DemoWorkstation:
    login: str  # the server login's name: demo-a, demo-b
    name: str  # the workstation's name in the clinic
    path: Path


@dataclass(frozen=True)
class DemoClinic:
    clinic_id: uuid.UUID
    clinic_name: str
    workstations: tuple[DemoWorkstation, ...]


def demo_directory(data_dir: Path) -> Path:
    return data_dir / "sync-demo"


def start_demo_server(directory: Path) -> PostgresServer:
    """The throwaway PostgreSQL of the demo (its data under ``directory/server``); stopped by
    its ``cleanup()``."""
    import pgserver  # only the demo needs it; a workstation never starts a server

    (directory / "server").mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(directory / "server", cleanup_mode="stop")


def stop_demo_server(server: PostgresServer) -> None:
    """Stop the demo server unless another live process still uses it. pgserver counts the
    processes that opened it in a list on disk; a demo killed outright stays on it and would
    keep the server running forever, so the dead are struck off first."""
    import psutil  # pgserver's own dependency

    handles = server.global_process_id_list
    handles.put([pid for pid in handles.get() if psutil.pid_exists(pid)])
    server.cleanup()


def build_demo_clinic(server_uri: str, directory: Path, keys: KeyStore, *, patients: int,
                      today: date, say: Say | None = None,
                      database: str = DEMO_DATABASE) -> DemoClinic:
    """On the PostgreSQL at ``server_uri`` (an administrator's): the clinic server set up in
    ``database`` (made if missing), workstation A with the demo clinic pushed to it, B joined
    from it, both in step."""
    tell = say or (lambda _message: None)
    admin_url = _demo_database(server_uri, database)
    admin = open_server_engine(admin_url.render_as_string(hide_password=False))
    try:
        prepare_server(admin)
        a = DemoWorkstation("demo-a", "Exam 1", directory / "workstation-a.db")
        b = DemoWorkstation("demo-b", "Exam 2", directory / "workstation-b.db")
        store_a = _demo_workstation_a(a.path, keys, patients=patients, today=today, say=tell)
        try:
            with store_a.engine.connect() as connection:
                clinic_id = local_identity(connection).clinic_id
                clinic = connection.execute(select(Clinic.__table__).where(
                    Clinic.id == clinic_id)).mappings().one()
                field_key = bytes.fromhex(connection.execute(
                    text("SELECT value FROM local_settings WHERE key = :key"),
                    {"key": field_key_setting(clinic_id)}).scalar_one())
            if adopt_clinic(admin, dict(clinic)):
                tell(f"Clinic {clinic['name']!r} registered on the demo server.")
            known = {entry.name for entry in list_workstations(admin)}
            _connect(admin, admin_url, store_a, a, clinic_id, keys, known)
            tell("Workstation A pushes the clinic to the server…")
            _round(store_a, keys)
            store_b = _open_or_create(b.path, keys)
            try:
                _connect(admin, admin_url, store_b, b, clinic_id, keys, known)
                if _seated(store_b):
                    _round(store_b, keys)
                else:
                    tell("Workstation B joins the clinic from the server…")
                    server = _server(store_b, keys)
                    try:
                        join_clinic(store_b.engine, server, workstation_name=b.name,
                                    field_key=field_key)
                    finally:
                        server.dispose()
            finally:
                store_b.close()
            _round(store_a, keys)  # A learns of B's seat
        finally:
            store_a.close()
    finally:
        admin.dispose()
    return DemoClinic(clinic_id, str(clinic["name"]), (a, b))


def _demo_database(server_uri: str, database: str) -> URL:
    """The demo's clinic database on the server (made once), as the administrator's URL."""
    base = make_url(server_uri).set(drivername="postgresql+psycopg")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(d)s",
                                          {"d": database}).first() is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    finally:
        engine.dispose()
    return base.set(drivername="postgresql", database=database)


def _demo_workstation_a(path: Path, keys: KeyStore, *, patients: int, today: date,
                        say: Say) -> Store:
    if not path.exists():
        say(f"Building the demo clinic ({patients} patients) for workstation A…")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = keys.create(path, passphrase=DEMO_KEY_PASSPHRASE)
        create_demo_database(path, key, patients=patients, today=today)
    return _open(path, keys)


def _open(path: Path, keys: KeyStore) -> Store:
    key = keys.load(path, passphrase=DEMO_KEY_PASSPHRASE)
    return open_workstation_store(path, key, backup_dir=path.parent / "backups")


def _open_or_create(path: Path, keys: KeyStore) -> Store:
    if path.exists():
        return _open(path, keys)
    key = keys.create(path, passphrase=DEMO_KEY_PASSPHRASE)
    return open_workstation_store(path, key, backup_dir=path.parent / "backups", create=True)


def _connect(admin: Engine, admin_url: URL, store: Store, workstation: DemoWorkstation,
             clinic_id: uuid.UUID, keys: KeyStore, known: set[str]) -> None:
    """Give ``workstation`` its login (once) and save the connection in its database."""
    if workstation_name(workstation.login) in known:
        try:
            _server(store, keys).dispose()
        except StoreError:
            raise DemoServerError(
                f"The demo server knows {workstation.login} but {workstation.path.name} "
                "holds no password for it; start the demo afresh (--fresh).") from None
        return
    if server_url_of(store.engine) is not None:
        # Its pushes went to a demo server that is gone: a new one would never get them.
        raise DemoServerError(
            f"{workstation.path.name} synced with an earlier demo server that is gone; start "
            "the demo afresh (--fresh).")
    login = add_workstation(admin, clinic_id=clinic_id, name=workstation.login)
    url = without_password(admin_url.set(username=login.role))
    save_server_connection(store.engine, url.render_as_string(hide_password=True),
                           login.password, keys, passphrase=DEMO_KEY_PASSPHRASE)


def _server(store: Store, keys: KeyStore) -> Engine:
    server = open_clinic_server(store.engine, keys, passphrase=DEMO_KEY_PASSPHRASE)
    if server is None:
        raise DemoServerError("A demo workstation has no server connection.")
    return server


def _round(store: Store, keys: KeyStore) -> None:
    server = _server(store, keys)
    try:
        sync_round(store.engine, server)
    finally:
        server.dispose()


def _seated(store: Store) -> bool:
    with store.engine.connect() as connection:
        return connection.execute(text(
            "SELECT 1 FROM local_settings WHERE key = 'workstation_id'")).first() is not None
