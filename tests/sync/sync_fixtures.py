"""The sync tests' fixtures, shared by ``tests/sync`` and the pages over them (imported by
their conftest files): an empty database on the suite's PostgreSQL, the clinic server set up on
it, and two workstations in step through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from server_data import drop_roles
from sqlalchemy.engine import make_url
from sync_world import Workstation, make_pair

from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.server_setup import prepare_server


@pytest.fixture
def server_url(pg_url: str) -> Iterator[str]:
    """An empty database on the test server; its roles are dropped afterwards."""
    yield make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    drop_roles(pg_url, str(make_url(pg_url).database))


@pytest.fixture
def admin(server_url: str) -> Iterator[sa.Engine]:
    """The server set up (``server init``), as its administrator."""
    engine = open_server_engine(server_url)
    prepare_server(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pair(tmp_path: Path, admin: sa.Engine, server_url: str
         ) -> Iterator[tuple[Workstation, Workstation]]:
    """Workstation ``a`` made the clinic; ``b`` joined it; both in step."""
    a, b = make_pair(tmp_path, admin, server_url)
    yield a, b
    a.close()
    b.close()
