"""Smallest reproductions of sync engine faults found by the fault-injection test
(``test_sync_chaos.py``), each kept as a regression test, on the suite's real
PostgreSQL with two real workstations."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from demo_users import register_patient_today
from sync_world import (
    Workstation,
    differences,
    snapshot,
)

from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.sync.round import local_identity

pytestmark = pytest.mark.postgres




def _clinic(workstation: Workstation) -> uuid.UUID:
    with workstation.store.engine.connect() as connection:
        return local_identity(connection).clinic_id


def test_two_offline_registrations_taking_the_same_mrn_leave_sync_working(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    register_patient_today(a.store)
    register_patient_today(b.store)
    a.sync()
    b.sync()  # fails today: IntegrityError at the pull
    a.sync()
    clinic_id = _clinic(a)
    server = snapshot(admin, clinic_id)
    assert differences(snapshot(a.store.engine, clinic_id), server) == []
    assert differences(snapshot(b.store.engine, clinic_id), server) == []
    with admin.connect() as connection:
        reasons = connection.execute(sa.text("SELECT reason FROM sync_conflicts")).scalars()
        assert list(reasons) == ["refused"]


def test_a_lock_timeout_during_a_push_is_retried_not_kept_as_a_conflict(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    clinic_id = _clinic(a)
    patients = Patient.__table__
    with b.store.engine.begin() as connection:
        ada = connection.execute(sa.select(patients.c.id).where(
            patients.c.first_name == "Ada")).scalar_one()
        connection.execute(sa.update(patients).where(patients.c.id == ada).values(
            city="Ogdenville", version=patients.c.version + 1, updated_at=utcnow()))
    with admin.begin() as connection:
        connection.exec_driver_sql(
            f'ALTER ROLE "{b.server.url.username}" SET lock_timeout = \'300ms\'')
    with admin.connect() as holder:
        holder.execute(sa.select(patients.c.id).where(patients.c.id == ada).with_for_update())
        with pytest.raises(sa.exc.DBAPIError):
            b.sync()  # today: the round succeeds, the edit kept as a 'refused' conflict
        holder.rollback()
    b.sync()
    with admin.connect() as connection:
        assert connection.execute(sa.select(patients.c.city).where(
            patients.c.id == ada)).scalar_one() == "Ogdenville"
        assert connection.execute(sa.text("SELECT count(*) FROM sync_conflicts")).scalar() == 0
    assert differences(snapshot(b.store.engine, clinic_id), snapshot(admin, clinic_id)) == []


def test_a_connection_dropped_mid_push_fails_the_round_as_unreachable(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    _a, b = pair
    register_patient_today(b.store)
    fired = []

    def cut(conn: sa.Connection, cursor: object, statement: str, *_: object) -> None:
        if not fired and "INSERT INTO patients" in statement:
            fired.append(True)
            with admin.connect() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"),
                                   {"pid": cursor.connection.info.backend_pid})  # type: ignore[attr-defined]

    sa.event.listen(b.server, "before_cursor_execute", cut)
    with pytest.raises(sa.exc.OperationalError):
        b.sync()  # today: PendingRollbackError
    assert fired
