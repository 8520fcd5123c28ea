"""Check-in and the flow board, the waitlist's suggestions for a freed slot, and the period
figures."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from schedule_data import MONDAY, ScheduleClinic, local

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    AppointmentInvalid,
    book_appointment,
    set_status,
)
from medtrack_desktop.domain.scheduling.front_desk import check_in, flow_board, parse_copay
from medtrack_desktop.domain.scheduling.metrics import appointment_metrics
from medtrack_desktop.domain.scheduling.waitlist import (
    WaitlistInvalid,
    add_to_waitlist,
    close_waitlist_entry,
    suggestions_for,
)
from medtrack_desktop.store.base import new_id


def book(clinic: ScheduleClinic, hour: int, minute: int = 0, **changes: Any) -> AppointmentEntry:
    return perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, hour, minute), **changes))


def status(clinic: ScheduleClinic, entry: AppointmentEntry, to: str, **extra: Any
           ) -> AppointmentEntry:
    return perform(clinic.store, clinic.desk, set_status, appointment_id=entry.id,
                   version=entry.version, status=to, **extra)


@pytest.mark.parametrize(("typed", "amount"), [
    ("", None), ("25", Decimal("25.00")), ("$1,250.5", Decimal("1250.50")),
    (" 0 ", Decimal("0.00"))])
def test_a_copay_as_typed(typed: str, amount: Decimal | None) -> None:
    assert parse_copay(typed) == amount


@pytest.mark.parametrize("typed", ["abc", "-5", "12.345", "NaN", "Infinity", "99999"])
def test_a_copay_that_is_not_an_amount(typed: str) -> None:
    with pytest.raises(AppointmentInvalid, match="Copay"):
        parse_copay(typed)


def test_check_in_confirms_and_records_the_copay_and_the_board_shows_the_wait(
    clinic: ScheduleClinic,
) -> None:
    first = book(clinic, 9, room_id=clinic.rooms[0], reason="Cough")
    second = book(clinic, 9, 20, patient=1)
    with pytest.raises(AppointmentInvalid) as refused:
        perform(clinic.store, clinic.desk, check_in, appointment_id=first.id,
                version=first.version, demographics_confirmed=False, insurance_confirmed=True,
                copay="x")
    assert set(refused.value.errors) == {"demographics", "copay"}
    arrived_at = local(MONDAY, 8, 50)
    perform(clinic.store, clinic.desk, check_in, appointment_id=first.id,
            version=first.version, demographics_confirmed=True, insurance_confirmed=True,
            copay="25", now=arrived_at)
    board = perform(clinic.store, clinic.desk, flow_board, day=MONDAY)
    assert [(row.appointment_id, row.status, row.room) for row in board] == [
        (first.id, "arrived", "Exam 1"), (second.id, "scheduled", "")]
    assert board[0].patient_name.startswith("Newcomer-") and board[0].category == "Follow-up"
    assert board[0].waiting(local(MONDAY, 9, 5)) == timedelta(minutes=15)
    assert board[1].waiting(local(MONDAY, 9, 5)) is None
    assert perform(clinic.store, clinic.desk, flow_board, day=MONDAY + timedelta(days=1)) == []


def test_a_cancelled_slot_is_offered_to_the_waitlist_first_come_first_served(
    clinic: ScheduleClinic,
) -> None:
    slot = book(clinic, 9)
    week = (MONDAY - timedelta(days=2), MONDAY + timedelta(days=5))

    def wait(patient: int, **extra: Any) -> Any:
        return perform(clinic.store, clinic.desk, add_to_waitlist,
                       patient_id=clinic.patients[patient], earliest_day=week[0],
                       latest_day=week[1], **extra)

    mornings = wait(1, provider_id=clinic.drlee, day_until=time(12))
    wait(2, provider_id=clinic.drkim)  # another provider
    wait(3, category_id=clinic.urgent)  # another category
    anyone = wait(3, day_from=time(8, 30), notes="Any time after school drop-off")
    with pytest.raises(WaitlistInvalid) as refused:
        wait(1, day_from=time(10), day_until=time(9))
    assert set(refused.value.errors) == {"day_until"}
    status(clinic, slot, "cancelled", cancel_reason="Feeling better")
    suggested = perform(clinic.store, clinic.desk, suggestions_for, appointment_id=slot.id)
    assert [entry.id for entry in suggested] == [mornings.id, anyone.id]
    perform(clinic.store, clinic.desk, close_waitlist_entry, entry_id=mornings.id,
            version=mornings.version, appointment_id=book(clinic, 9, patient=1).id)
    assert [e.id for e in perform(clinic.store, clinic.desk, suggestions_for,
                                  appointment_id=slot.id)] == [anyone.id]
    assert perform(clinic.store, clinic.desk, suggestions_for, appointment_id=new_id()) == []


def test_the_period_figures_per_provider(clinic: ScheduleClinic) -> None:
    done = book(clinic, 8)
    status(clinic, status(clinic, status(clinic, done, "arrived"), "in_room"), "completed")
    status(clinic, book(clinic, 8, 20, patient=1), "no_show")
    status(clinic, book(clinic, 8, 40, patient=2), "cancelled", cancel_reason="Sick")
    book(clinic, 9, patient=1)
    book(clinic, 10, patient=3)
    book(clinic, 13, patient=0, provider_id=clinic.drkim)
    metrics = perform(clinic.store, clinic.desk, appointment_metrics, first_day=MONDAY,
                      last_day=MONDAY, now=local(MONDAY, 9, 30))
    lee, kim = metrics.by_provider[clinic.drlee], metrics.by_provider[clinic.drkim]
    assert (lee.total, lee.completed, lee.no_show, lee.cancelled, lee.scheduled,
            lee.upcoming) == (5, 1, 1, 1, 2, 1)  # the 09:00 one has begun
    assert (kim.total, kim.upcoming) == (1, 1)
    assert (metrics.overall.total, metrics.overall.upcoming) == (6, 2)
    only_kim = perform(clinic.store, clinic.desk, appointment_metrics, first_day=MONDAY,
                       last_day=MONDAY, provider_id=clinic.drkim)
    assert list(only_kim.by_provider) == [clinic.drkim]
