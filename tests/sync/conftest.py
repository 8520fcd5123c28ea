"""A clinic server on the suite's real PostgreSQL, set up by ``server_setup``, with two clinics
and a workstation login of each (see ``server_data``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from server_data import ClinicServer, fill_clinic
from sqlalchemy.engine import make_url
from sync_fixtures import admin, pair, server_url  # noqa: F401 (fixtures for tests/sync)

from medtrack_desktop.store.engine import Store
from medtrack_desktop.sync.server_setup import add_workstation


@pytest.fixture
def clinic_server(server_url: str, admin: sa.Engine  # noqa: F811 (the fixtures)
                  ) -> ClinicServer:
    """The server set up, two clinics filled, a workstation login for each."""
    store = Store(admin)
    clinic_a = fill_clinic(store, "Clinic A")
    clinic_b = fill_clinic(store, "Clinic B")
    login_a = add_workstation(admin, clinic_id=clinic_a, name="front-a")
    login_b = add_workstation(admin, clinic_id=clinic_b, name="front-b")
    return ClinicServer(server_url, admin, clinic_a, clinic_b, login_a, login_b)


@pytest.fixture
def as_a(clinic_server: ClinicServer) -> Iterator[sa.Engine]:
    """Clinic A's workstation login, as a plain engine (hand-written SQL)."""
    engine = sa.create_engine(
        make_url(clinic_server.login_url(clinic_server.login_a)).set(
            drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


_SCRAM_HBA = """\
local all postgres trust
local all all scram-sha-256
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


@pytest.fixture(scope="session")
def scram_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL of its own that checks passwords (SCRAM) of every role but the
    administrator's: the suite's shared server trusts every local login."""
    pgserver = pytest.importorskip("pgserver")
    data = tmp_path_factory.mktemp("scram-pgdata")
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        (data / "pg_hba.conf").write_text(_SCRAM_HBA, encoding="utf-8")
        admin = sa.create_engine(make_url(server.get_uri()).set(drivername="postgresql+psycopg"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT pg_reload_conf()")
            connection.exec_driver_sql("CREATE DATABASE clinic")
        admin.dispose()
        yield make_url(server.get_uri()).set(database="clinic").render_as_string(
            hide_password=False)
    finally:
        server.cleanup()
