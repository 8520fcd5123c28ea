"""The period figures as the seed report defines them: total = completed + scheduled (not
ended yet, checked in and in room included) + cancelled + no-show; upcoming = still to come."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from demo_users import sign_in
from schedule_data import MONDAY, ScheduleClinic, local

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    book_appointment,
    set_status,
)
from medtrack_desktop.domain.scheduling.metrics import (
    AppointmentCounts,
    MetricsInvalid,
    appointment_metrics,
)


def book(clinic: ScheduleClinic, hour: int, minute: int = 0, **changes: Any
         ) -> AppointmentEntry:
    return perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, hour, minute), **changes))


def moved(clinic: ScheduleClinic, entry: AppointmentEntry, *statuses: str) -> None:
    for status in statuses:
        entry = perform(clinic.store, clinic.desk, set_status, appointment_id=entry.id,
                        version=entry.version, status=status, cancel_reason="Sick")


def test_every_appointment_counts_once_and_the_totals_add_up(clinic: ScheduleClinic) -> None:
    moved(clinic, book(clinic, 8), "arrived", "in_room", "completed")
    moved(clinic, book(clinic, 8, 20, patient=1), "arrived")  # checked in: not ended
    moved(clinic, book(clinic, 8, 40, patient=2), "arrived", "in_room")
    moved(clinic, book(clinic, 9, patient=3), "no_show")
    moved(clinic, book(clinic, 9, 20), "cancelled")
    moved(clinic, book(clinic, 10, patient=1), "confirmed")
    book(clinic, 11, patient=2)
    book(clinic, 13, provider_id=clinic.drkim, patient=3)
    perform(clinic.store, clinic.desk, book_appointment,  # the next day: another period
            booking=clinic.booking(local(MONDAY + timedelta(days=1), 9)))
    metrics = perform(clinic.store, sign_in(clinic.store, "nurse"), appointment_metrics,
                      first_day=MONDAY, last_day=MONDAY, now=local(MONDAY, 9, 30))
    lee = metrics.by_provider[clinic.drlee]
    assert lee == AppointmentCounts(total=7, upcoming=2, completed=1, scheduled=4,
                                    cancelled=1, no_show=1)
    assert lee.total == lee.completed + lee.scheduled + lee.cancelled + lee.no_show
    assert metrics.by_provider[clinic.drkim] == AppointmentCounts(
        total=1, upcoming=1, scheduled=1)
    assert metrics.overall == AppointmentCounts(total=8, upcoming=3, completed=1, scheduled=5,
                                                cancelled=1, no_show=1)
    assert metrics.provider_names == {clinic.drlee: "Drlee Staff", clinic.drkim: "Drkim Staff"}
    week = perform(clinic.store, clinic.desk, appointment_metrics, first_day=MONDAY,
                   last_day=MONDAY + timedelta(days=6), now=local(MONDAY, 9, 30))
    assert week.overall.total == 9 and week.overall.upcoming == 4


def test_a_period_must_run_forward_and_be_read_by_someone_who_reads_the_schedule(
    clinic: ScheduleClinic,
) -> None:
    with pytest.raises(MetricsInvalid) as refused:
        perform(clinic.store, clinic.desk, appointment_metrics, first_day=MONDAY,
                last_day=MONDAY - timedelta(days=1))
    assert set(refused.value.errors) == {"last_day"}
    empty = perform(clinic.store, clinic.desk, appointment_metrics, first_day=MONDAY,
                    last_day=MONDAY)
    assert (empty.overall, empty.by_provider) == (AppointmentCounts(), {})
    with pytest.raises(PermissionDenied):
        perform(clinic.store, sign_in(clinic.store, "biller"), appointment_metrics,
                first_day=MONDAY, last_day=MONDAY)
