"""Booking, moving and the status flow; no double booking in the service, in raw SQL on both
databases, and when two sessions book the same slot at the same time."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from demo_users import sign_in
from schedule_data import MONDAY, ScheduleClinic, local, make_schedule_clinic
from sqlalchemy import Uuid, bindparam, select, text
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    AppointmentInvalid,
    SlotTaken,
    appointments_between,
    book_appointment,
    move_appointment,
    set_status,
)
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentCategory,
    AppointmentStatusChange,
    Room,
)
from medtrack_desktop.domain.scheduling.setup import set_active
from medtrack_desktop.store.base import new_id
from medtrack_desktop.store.engine import Store


def book(clinic: ScheduleClinic, hour: int, minute: int = 0, **changes: Any) -> AppointmentEntry:
    return perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, hour, minute), **changes))


def test_a_booked_slot_is_refused_to_the_next_booking_with_the_time_taken(
    clinic: ScheduleClinic,
) -> None:
    first = book(clinic, 9, room_id=clinic.rooms[0])
    assert (first.status, first.minutes, first.overbooked) == ("scheduled", 20, False)
    with pytest.raises(SlotTaken, match="The provider is already booked 09:00\u201309:20"):
        book(clinic, 9, 10, patient=1)
    with pytest.raises(SlotTaken, match="The room is already booked 09:00\u201309:20"):
        book(clinic, 9, 15, patient=1, provider_id=clinic.drkim, room_id=clinic.rooms[0])
    after = book(clinic, 9, 20, patient=1, room_id=clinic.rooms[0])  # back to back is fine
    other_room = book(clinic, 9, 0, patient=2, provider_id=clinic.drkim,
                      room_id=clinic.rooms[1])
    assert after.starts_at == first.ends_at and other_room.provider_id == clinic.drkim


def test_overbooking_is_deliberate_and_only_where_the_category_allows_it(
    clinic: ScheduleClinic,
) -> None:
    book(clinic, 9)
    with pytest.raises(SlotTaken, match="or book it as an overbooking"):
        book(clinic, 9, 5, patient=1, category_id=clinic.urgent)
    squeezed = book(clinic, 9, 5, patient=1, category_id=clinic.urgent, overbook=True)
    assert squeezed.overbooked and squeezed.minutes == 15
    with pytest.raises(AppointmentInvalid) as refused:
        book(clinic, 9, 10, patient=2, overbook=True)
    assert refused.value.errors == {
        "overbook": "Overbooking: Follow-up appointments cannot be booked over another one."}


def test_what_is_entered_is_checked_at_the_field(clinic: ScheduleClinic) -> None:
    naive = local(MONDAY, 9).replace(tzinfo=None)
    with pytest.raises(AppointmentInvalid) as refused:
        perform(clinic.store, clinic.desk, book_appointment, booking=clinic.booking(
            naive, minutes=3, reason="x" * 301, category_id=new_id(), room_id=new_id()))
    assert set(refused.value.errors) == {"starts_at", "minutes", "reason", "category", "room"}


def test_the_status_flow_keeps_each_step_and_cancelling_frees_the_slot(
    clinic: ScheduleClinic,
) -> None:
    visit = book(clinic, 9)

    def to(entry: AppointmentEntry, status: str, **extra: Any) -> AppointmentEntry:
        return perform(clinic.store, clinic.desk, set_status, appointment_id=entry.id,
                       version=entry.version, status=status, **extra)

    with pytest.raises(AppointmentInvalid, match="cannot become in room"):
        to(visit, "in_room")
    arrived = to(to(visit, "confirmed"), "arrived")
    with pytest.raises(AppointmentInvalid) as refused:
        to(arrived, "cancelled", cancel_reason="   ")
    assert refused.value.errors == {"cancel_reason": "Reason: say why the appointment is "
                                                     "cancelled."}
    cancelled = to(arrived, "cancelled", cancel_reason="Patient felt better")
    assert cancelled.cancel_reason == "Patient felt better"
    with clinic.store.read_session() as session:
        steps = session.execute(select(AppointmentStatusChange.status,
                                       AppointmentStatusChange.changed_by)
                                .where(AppointmentStatusChange.appointment_id == visit.id)
                                .order_by(AppointmentStatusChange.sequence)).all()
    assert steps == [(status, clinic.desk.user_id)
                     for status in ("scheduled", "confirmed", "arrived", "cancelled")]
    assert book(clinic, 9, patient=1).starts_at == visit.starts_at, "the slot is free again"


def test_moving_checks_the_new_time_and_the_version(clinic: ScheduleClinic) -> None:
    early, late = book(clinic, 9), book(clinic, 10, patient=1)

    def move(entry: AppointmentEntry, hour: int, minute: int = 0, **extra: Any
             ) -> AppointmentEntry:
        return perform(clinic.store, clinic.desk, move_appointment, appointment_id=entry.id,
                       version=entry.version, starts_at=local(MONDAY, hour, minute), **extra)

    with pytest.raises(SlotTaken):
        move(late, 9, 10)
    moved = move(late, 11, minutes=40)
    assert (moved.starts_at, moved.minutes) == (local(MONDAY, 11), 40)
    with pytest.raises(StaleRecord):
        move(late, 11, 30)
    assert move(early, 10).version == early.version + 1, "the old time is free now"


def test_an_appointment_whose_room_and_category_were_retired_still_moves(
        clinic: ScheduleClinic) -> None:
    visit = book(clinic, 9, room_id=clinic.rooms[0])
    with clinic.store.read_session() as session:
        versions = {row_id: session.get_one(model, row_id).version for model, row_id in (
            (Room, clinic.rooms[0]), (AppointmentCategory, clinic.follow_up))}
    for kind, row_id in (("room", clinic.rooms[0]), ("category", clinic.follow_up)):
        perform(clinic.store, clinic.admin, set_active, kind=kind, row_id=row_id,
                version=versions[row_id], active=False)
    moved = perform(clinic.store, clinic.desk, move_appointment, appointment_id=visit.id,
                    version=visit.version, starts_at=local(MONDAY, 10))
    assert (moved.starts_at, moved.room_id, moved.category_id) == (
        local(MONDAY, 10), clinic.rooms[0], clinic.follow_up)
    with pytest.raises(AppointmentInvalid) as refused:  # not offered to a new booking
        book(clinic, 11, patient=1, room_id=clinic.rooms[0])
    assert set(refused.value.errors) == {"room", "category"}


def test_who_may_book_and_what_the_audit_keeps(clinic: ScheduleClinic) -> None:
    nurse, biller = sign_in(clinic.store, "nurse"), sign_in(clinic.store, "biller")
    with pytest.raises(PermissionDenied):
        perform(clinic.store, nurse, book_appointment,
                booking=clinic.booking(local(MONDAY, 9), reason="Chest pain"))
    with pytest.raises(PermissionDenied):
        perform(clinic.store, biller, appointments_between, starts=local(MONDAY, 0),
                ends=local(MONDAY, 23))
    visit = book(clinic, 9, reason="Chest pain")
    listed = perform(clinic.store, nurse, appointments_between, starts=local(MONDAY, 0),
                     ends=local(MONDAY + timedelta(days=1), 0))
    assert [a.id for a in listed] == [visit.id]
    with clinic.store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "appointment.book")).one()
    assert entry.patient_id == visit.patient_id and "Chest pain" not in str(entry.changes)


def _raw_copy_at(store: Store, entry: AppointmentEntry, minutes_later: int) -> None:
    """Insert by hand a copy of ``entry`` (another patient's slot, say) ``minutes_later``."""
    shift = ("starts_at + interval '{m} minutes'" if store.engine.dialect.name == "postgresql"
             else "datetime(starts_at, '+{m} minutes')")
    end_shift = shift.replace("starts_at", "ends_at")
    columns = ", ".join(column.name for column in Appointment.__table__.columns
                        if column.name not in ("id", "starts_at", "ends_at"))
    statement = text(
        f"INSERT INTO appointments (id, starts_at, ends_at, {columns}) "
        f"SELECT :new, {shift.format(m=minutes_later)}, {end_shift.format(m=minutes_later)}, "
        f"{columns} FROM appointments WHERE id = :old"
    ).bindparams(bindparam("new", type_=Uuid()), bindparam("old", type_=Uuid()))
    with store.engine.begin() as connection:
        connection.execute(statement, {"new": new_id(), "old": entry.id})


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_raw_sql_cannot_double_book(engine: str, request: pytest.FixtureRequest) -> None:
    clinic: ScheduleClinic = (request.getfixturevalue("clinic") if engine == "sqlite"
                              else make_schedule_clinic(request.getfixturevalue("pg_store")))
    visit = book(clinic, 9)
    with pytest.raises(DBAPIError, match="double booking"):
        _raw_copy_at(clinic.store, visit, 10)
    _raw_copy_at(clinic.store, visit, 20)  # back to back
    squeezed = book(clinic, 8, 50, patient=1, category_id=clinic.urgent, overbook=True)
    ordinary = text("UPDATE appointments SET overbooked = false WHERE id = :id").bindparams(
        bindparam("id", type_=Uuid()))  # an overbooking made an ordinary booking
    with pytest.raises(DBAPIError, match="double booking"), \
            clinic.store.engine.begin() as connection:
        connection.execute(ordinary, {"id": squeezed.id})


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_two_desks_booking_the_same_slot_at_once_one_wins(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """The first desk's booking is written but not yet committed when the second desk books
    the same slot: the second waits, then is told the slot is taken."""
    clinic: ScheduleClinic = (request.getfixturevalue("clinic") if engine == "sqlite"
                              else make_schedule_clinic(request.getfixturevalue("pg_store")))
    second_desk = sign_in(clinic.store, "desk")
    written, outcome = threading.Event(), {}

    def second() -> None:
        written.wait(10)
        try:
            outcome["second"] = perform(clinic.store, second_desk, book_appointment,
                                        booking=clinic.booking(local(MONDAY, 9, 10), patient=1))
        except SlotTaken as taken:
            outcome["second"] = taken

    other = threading.Thread(target=second)
    other.start()
    with clinic.store.session() as session:
        first = book_appointment(session, clinic.desk,
                                 booking=clinic.booking(local(MONDAY, 9)))
        written.set()
        other.join(1.0)  # the second desk is now waiting for this transaction
        assert other.is_alive(), "the second booking must wait for the first"
    other.join(20)
    assert isinstance(outcome["second"], SlotTaken)
    listed = perform(clinic.store, clinic.desk, appointments_between,
                     starts=local(MONDAY, 0), ends=local(MONDAY, 23))
    assert [a.id for a in listed] == [first.id]
