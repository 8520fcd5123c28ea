"""Conflict review on real conflicts: two workstations (SQLCipher files) change the same thing
offline and sync through the suite's PostgreSQL; a person settles the conflict on one of them
and the next rounds bring every workstation and the server to what was chosen."""

from __future__ import annotations

from datetime import datetime, time

import pytest
import sqlalchemy as sa
from conflict_world import conflicts, patient_conflict, user_id
from demo_users import sign_in
from server_data import MONDAY, ZONE
from sync_world import Workstation, book_the_same_slot, converged, edit, row_of

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import RestrictedRecord, set_privacy
from medtrack_desktop.sync.conflict_review import (
    CannotResolve,
    ConflictInvalid,
    ConflictResolved,
    conflict_detail,
    open_conflict_count,
    open_conflicts,
    resolve_conflict,
)


def _audit(workstation: Workstation, action: str) -> list[AuditEntry]:
    with workstation.store.read_session() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)))


def _count(engine: sa.Engine) -> int:
    with sa.orm.Session(engine) as session:
        return open_conflict_count(session)


def _rounds(*workstations: Workstation) -> None:
    for _ in range(2):
        for workstation in workstations:
            workstation.sync()


def test_the_list_and_the_detail_of_a_patient_conflict(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient, conflict_id = patient_conflict(a, b)
    desk = sign_in(a.store, "desk")
    (listed,) = perform(a.store, desk, open_conflicts)
    assert (listed.id, listed.record, listed.reason, listed.workstation) == (
        conflict_id, "Patient", "changed", "b")
    assert set(listed.fields) == {"Email", "Notes"} and listed.may_resolve
    assert not _audit(a, "patient.read")  # the list shows no values
    detail = perform(a.store, desk, conflict_detail, conflict_id=conflict_id)
    fields = {field.name: field for field in detail.fields}
    assert (fields["email"].local, fields["email"].server) == ("second@example.org",
                                                              "first@example.org")
    assert fields["email"].in_conflict and fields["notes"].local == "walks with a cane"
    assert detail.choices == ("keep_server", "keep_local", "merged")
    assert detail.subject is not None and "MRN" in detail.subject
    (read,) = _audit(a, "patient.read")  # reading its values is reading the record
    assert read.patient_id == patient and read.changes["conflict"] == str(conflict_id)
    assert _count(a.store.engine) == _count(b.store.engine) == _count(admin) == 1
    with pytest.raises(CannotResolve, match="not open"):  # only refused new records
        perform(a.store, desk, resolve_conflict, conflict_id=conflict_id, choice="reapply")


def test_a_restricted_patients_conflict_is_read_by_its_care_team_only(
        pair: tuple[Workstation, Workstation]) -> None:
    a, b = pair
    patient, conflict_id = patient_conflict(a, b)
    perform(b.store, sign_in(b.store, "boss"), set_privacy, patient_id=patient,
            restricted=True, care_team=("drlee",))
    desk = sign_in(b.store, "desk")
    for service, extra in ((conflict_detail, {}), (resolve_conflict, {"choice": "keep_local"})):
        with pytest.raises(RestrictedRecord):
            perform(b.store, desk, service, conflict_id=conflict_id, **extra)
    assert len(_audit(b, "permission.denied")) == 2
    detail = perform(b.store, sign_in(b.store, "drlee"), conflict_detail,
                     conflict_id=conflict_id)
    assert detail.subject is not None
    assert _count(b.store.engine) == 1


def test_keep_server_leaves_every_copy_at_the_server_values(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient, conflict_id = patient_conflict(a, b)
    before = row_of(admin, "patients", patient)
    result = perform(b.store, sign_in(b.store, "desk"), resolve_conflict,
                     conflict_id=conflict_id, choice="keep_server")
    assert (result.resolution, result.written) == ("kept_server", ())
    _rounds(b, a)
    for engine in (admin, a.store.engine, b.store.engine):
        row = row_of(engine, "patients", patient)
        assert row is not None and row["email"] == "first@example.org"
        assert row["version"] == before["version"]  # type: ignore[index]
        assert _count(engine) == 0
        (conflict,) = conflicts(engine)
        assert conflict["resolution"] == "kept_server" and conflict["resolved_at"] is not None
    (entry,) = _audit(b, "sync.conflict_resolve")
    assert entry.patient_id == patient and entry.changes["resolution"] == "kept_server"
    converged(admin, a, b)


def test_keep_local_brings_this_workstations_values_everywhere(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient, conflict_id = patient_conflict(a, b)
    result = perform(b.store, sign_in(b.store, "drlee"), resolve_conflict,
                     conflict_id=conflict_id, choice="keep_local")
    assert (result.resolution, set(result.written)) == ("kept_local", {"email", "notes"})
    _rounds(b, a)
    for engine in (admin, a.store.engine, b.store.engine):
        row = row_of(engine, "patients", patient)
        assert row is not None
        assert (row["email"], row["notes"]) == ("second@example.org", "walks with a cane")
        assert _count(engine) == 0
    assert len(conflicts(admin)) == 1  # settled, and no new conflict on the way
    converged(admin, a, b)


def test_merged_field_by_field_on_the_other_workstation(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient, conflict_id = patient_conflict(a, b)
    notes_before = row_of(admin, "patients", patient)["notes"]  # type: ignore[index]
    # settled on A, which did not make the change: the conflict synced there
    result = perform(a.store, sign_in(a.store, "desk"), resolve_conflict,
                     conflict_id=conflict_id, choice="merged",
                     fields={"email": "local", "notes": "server"})
    assert (result.resolution, result.written) == ("merged", ("email",))
    _rounds(a, b)
    for engine in (admin, a.store.engine, b.store.engine):
        row = row_of(engine, "patients", patient)
        assert row is not None
        assert (row["email"], row["notes"]) == ("second@example.org", notes_before)
        assert conflicts(engine)[0]["resolution"] == "merged"
    converged(admin, a, b)


def test_a_conflict_settled_elsewhere_is_refused_plainly(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    _patient, conflict_id = patient_conflict(a, b)
    perform(a.store, sign_in(a.store, "desk"), resolve_conflict, conflict_id=conflict_id,
            choice="keep_server")
    a.sync()
    b.sync()
    with pytest.raises(ConflictResolved, match=r"settled already.*another workstation"):
        perform(b.store, sign_in(b.store, "desk"), resolve_conflict,
                conflict_id=conflict_id, choice="keep_local")
    _rounds(a, b)  # the sign-ins' last log-in times
    converged(admin, a, b)


def test_a_refused_booking_is_reapplied_at_another_time(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    book_the_same_slot(a)
    refused = book_the_same_slot(b)
    a.sync()
    assert b.sync().conflicts >= 1
    a.sync()
    assert row_of(b.store.engine, "appointments", refused) is None  # kept in the conflict
    desk = sign_in(b.store, "desk")
    listed = perform(b.store, desk, open_conflicts)
    (booking,) = [c for c in listed if c.table_name == "appointments"]
    assert booking.reason == "double_booking"
    detail = perform(b.store, desk, conflict_detail, conflict_id=booking.id)
    assert detail.choices == ("keep_server", "reapply")
    editable = {field.name for field in detail.fields if field.editable}
    assert {"starts_at", "ends_at"} <= editable and "patient_id" not in editable
    with pytest.raises(ConflictInvalid) as invalid:
        perform(b.store, desk, resolve_conflict, conflict_id=booking.id, choice="reapply",
                edits={"starts_at": "next Monday", "ends_at": "2027-03-08 11:20"})
    assert set(invalid.value.errors) == {"starts_at"}
    result = perform(b.store, desk, resolve_conflict, conflict_id=booking.id,
                     choice="reapply",
                     edits={"starts_at": "2027-03-08 11:00", "ends_at": "2027-03-08 11:20"})
    assert result.resolution == "kept_local" and result.reapplied >= 1
    assert _count(b.store.engine) == 0  # its status history came back with it
    _rounds(b, a)
    on_server = row_of(admin, "appointments", refused)
    assert on_server is not None and on_server["deleted_at"] is None
    assert on_server["starts_at"] == datetime.combine(MONDAY, time(11), ZONE)
    for engine in (admin, a.store.engine, b.store.engine):
        assert _count(engine) == 0
    converged(admin, a, b)


def test_settling_needs_the_permission_of_the_data(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    doctor = user_id(a, "drlee")
    edit(a, "users", doctor, first_name="Lee")
    edit(b, "users", doctor, first_name="Leland")
    a.sync()
    assert b.sync().conflicts == 1
    a.sync()
    (conflict,) = conflicts(b.store.engine)
    desk = sign_in(b.store, "desk")
    (listed,) = perform(b.store, desk, open_conflicts)
    assert listed.record == "User" and not listed.may_resolve
    with pytest.raises(PermissionDenied, match="administers users"):
        perform(b.store, desk, resolve_conflict, conflict_id=conflict["id"],
                choice="keep_local")
    (denied,) = _audit(b, "permission.denied")
    assert denied.reason == "user.admin" and denied.changes == {"service": "resolve_conflict"}
    assert _count(b.store.engine) == 1
    perform(b.store, sign_in(b.store, "boss"), resolve_conflict, conflict_id=conflict["id"],
            choice="keep_local")
    _rounds(b, a)
    for engine in (admin, a.store.engine, b.store.engine):
        assert row_of(engine, "users", doctor)["first_name"] == "Leland"  # type: ignore[index]
    converged(admin, a, b)
