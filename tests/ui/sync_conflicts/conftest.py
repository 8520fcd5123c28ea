"""Two real workstations with a real conflict between them (the sync tests' world, through the
suite's PostgreSQL), for the Sync conflicts page."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

# The sync tests' helpers (sync_world, conflict_world, server_data) live in tests/sync, which
# pytest puts on the path itself whenever it collects a test there (its "prepend" import mode).
_SYNC_TESTS = str(Path(__file__).resolve().parents[2] / "sync")
if _SYNC_TESTS not in sys.path:
    sys.path.insert(0, _SYNC_TESTS)

from server_data import drop_roles  # noqa: E402
from sync_world import (  # noqa: E402
    Workstation,
    field_key_of,
    first_workstation,
    joining_workstation,
)

from medtrack_desktop.store.server import open_server_engine  # noqa: E402
from medtrack_desktop.sync.server_setup import prepare_server  # noqa: E402


@pytest.fixture
def server_url(pg_url: str) -> Iterator[str]:
    yield make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    drop_roles(pg_url, str(make_url(pg_url).database))


@pytest.fixture
def admin(server_url: str) -> Iterator[sa.Engine]:
    engine = open_server_engine(server_url)
    prepare_server(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pair(tmp_path: Path, admin: sa.Engine, server_url: str
         ) -> Iterator[tuple[Workstation, Workstation]]:
    a, clinic_id = first_workstation(tmp_path, admin, server_url, "a")
    a.sync()
    b = joining_workstation(tmp_path, admin, server_url, clinic_id,
                            field_key_of(a.store, clinic_id), "b")
    yield a, b
    a.close()
    b.close()
