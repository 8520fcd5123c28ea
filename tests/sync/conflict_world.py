"""Real conflicts for the conflict review tests: two workstations (SQLCipher files) change the
same thing offline, then sync through the suite's PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sync_world import Workstation, edit, first_patient

from medtrack_desktop.sync.tables import synced


def user_id(workstation: Workstation, username: str) -> uuid.UUID:
    table = synced("users").table
    with workstation.store.engine.connect() as connection:
        return connection.execute(sa.select(table.c.id).where(
            table.c.username == username)).scalar_one()


def conflicts(engine: sa.Engine) -> list[dict[str, Any]]:
    table = synced("sync_conflicts").table
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            sa.select(table).order_by(table.c.created_at)).mappings()]


def patient_conflict(a: Workstation, b: Workstation) -> tuple[uuid.UUID, uuid.UUID]:
    """The same patient's email changed on both, and a note on ``b``: ``a`` syncs first, so
    ``b``'s change is kept as a conflict; a round on each brings it everywhere. Returns the
    patient and the conflict."""
    patient = first_patient(a)
    edit(a, "patients", patient, email="first@example.org")
    edit(b, "patients", patient, email="second@example.org", notes="walks with a cane")
    a.sync()
    assert b.sync().conflicts == 1
    a.sync()
    (conflict,) = conflicts(b.store.engine)
    return patient, conflict["id"]
