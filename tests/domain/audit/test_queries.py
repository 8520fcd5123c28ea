"""Searching and exporting the audit trail over the demo clinic: filters, permission, CSV."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.audit.queries import (
    CSV_HEADER,
    export_audit_csv,
    search_audit,
)
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store

PATIENT = uuid.UUID("0193a6c0-0000-7000-8000-000000000001")



@pytest.fixture
def admin(demo_store: Store) -> Actor:
    actor = sign_in(demo_store, "admin")
    with demo_store.session() as session:
        trail.record(session, seat=actor.seat, actor=sign_in(demo_store, "physician"),
                     action="chart.open", resource_type="patient", resource_id=str(PATIENT),
                     patient_id=PATIENT, changes={"note": "ünïcode, with \"quotes\""})
    return actor


def test_filters_by_action_user_patient_and_dates(demo_store: Store, admin: Actor) -> None:
    logins = perform(demo_store, admin, search_audit, action="login")
    assert {row.action for row in logins} == {"login"}
    assert {row.username for row in logins} == {"admin", "physician"}

    mine = perform(demo_store, admin, search_audit, username="  PHYSICIAN ")
    assert {row.username for row in mine} == {"physician"}
    assert {row.action for row in mine} == {"login", "chart.open"}

    chart = perform(demo_store, admin, search_audit, patient_id=str(PATIENT))
    assert [(row.action, row.patient_id) for row in chart] == [("chart.open", str(PATIENT))]

    everything = perform(demo_store, admin, search_audit, limit=5000)
    assert [row.seq for row in everything] == sorted((row.seq for row in everything), reverse=True)
    now = utcnow()
    assert perform(demo_store, admin, search_audit, start=now + timedelta(minutes=1)) == []
    assert len(perform(demo_store, admin, search_audit, end=now + timedelta(minutes=1),
                       limit=5000)) == len(everything)
    assert len(perform(demo_store, admin, search_audit, limit=3)) == 3
    assert perform(demo_store, admin, search_audit, limit=3, offset=3)[0].seq == everything[3].seq


def test_a_bad_patient_id_is_a_plain_error(demo_store: Store, admin: Actor) -> None:
    with pytest.raises(ValueError, match="Patient id"):
        perform(demo_store, admin, search_audit, patient_id="not-a-uuid")


@pytest.mark.parametrize(
    "username", ["physician", "nurse", "assistant", "frontdesk", "biller", "patient"]
)
def test_only_audit_readers_may_search_or_export(demo_store: Store, username: str) -> None:
    actor = sign_in(demo_store, username)
    with pytest.raises(PermissionDenied):
        perform(demo_store, actor, search_audit)
    with pytest.raises(PermissionDenied):
        perform(demo_store, actor, export_audit_csv, out=io.StringIO())
    with demo_store.read_session() as session:
        denials = session.execute(
            select(AuditEntry.reason).where(
                AuditEntry.action == "permission.denied", AuditEntry.username == username
            )
        ).scalars().all()
    assert denials == ["audit.read", "audit.read"]


def test_csv_export_has_every_field_and_is_audited(demo_store: Store, admin: Actor) -> None:
    out = io.StringIO(newline="")
    count = perform(demo_store, admin, export_audit_csv, out=out, username="physician")
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert count == len(rows) == 2
    assert tuple(rows[0]) == CSV_HEADER
    assert "entry_hash" in CSV_HEADER and "prev_hash" in CSV_HEADER
    chart = next(row for row in rows if row["action"] == "chart.open")
    assert chart["patient_id"] == str(PATIENT)
    assert json.loads(chart["changes"]) == {"note": 'ünïcode, with "quotes"'}

    with demo_store.read_session() as session:
        stored = session.scalars(
            select(AuditEntry).where(AuditEntry.username == "physician")
        ).all()
        assert {row["entry_hash"] for row in rows} == {entry.entry_hash for entry in stored}
        export = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.export")
        ).one()
        assert export.username == "admin"
        assert export.changes == {"filters": {"username": "physician"}, "rows": 2}
        assert all(check.intact for check in trail.verify_trail(session, admin))
