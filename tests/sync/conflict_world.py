"""Real conflicts for the conflict review tests: two workstations (SQLCipher files) change the
same thing offline, then sync through the suite's PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from demo_users import sign_in
from server_data import MONDAY, ZONE
from sync_world import (
    Workstation,
    differences,
    snapshot,
)

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.sync.round import local_identity
from medtrack_desktop.sync.tables import synced


def edit(workstation: Workstation, table_name: str, row_id: uuid.UUID, **values: Any) -> None:
    """Change a row on the workstation as a service would: new values, version + 1."""
    table = synced(table_name).table
    with workstation.store.engine.begin() as connection:
        connection.execute(sa.update(table).where(table.c.id == row_id).values(
            version=table.c.version + 1, updated_at=utcnow(), **values))


def row_of(engine: sa.Engine, table_name: str, row_id: uuid.UUID) -> dict[str, Any] | None:
    table = synced(table_name).table
    with engine.connect() as connection:
        row = connection.execute(sa.select(table).where(table.c.id == row_id)).mappings().first()
    return dict(row) if row is not None else None


def first_patient(workstation: Workstation) -> uuid.UUID:
    table = synced("patients").table
    with workstation.store.engine.connect() as connection:
        return connection.execute(sa.select(table.c.id).order_by(table.c.mrn).limit(1)
                                  ).scalar_one()


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


def converged(admin: sa.Engine, *workstations: Workstation) -> None:
    with workstations[0].store.engine.connect() as connection:
        clinic_id = local_identity(connection).clinic_id
    server = snapshot(admin, clinic_id)
    for workstation in workstations:
        assert differences(snapshot(workstation.store.engine, clinic_id), server) == [], \
            workstation.name


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


def book_the_same_slot(workstation: Workstation) -> uuid.UUID:
    """Monday 10:30 with the clinic's only provider, booked by the front desk."""
    desk = sign_in(workstation.store, "desk")
    with workstation.store.engine.connect() as connection:
        appointment = connection.execute(sa.text(
            "SELECT patient_id, provider_id, facility_id, category_id FROM appointments")
        ).mappings().first()
    assert appointment is not None
    return perform(workstation.store, desk, book_appointment, booking=Booking(
        patient_id=uuid.UUID(appointment["patient_id"]),
        provider_id=uuid.UUID(appointment["provider_id"]),
        facility_id=uuid.UUID(appointment["facility_id"]),
        category_id=uuid.UUID(appointment["category_id"]),
        starts_at=datetime.combine(MONDAY, time(10, 30), ZONE))).id
