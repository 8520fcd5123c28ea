"""Shared fixtures: real SQLCipher files, a real throwaway PostgreSQL, offscreen Qt.

No fixture changes global state beyond what pytest's ``monkeypatch`` restores, except that Qt
is told to render offscreen (the suite runs on machines without a screen).
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from medtrack_desktop.demo import create_demo_database
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade
from medtrack_desktop.store.server import open_server_engine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO_TODAY = date(2026, 11, 25)
DEMO_PATIENTS = 40


@pytest.fixture(scope="session", autouse=True)
def _icd10_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ICD-10-CM index cache in a session temp dir, never ~/.cache (made once per run)."""
    directory = tmp_path_factory.mktemp("icd10-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDTRACK_CACHE_DIR", str(directory))
        yield directory


@pytest.fixture(autouse=True)
def _heap_unfrozen() -> Iterator[None]:
    """A test that signs in leaves its session's objects frozen (the shell's ``gc.freeze``):
    let the garbage collector have them again before the next test."""
    yield
    gc.unfreeze()


@pytest.fixture
def db_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def env_key(monkeypatch: pytest.MonkeyPatch, db_key: bytes) -> bytes:
    """The key handed over through ``MEDTRACK_DB_KEY`` (automation path)."""
    monkeypatch.setenv("MEDTRACK_DB_KEY", db_key.hex())
    return db_key


@pytest.fixture
def store(tmp_path: Path, db_key: bytes) -> Iterator[Store]:
    """A new, migrated, empty workstation database."""
    opened = Store.open(tmp_path / "workstation.db", db_key, create=True)
    upgrade(opened.engine)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A small demo clinic built once per run; tests get their own copy."""
    key = secrets.token_bytes(32)
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    create_demo_database(path, key, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    return path, key


@pytest.fixture
def demo_db(tmp_path: Path, demo_template: tuple[Path, bytes]) -> tuple[Path, bytes]:
    """A private copy of the demo database: (path, key)."""
    source, key = demo_template
    target = tmp_path / "demo.db"
    shutil.copyfile(source, target)
    return target, key


@pytest.fixture
def demo_store(demo_db: tuple[Path, bytes]) -> Iterator[Store]:
    path, key = demo_db
    opened = Store.open(path, key)
    yield opened
    opened.close()


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL: ``MEDTRACK_TEST_PG_URL`` if given, else a throwaway pgserver.

    Under pytest-xdist each worker has a basetemp of its own (``.../popen-gw0``), hence its own
    data directory and Unix socket: a server per worker. Workers sharing ``MEDTRACK_TEST_PG_URL``
    do not collide either: every test gets a database of its own (``pg_url``), and the roles the
    sync tests make carry that database's name."""
    given = os.environ.get("MEDTRACK_TEST_PG_URL")
    if given:
        yield given
        return
    pgserver = pytest.importorskip("pgserver")
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards)."""
    base = make_url(pg_server_url).set(drivername="postgresql+psycopg")
    name = f"medtrack_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated, empty clinic-server database, as a ``Store`` the services run on."""
    engine = open_server_engine(pg_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()
