"""Recurring appointments: rules in wall-clock time across a DST change, taken slots, bad
rules, and changing or cancelling this and the following occurrences (the series split)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from schedule_data import MONDAY, ZONE, ScheduleClinic, local

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import (
    SlotTaken,
    book_appointment,
    move_appointment,
)
from medtrack_desktop.domain.scheduling.models import AppointmentSeries
from medtrack_desktop.domain.scheduling.recurrence import (
    SERIES_CHANGED,
    SeriesInvalid,
    SeriesOutcome,
    book_series,
    cancel_following,
    change_following,
    series_appointments,
)


def series(clinic: ScheduleClinic, rule: str, hour: int = 8, **extra: object) -> SeriesOutcome:
    return perform(clinic.store, clinic.desk, book_series,
                   booking=clinic.booking(local(MONDAY + timedelta(days=1), hour)), rule=rule,
                   **extra)


def listed(clinic: ScheduleClinic, series_id: object) -> list[tuple[str, str, str | None]]:
    """(local start, status, cancel reason) of every appointment of the series."""
    rows = perform(clinic.store, clinic.desk, series_appointments, series_id=series_id)
    return [(f"{row.starts_at.astimezone(ZONE):%a %d %H:%M}", row.status, row.cancel_reason)
            for row in rows]


def test_a_weekly_series_keeps_its_wall_clock_time_across_the_dst_change(
    clinic: ScheduleClinic,
) -> None:
    outcome = series(clinic, "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4")
    assert [f"{a.starts_at.astimezone(ZONE):%a %d %H:%M}" for a in outcome.booked] == [
        "Tue 09 08:00", "Thu 11 08:00", "Tue 16 08:00", "Thu 18 08:00"]
    assert [a.starts_at.hour for a in outcome.booked] == [14, 14, 13, 13]  # UTC
    assert outcome.skipped == () and all(a.minutes == 20 for a in outcome.booked)


def test_taken_days_are_named_and_can_be_left_out(clinic: ScheduleClinic) -> None:
    perform(clinic.store, clinic.desk, book_appointment,
            booking=clinic.booking(local(MONDAY + timedelta(days=8), 8, 10), patient=1))
    with pytest.raises(SlotTaken, match="Taken on Tue 16 Mar"):
        series(clinic, "FREQ=WEEKLY;COUNT=3")
    outcome = series(clinic, "FREQ=WEEKLY;COUNT=3", skip_taken=True)
    assert len(outcome.booked) == 2 and [s.astimezone(ZONE).day for s in outcome.skipped] == [16]


@pytest.mark.parametrize(("rule", "message"), [
    ("FREQ=WEEKLY", "say until when"),
    ("FREQ=DAILY;COUNT=101", "at most 100"),
    ("FREQ=FORTNIGHTLY;COUNT=2", "cannot be read"),
    ("FREQ=WEEKLY;UNTIL=20270301T000000", "gives no appointment"),
])
def test_a_rule_that_cannot_be_used_is_refused(clinic: ScheduleClinic, rule: str,
                                               message: str) -> None:
    with pytest.raises(SeriesInvalid, match=message):
        series(clinic, rule)


def test_changing_this_and_following_splits_the_series_and_keeps_an_earlier_exception(
    clinic: ScheduleClinic,
) -> None:
    outcome = series(clinic, "FREQ=WEEKLY;COUNT=6", hour=9)
    second, fourth = outcome.booked[1], outcome.booked[3]
    perform(clinic.store, clinic.desk, move_appointment, appointment_id=second.id,
            version=second.version, starts_at=second.starts_at + timedelta(hours=1))
    split = perform(clinic.store, clinic.desk, change_following, appointment_id=fourth.id,
                    start_time=time(11))
    assert listed(clinic, outcome.series_id) == [
        ("Tue 09 09:00", "scheduled", None), ("Tue 16 10:00", "scheduled", None),
        ("Tue 23 09:00", "scheduled", None), ("Tue 30 09:00", "cancelled", SERIES_CHANGED),
        ("Tue 06 09:00", "cancelled", SERIES_CHANGED),
        ("Tue 13 09:00", "cancelled", SERIES_CHANGED)]
    assert listed(clinic, split.series_id) == [
        ("Tue 30 11:00", "scheduled", None), ("Tue 06 11:00", "scheduled", None),
        ("Tue 13 11:00", "scheduled", None)]
    with clinic.store.read_session() as session:
        old = session.get_one(AppointmentSeries, outcome.series_id)
        new = session.get_one(AppointmentSeries, split.series_id)
        assert old.rule == "FREQ=WEEKLY;UNTIL=20270329T235959"
        assert (new.rule, new.start_time) == ("FREQ=WEEKLY;COUNT=3", time(11))


def test_cancelling_the_whole_series_leaves_the_past_alone(clinic: ScheduleClinic) -> None:
    outcome = series(clinic, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5")
    cancelled = perform(clinic.store, clinic.desk, cancel_following,
                        appointment_id=outcome.booked[2].id, reason="Moved away")
    assert cancelled == 3
    assert [status for _when, status, _why in listed(clinic, outcome.series_id)] == [
        "scheduled", "scheduled", "cancelled", "cancelled", "cancelled"]
    assert perform(clinic.store, clinic.desk, cancel_following,
                   appointment_id=outcome.booked[0].id, reason="Moved away",
                   whole_series=True) == 2
