"""Changing or cancelling "all" of a series leaves what is past alone (by the ``now`` given),
a time change keeps the days the series held (a day cancelled on its own stays free), rules
reach at most two years, and where an appointment stands in its series is read for the
question "this one, this and following, or all?"."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from schedule_data import MONDAY, ZONE, ScheduleClinic, local

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import book_appointment, set_status
from medtrack_desktop.domain.scheduling.recurrence import (
    SERIES_CHANGED,
    SeriesInvalid,
    SeriesOutcome,
    SeriesSlotsTaken,
    book_series,
    cancel_following,
    change_following,
    series_appointments,
    series_place,
)

TUESDAY = MONDAY + timedelta(days=1)


def weekly(clinic: ScheduleClinic, count: int, hour: int = 9) -> SeriesOutcome:
    return perform(clinic.store, clinic.desk, book_series,
                   booking=clinic.booking(local(TUESDAY, hour)), rule=f"FREQ=WEEKLY;COUNT={count}")


def listed(clinic: ScheduleClinic, series_id: object) -> list[tuple[str, str]]:
    rows = perform(clinic.store, clinic.desk, series_appointments, series_id=series_id)
    return [(f"{row.starts_at.astimezone(ZONE):%d %b %H:%M}", row.status) for row in rows]


def complete(clinic: ScheduleClinic, outcome: SeriesOutcome, index: int) -> None:
    entry = outcome.booked[index]
    for version, status in ((entry.version, "arrived"), (entry.version + 1, "completed")):
        perform(clinic.store, clinic.desk, set_status, appointment_id=entry.id,
                version=version, status=status)


def test_moving_all_keeps_what_is_past_and_what_was_completed(clinic: ScheduleClinic) -> None:
    outcome = weekly(clinic, 5)
    complete(clinic, outcome, 0)
    now = local(TUESDAY + timedelta(days=7), 12)  # the second one is past, never marked
    moved = perform(clinic.store, clinic.desk, change_following,
                    appointment_id=outcome.booked[3].id, start_time=time(10, 30),
                    whole_series=True, now=now)
    assert listed(clinic, outcome.series_id) == [
        ("09 Mar 09:00", "completed"), ("16 Mar 09:00", "scheduled"),
        ("23 Mar 09:00", "cancelled"), ("30 Mar 09:00", "cancelled"),
        ("06 Apr 09:00", "cancelled")]
    assert listed(clinic, moved.series_id) == [
        ("23 Mar 10:30", "scheduled"), ("30 Mar 10:30", "scheduled"),
        ("06 Apr 10:30", "scheduled")]


def test_cancelling_all_leaves_the_past_alone(clinic: ScheduleClinic) -> None:
    outcome = weekly(clinic, 4)
    complete(clinic, outcome, 0)
    cancelled = perform(clinic.store, clinic.desk, cancel_following,
                        appointment_id=outcome.booked[0].id, reason="Moved away",
                        whole_series=True, now=local(TUESDAY + timedelta(days=7), 12))
    assert cancelled == 2
    assert [status for _when, status in listed(clinic, outcome.series_id)] == [
        "completed", "scheduled", "cancelled", "cancelled"]


def test_this_and_following_never_reaches_back_before_now(clinic: ScheduleClinic) -> None:
    outcome = weekly(clinic, 3)
    cancelled = perform(clinic.store, clinic.desk, cancel_following,
                        appointment_id=outcome.booked[0].id, reason="Moved away",
                        now=local(TUESDAY, 12))
    assert cancelled == 2 and listed(clinic, outcome.series_id)[0][1] == "scheduled"


def test_a_time_change_keeps_a_day_cancelled_on_its_own_free(clinic: ScheduleClinic) -> None:
    outcome = weekly(clinic, 6)
    fifth = outcome.booked[4]
    perform(clinic.store, clinic.desk, set_status, appointment_id=fifth.id,
            version=fifth.version, status="cancelled", cancel_reason="Holiday")
    split = perform(clinic.store, clinic.desk, change_following,
                    appointment_id=outcome.booked[2].id, start_time=time(11))
    assert listed(clinic, split.series_id) == [
        ("23 Mar 11:00", "scheduled"), ("30 Mar 11:00", "scheduled"),
        ("13 Apr 11:00", "scheduled")]
    rows = perform(clinic.store, clinic.desk, series_appointments,
                   series_id=outcome.series_id)
    assert [row.cancel_reason for row in rows][2:] == [
        SERIES_CHANGED, SERIES_CHANGED, "Holiday", SERIES_CHANGED]


def test_a_rule_reaches_at_most_two_years(clinic: ScheduleClinic) -> None:
    with pytest.raises(SeriesInvalid, match=r"at most 2 years ahead \(until Fri 9 Mar 2029"):
        perform(clinic.store, clinic.desk, book_series,
                booking=clinic.booking(local(TUESDAY, 9)),
                rule="FREQ=MONTHLY;INTERVAL=12;COUNT=4")
    outcome = perform(clinic.store, clinic.desk, book_series,
                      booking=clinic.booking(local(TUESDAY, 9)),
                      rule="FREQ=MONTHLY;INTERVAL=12;COUNT=3")
    assert len(outcome.booked) == 3


def test_a_taken_day_is_named_with_how_many_were_asked(clinic: ScheduleClinic) -> None:
    perform(clinic.store, clinic.desk, book_appointment,
            booking=clinic.booking(local(TUESDAY + timedelta(days=14), 9), patient=1))
    with pytest.raises(SeriesSlotsTaken) as refused:
        weekly(clinic, 4)
    assert [moment.astimezone(ZONE).day for moment in refused.value.taken] == [23]
    assert refused.value.total == 4


def test_the_place_of_an_appointment_in_its_series(clinic: ScheduleClinic) -> None:
    outcome = weekly(clinic, 5)
    third = outcome.booked[2]
    perform(clinic.store, clinic.desk, set_status, appointment_id=outcome.booked[3].id,
            version=outcome.booked[3].version, status="cancelled", cancel_reason="Holiday")
    place = perform(clinic.store, clinic.desk, series_place, appointment_id=third.id,
                    now=local(TUESDAY, 12))
    assert place.series_id == outcome.series_id and place.rule == "FREQ=WEEKLY;COUNT=5"
    assert [f"{m.astimezone(ZONE):%d %b}" for m in place.following] == ["23 Mar", "06 Apr"]
    assert [f"{m.astimezone(ZONE):%d %b}" for m in place.to_come] == [
        "16 Mar", "23 Mar", "06 Apr"]
    single = perform(clinic.store, clinic.desk, book_appointment,
                     booking=clinic.booking(local(TUESDAY, 11), patient=1))
    with pytest.raises(SeriesInvalid, match="not part of a series"):
        perform(clinic.store, clinic.desk, series_place, appointment_id=single.id)
