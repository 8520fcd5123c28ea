"""Workstations and a clinic server for the sync tests: real SQLCipher files, the suite's real
PostgreSQL, each workstation on its own PostgreSQL login (row-level security applies)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from demo_users import sign_in
from server_data import MONDAY, ZONE, fill_clinic
from sqlalchemy.engine import make_url

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.field_keys import field_key_setting
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.round import RoundSummary, local_identity, sync_round
from medtrack_desktop.sync.server_setup import add_workstation, adopt_clinic
from medtrack_desktop.sync.tables import synced, synced_tables
from medtrack_desktop.sync.wire import encode_row


@dataclass
class Workstation:
    name: str
    store: Store
    server: sa.Engine

    def sync(self) -> RoundSummary:
        return sync_round(self.store.engine, self.server)

    def close(self) -> None:
        self.store.close()
        self.server.dispose()


def login_engine(admin_url: str, role: str, password: str) -> sa.Engine:
    url = make_url(admin_url).set(drivername="postgresql+psycopg", username=role,
                                  password=password)
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def new_store(path: Path) -> Store:
    store = Store.open(path, uuid.uuid4().bytes + uuid.uuid4().bytes, create=True)
    upgrade(store.engine)
    return store


def first_workstation(tmp: Path, admin: sa.Engine, admin_url: str, name: str = "a"
                      ) -> tuple[Workstation, uuid.UUID]:
    """A workstation that made its clinic (staff, patients, a booking) before the server
    knew it; the clinic adopted by the server and the workstation given a login."""
    store = new_store(tmp / f"{name}.db")
    clinic_id = fill_clinic(store, "Clinic A", keep_seat=True)
    with store.engine.connect() as connection:
        clinic = connection.execute(sa.select(Clinic.__table__)).mappings().one()
    adopt_clinic(admin, dict(clinic))
    login = add_workstation(admin, clinic_id=clinic_id, name=name)
    return Workstation(name, store, login_engine(admin_url, login.role, login.password)), \
        clinic_id


def joining_workstation(tmp: Path, admin: sa.Engine, admin_url: str, clinic_id: uuid.UUID,
                        field_key: bytes, name: str) -> Workstation:
    store = new_store(tmp / f"{name}.db")
    login = add_workstation(admin, clinic_id=clinic_id, name=name)
    server = login_engine(admin_url, login.role, login.password)
    join_clinic(store.engine, server, workstation_name=name, field_key=field_key)
    return Workstation(name, store, server)


def field_key_of(store: Store, clinic_id: uuid.UUID) -> bytes:
    with store.engine.connect() as connection:
        return bytes.fromhex(connection.execute(
            sa.text("SELECT value FROM local_settings WHERE key = :key"),
            {"key": field_key_setting(clinic_id)}).scalar_one())


def snapshot(engine: sa.Engine, clinic_id: uuid.UUID) -> dict[str, dict[Any, Any]]:
    """Every synced table's rows of the clinic, in wire form, by id."""
    tables = {}
    with engine.connect() as connection:
        for synced in synced_tables():
            table = synced.table
            rows = connection.execute(sa.select(table).where(
                synced.clinic_column == clinic_id)).mappings()
            tables[synced.name] = {row["id"]: encode_row(table, row) for row in rows}
    return tables


def differences(a: dict[str, dict[Any, Any]], b: dict[str, dict[Any, Any]]) -> list[str]:
    found = []
    for table in a:
        if a[table] != b[table]:
            only_a = set(a[table]) - set(b[table])
            only_b = set(b[table]) - set(a[table])
            changed = [key for key in set(a[table]) & set(b[table])
                       if a[table][key] != b[table][key]]
            detail = [f"{field}: {a[table][key][field]!r} != {b[table][key][field]!r}"
                      for key in changed[:1] for field in a[table][key]
                      if a[table][key][field] != b[table][key][field]]
            found.append(f"{table}: {len(only_a)} only left, {len(only_b)} only right, "
                         f"{len(changed)} differ {detail}")
    return found


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


def outbox_size(workstation: Workstation) -> int:
    with workstation.store.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM sync_outbox")).scalar_one())


def make_pair(tmp: Path, admin: sa.Engine, url: str) -> tuple[Workstation, Workstation]:
    """Workstation ``a`` made the clinic and pushed it; ``b`` joined it."""
    a, clinic_id = first_workstation(tmp, admin, url, "a")
    a.sync()
    b = joining_workstation(tmp, admin, url, clinic_id, field_key_of(a.store, clinic_id), "b")
    return a, b


def converged(admin: sa.Engine, *workstations: Workstation) -> None:
    """Every workstation holds the server's rows of the clinic, row for row."""
    with workstations[0].store.engine.connect() as connection:
        clinic_id = local_identity(connection).clinic_id
    server = snapshot(admin, clinic_id)
    for workstation in workstations:
        assert differences(snapshot(workstation.store.engine, clinic_id), server) == [], \
            workstation.name


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
