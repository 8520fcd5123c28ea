"""Sync rounds between real workstations (SQLCipher files) and the suite's real PostgreSQL,
each workstation on its own login."""

from __future__ import annotations

from collections.abc import Iterator
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sync_world import (
    Workstation,
    differences,
    field_key_of,
    first_workstation,
    joining_workstation,
    snapshot,
)

from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.round import local_identity
from medtrack_desktop.sync.server_setup import prepare_server


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


def test_a_clinic_made_offline_reaches_the_server_and_a_new_workstation(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    a.sync()
    clinic_id = _clinic(a)
    server = snapshot(admin, clinic_id)
    assert len(server["patients"]) == 2
    assert differences(snapshot(a.store.engine, clinic_id), server) == []
    assert differences(snapshot(b.store.engine, clinic_id), server) == []


def _clinic(workstation: Workstation) -> uuid.UUID:
    with workstation.store.engine.connect() as connection:
        return local_identity(connection).clinic_id
