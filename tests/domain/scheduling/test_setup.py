"""Scheduling setup: facilities, rooms and categories listed, edited and retired (never
deleted), refusals at their fields, stale versions, permissions and the audit trail."""

from __future__ import annotations

import pytest
from schedule_data import MONDAY, ScheduleClinic, local
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.scheduling.appointments import book_appointment
from medtrack_desktop.domain.scheduling.models import Appointment, AppointmentCategory, Room
from medtrack_desktop.domain.scheduling.sessions import provider_template, remove_session
from medtrack_desktop.domain.scheduling.setup import (
    CategoryInput,
    SetupInvalid,
    SetupStale,
    add_facility,
    add_room,
    categories,
    category_setup,
    edit_facility,
    edit_room,
    facility_setup,
    save_category,
    set_active,
)


def _audited(clinic: ScheduleClinic, action: str) -> list[dict]:
    with clinic.store.read_session() as session:
        return [entry.changes for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


def test_facilities_and_rooms_listed_edited_and_audited(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    second = perform(store, admin, add_facility, name="North Annex", address="2 Elm St")
    ecg = perform(store, admin, add_room, facility_id=second, name="ECG cart", kind="equipment")
    listed = perform(store, admin, facility_setup)
    assert [f.name for f in listed] == ["Main Street", "North Annex"]
    main, annex = listed
    assert [r.name for r in main.rooms] == ["Exam 1", "Exam 2"]
    assert main.sessions_ahead == 6 and annex.sessions_ahead == 0
    assert [(r.name, r.kind) for r in annex.rooms] == [("ECG cart", "equipment")]

    perform(store, admin, edit_facility, facility_id=second, version=annex.version,
            name="  North   Annex Clinic ", address="2 Elm Street", phone="(512) 555-0199")
    perform(store, admin, edit_room, room_id=ecg, version=annex.rooms[0].version,
            name="ECG cart 1", kind="equipment")
    annex = perform(store, admin, facility_setup)[1]
    assert (annex.name, annex.address, annex.phone) == (
        "North Annex Clinic", "2 Elm Street", "(512) 555-0199")
    assert annex.rooms[0].name == "ECG cart 1"
    changes = _audited(clinic, "schedule.setup")
    assert {"name": {"old": "North Annex", "new": "North Annex Clinic"},
            "address": {"old": "2 Elm St", "new": "2 Elm Street"},
            "phone": {"old": "", "new": "(512) 555-0199"}} in changes


def test_refusals_at_their_fields_write_nothing(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    main = perform(store, admin, facility_setup)[0]
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, add_facility, name="main street")  # the same name, another case
    assert refused.value.errors == {"name": "Name: that name is taken already."}
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, add_room, facility_id=clinic.facility, name="Exam 2", kind="bed")
    assert set(refused.value.errors) == {"name", "kind"}
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, edit_facility, facility_id=main.id, version=main.version,
                name="   ")
    assert refused.value.errors == {"name": "Name: required."}
    assert [f.name for f in perform(store, admin, facility_setup)] == ["Main Street"]


def test_a_stale_version_is_refused(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    main = perform(store, admin, facility_setup)[0]
    perform(store, admin, edit_facility, facility_id=main.id, version=main.version,
            name="Main Street", address="1 Main St")
    with pytest.raises(SetupStale):
        perform(store, admin, edit_facility, facility_id=main.id, version=main.version,
                name="Main St")
    with pytest.raises(SetupStale):
        perform(store, admin, set_active, kind="facility", row_id=main.id,
                version=main.version, active=False)
    assert perform(store, admin, facility_setup)[0].name == "Main Street"


def test_categories_saved_with_their_checks(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    physical = perform(store, admin, save_category, category=CategoryInput(
        name="Annual physical", default_minutes=40, color="#2E9E6B"))
    entry = next(c for c in perform(store, admin, category_setup) if c.id == physical)
    assert (entry.default_minutes, entry.color, entry.allows_overbooking, entry.is_active) == (
        40, "#2e9e6b", False, True)
    for bad, field in ((CategoryInput(name="Short", default_minutes=4), "default_minutes"),
                       (CategoryInput(name="Long", default_minutes=481), "default_minutes"),
                       (CategoryInput(name="Green", color="green"), "color"),
                       (CategoryInput(name="Hex", color="#12345"), "color"),
                       (CategoryInput(name="FOLLOW-UP"), "name"),
                       (CategoryInput(name=""), "name")):
        with pytest.raises(SetupInvalid) as refused:
            perform(store, admin, save_category, category=bad)
        assert list(refused.value.errors) == [field], bad
    # a rename to its own name in another case is not a clash with itself
    perform(store, admin, save_category, category_id=physical, version=entry.version,
            category=entry.as_input(name="Annual Physical", default_minutes=45))
    with pytest.raises(SetupStale):
        perform(store, admin, save_category, category_id=physical, version=entry.version,
                category=entry.as_input(default_minutes=60))
    names = [c.name for c in perform(store, admin, category_setup)]
    assert names == ["Annual Physical", "Follow-up", "Urgent"]
    assert {"default_minutes": {"old": 40, "new": 45},
            "name": {"old": "Annual physical", "new": "Annual Physical"}} in _audited(
        clinic, "schedule.setup")


def test_retiring_keeps_appointments_and_hides_from_booking(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    booked = perform(store, clinic.desk, book_appointment, booking=clinic.booking(
        local(MONDAY, 9), room_id=clinic.rooms[0]))
    room = perform(store, admin, facility_setup)[0].rooms[0]
    perform(store, admin, set_active, kind="room", row_id=room.id, version=room.version,
            active=False)
    follow_up = next(c for c in perform(store, admin, category_setup)
                     if c.id == clinic.follow_up)
    perform(store, admin, set_active, kind="category", row_id=follow_up.id,
            version=follow_up.version, active=False)
    with store.read_session() as session:
        kept = session.get_one(Appointment, booked.id)
        assert (kept.room_id, kept.category_id, kept.status) == (
            clinic.rooms[0], clinic.follow_up, "scheduled")
        assert session.get_one(Room, clinic.rooms[0]).is_active is False
        assert session.get_one(AppointmentCategory, clinic.follow_up).deleted_at is None
    assert [c.name for c in perform(store, clinic.desk, categories)] == ["Urgent"]
    # taken back into use
    follow_up = next(c for c in perform(store, admin, category_setup)
                     if c.id == clinic.follow_up)
    assert follow_up.is_active is False
    perform(store, admin, set_active, kind="category", row_id=follow_up.id,
            version=follow_up.version, active=True)
    assert [c.name for c in perform(store, clinic.desk, categories)] == ["Follow-up", "Urgent"]


def test_a_facility_with_sessions_is_not_retired(clinic: ScheduleClinic) -> None:
    admin, store = clinic.admin, clinic.store
    main = perform(store, admin, facility_setup)[0]
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, set_active, kind="facility", row_id=main.id,
                version=main.version, active=False)
    assert "6 weekly sessions" in refused.value.errors["active"]
    for provider in (clinic.drlee, clinic.drkim):
        template = perform(store, clinic.desk, provider_template, provider_id=provider)
        for weekly in template.sessions:  # they start in 2027: removed, not ended
            perform(store, clinic.desk, remove_session, session_id=weekly.id,
                    version=weekly.version)
    main = perform(store, admin, facility_setup)[0]
    assert main.sessions_ahead == 0
    perform(store, admin, set_active, kind="facility", row_id=main.id, version=main.version,
            active=False)
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, add_room, facility_id=main.id, name="Exam 9")
    assert "retired" in refused.value.errors["facility"]
    room = perform(store, admin, facility_setup)[0].rooms[0]
    perform(store, admin, set_active, kind="room", row_id=room.id, version=room.version,
            active=False)
    with pytest.raises(SetupInvalid) as refused:
        perform(store, admin, set_active, kind="room", row_id=room.id,
                version=room.version + 1, active=True)
    assert "facility" in refused.value.errors["active"]


def test_only_a_clinic_administrator_changes_the_setup(clinic: ScheduleClinic) -> None:
    store, desk = clinic.store, clinic.desk
    with pytest.raises(PermissionDenied):
        perform(store, desk, save_category, category=CategoryInput(name="Walk-in"))
    with pytest.raises(PermissionDenied):
        perform(store, desk, facility_setup)
    with pytest.raises(PermissionDenied):
        perform(store, desk, set_active, kind="room", row_id=clinic.rooms[0], version=1,
                active=False)
    assert [c.name for c in perform(store, clinic.admin, category_setup)] == [
        "Follow-up", "Urgent"]
