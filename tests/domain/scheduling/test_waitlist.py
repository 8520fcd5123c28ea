"""The waitlist as the front desk reads it (named, first come first served, by provider), what
a cancelled appointment offers to it, and booking a waiting patient in one transaction."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from demo_users import sign_in
from schedule_data import MONDAY, ScheduleClinic, local
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    SlotTaken,
    book_appointment,
    set_status,
)
from medtrack_desktop.domain.scheduling.models import Appointment, WaitlistEntry
from medtrack_desktop.domain.scheduling.waitlist import (
    Waiting,
    WaitlistInvalid,
    add_to_waitlist,
    book_from_waitlist,
    close_waitlist_entry,
    open_waitlist,
    waitlist_offer,
)

WEEK = (MONDAY - timedelta(days=2), MONDAY + timedelta(days=5))


def wait(clinic: ScheduleClinic, patient: int, **extra: Any) -> Waiting:
    days = {"earliest_day": WEEK[0], "latest_day": WEEK[1]} | extra
    return perform(clinic.store, clinic.desk, add_to_waitlist,
                   patient_id=clinic.patients[patient], **days)


def book(clinic: ScheduleClinic, hour: int, minute: int = 0, **changes: Any
         ) -> AppointmentEntry:
    return perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, hour, minute), **changes))


def cancel(clinic: ScheduleClinic, entry: AppointmentEntry) -> None:
    perform(clinic.store, clinic.desk, set_status, appointment_id=entry.id,
            version=entry.version, status="cancelled", cancel_reason="Called to cancel")


def entry_row(clinic: ScheduleClinic, waiting: Waiting) -> WaitlistEntry:
    with clinic.store.read_session() as session:
        return session.get_one(WaitlistEntry, waiting.id)


def test_the_waitlist_names_who_waits_first_come_first_served_and_by_provider(
    clinic: ScheduleClinic,
) -> None:
    lee = wait(clinic, 0, provider_id=clinic.drlee, category_id=clinic.follow_up,
               day_until=time(12), notes="Mornings only")
    anyone = wait(clinic, 1)
    kim = wait(clinic, 2, provider_id=clinic.drkim, earliest_day=date(2027, 4, 1),
               latest_day=date(2027, 4, 30))
    gone, booked_by_phone = wait(clinic, 3), wait(clinic, 0)
    perform(clinic.store, clinic.desk, close_waitlist_entry, entry_id=gone.id,
            version=gone.version)
    perform(clinic.store, clinic.desk, close_waitlist_entry, entry_id=booked_by_phone.id,
            version=booked_by_phone.version, booked=True)
    assert (entry_row(clinic, gone).status, entry_row(clinic, booked_by_phone).status) == (
        "removed", "booked")
    nurse = sign_in(clinic.store, "nurse")  # reads the schedule, books nothing
    lines = perform(clinic.store, nurse, open_waitlist)
    assert [line.id for line in lines] == [lee.id, anyone.id, kim.id]
    first = lines[0]
    assert first.patient_name.startswith("Newcomer-") and first.patient_name.endswith(", Ada")
    assert first.mrn and first.added_at.tzinfo is not None
    assert (first.provider_name, first.category, first.entry.notes) == (
        "Drlee Staff", "Follow-up", "Mornings only")
    assert (first.entry.day_from, first.entry.day_until) == (None, time(12))
    assert (lines[1].provider_name, lines[1].category) == ("", "")
    # a slot with Dr Kim suits those waiting for her and those who take anyone
    assert [line.id for line in perform(clinic.store, nurse, open_waitlist,
                                        provider_id=clinic.drkim)] == [anyone.id, kim.id]
    with clinic.store.read_session() as session:
        reads = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "schedule.read", AuditEntry.reason == "waitlist")).all()
    assert [read.changes["results"] for read in reads] == [3, 2]
    with pytest.raises(PermissionDenied):
        perform(clinic.store, sign_in(clinic.store, "biller"), open_waitlist)


def test_a_cancelled_appointment_offers_its_slot_and_booking_closes_the_entry_at_once(
    clinic: ScheduleClinic,
) -> None:
    slot = book(clinic, 9, room_id=clinic.rooms[0])
    ben = wait(clinic, 1, provider_id=clinic.drlee)
    cleo = wait(clinic, 2, day_from=time(10))  # not at 09:00
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=slot.id) is None
    cancel(clinic, slot)
    offer = perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=slot.id)
    assert offer is not None
    assert [line.id for line in offer.suggestions] == [ben.id]
    assert (offer.provider_name, offer.category) == ("Drlee Staff", "Follow-up")
    booking = offer.booking(offer.suggestions[0])
    assert (booking.patient_id, booking.starts_at, booking.minutes, booking.room_id) == (
        clinic.patients[1], local(MONDAY, 9), 20, clinic.rooms[0])
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.desk, book_from_waitlist, entry_id=ben.id,
                version=ben.version + 1, booking=booking)
    with pytest.raises(WaitlistInvalid):  # the booking must be for the waiting patient
        perform(clinic.store, clinic.desk, book_from_waitlist, entry_id=cleo.id,
                version=cleo.version, booking=booking)
    booked = perform(clinic.store, clinic.desk, book_from_waitlist, entry_id=ben.id,
                     version=ben.version, booking=booking)
    row = entry_row(clinic, ben)
    assert (row.status, row.appointment_id) == ("booked", booked.id)
    with clinic.store.read_session() as session:
        appointment = session.get_one(Appointment, booked.id)
        assert (appointment.patient_id, appointment.starts_at, appointment.status) == (
            clinic.patients[1], local(MONDAY, 9), "scheduled")
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.resource_id == str(ben.id))).all()
    assert actions == ["waitlist.add", "waitlist.booked"]
    # the slot is taken again: nothing more to offer, and Ben is off the list
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=slot.id) is None
    assert [line.id for line in perform(clinic.store, clinic.desk, open_waitlist)] == [cleo.id]


def test_a_taken_slot_books_nobody_and_leaves_the_patient_waiting(
    clinic: ScheduleClinic,
) -> None:
    slot = book(clinic, 10)
    dov = wait(clinic, 3)
    cancel(clinic, slot)
    offer = perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=slot.id)
    assert offer is not None
    book(clinic, 10, 10, patient=2)  # another desk was quicker
    with pytest.raises(SlotTaken):
        perform(clinic.store, clinic.desk, book_from_waitlist, entry_id=dov.id,
                version=dov.version, booking=offer.booking(offer.suggestions[0]))
    assert entry_row(clinic, dov).status == "waiting"
    with clinic.store.read_session() as session:
        assert session.scalars(select(Appointment.id).where(
            Appointment.patient_id == clinic.patients[3])).all() == []
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=slot.id) is None


def test_no_offer_for_a_slot_that_has_begun_or_that_nobody_waits_for(
    clinic: ScheduleClinic,
) -> None:
    early, late = book(clinic, 8), book(clinic, 11, patient=1)
    cancel(clinic, early)
    cancel(clinic, late)
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=late.id) is None
    wait(clinic, 2)
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=late.id,
                   now=local(MONDAY, 7)) is not None
    assert perform(clinic.store, clinic.desk, waitlist_offer, appointment_id=early.id,
                   now=local(MONDAY, 8, 5)) is None
    with pytest.raises(PermissionDenied):
        perform(clinic.store, sign_in(clinic.store, "nurse"), book_from_waitlist,
                entry_id=late.id, version=1, booking=clinic.booking(local(MONDAY, 11)))
