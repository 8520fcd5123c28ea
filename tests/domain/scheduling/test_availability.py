"""Open slots: hand-checked cases, mornings only, time off and extra sessions, a DST change, and
a property: a slot offered never overlaps an appointment nor leaves the provider's sessions."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schedule_data import MONDAY, ZONE, ScheduleClinic, local

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import SlotTaken, book_appointment
from medtrack_desktop.domain.scheduling.availability import (
    AvailabilityInvalid,
    Slot,
    add_exception,
    availability,
    open_slots,
)

BEFORE = local(MONDAY, 0) - timedelta(days=30)  # "now" for the searches: nothing is past


def slots(clinic: ScheduleClinic, minutes: int, first: date = MONDAY, last: date = MONDAY,
          **extra: object) -> list[Slot]:
    return perform(clinic.store, clinic.desk, open_slots, provider_id=clinic.drlee,
                   minutes=minutes, first_day=first, last_day=last, **({"now": BEFORE} | extra))


def starts(found: list[Slot]) -> list[str]:
    return [f"{slot.starts_at.astimezone(ZONE):%a %H:%M}" for slot in found]


def test_free_time_around_an_appointment_and_time_off(clinic: ScheduleClinic) -> None:
    perform(clinic.store, clinic.desk, book_appointment, booking=clinic.booking(local(MONDAY, 9)))
    perform(clinic.store, clinic.desk, add_exception, provider_id=clinic.drlee,
            kind="time_off", starts_at=local(MONDAY, 10), ends_at=local(MONDAY, 11),
            reason="Meeting")
    assert starts(slots(clinic, 30)) == ["Mon 08:00", "Mon 08:15", "Mon 08:30", "Mon 09:30",
                                         "Mon 11:00", "Mon 11:15", "Mon 11:30"]
    assert starts(slots(clinic, 30, day_until=time(10))) == [
        "Mon 08:00", "Mon 08:15", "Mon 08:30", "Mon 09:30"]
    assert starts(slots(clinic, 60, day_from=time(9))) == ["Mon 11:00"]
    assert len(slots(clinic, 30, limit=2)) == 2


def test_an_extra_session_and_a_day_without_one(clinic: ScheduleClinic) -> None:
    saturday = MONDAY + timedelta(days=5)
    assert slots(clinic, 30, saturday, saturday) == []
    perform(clinic.store, clinic.desk, add_exception, provider_id=clinic.drlee, kind="extra",
            starts_at=local(saturday, 9), ends_at=local(saturday, 10),
            facility_id=clinic.facility)
    found = slots(clinic, 30, saturday, saturday)
    assert starts(found) == ["Sat 09:00", "Sat 09:15", "Sat 09:30"]
    assert {slot.facility_id for slot in found} == {clinic.facility}


def test_sessions_keep_their_wall_clock_time_across_the_dst_change(
    clinic: ScheduleClinic,
) -> None:
    """Chicago moves to daylight time on Sunday 14 March 2027: 08:00 is 14:00 UTC on the
    Monday before and 13:00 UTC on the Monday after."""
    with clinic.store.read_session() as session:
        windows = availability(session, provider_id=clinic.drlee, first_day=MONDAY,
                               last_day=MONDAY + timedelta(days=7), zone=ZONE)
    mondays = [w for w in windows if w.starts_at.astimezone(ZONE).weekday() == 0]
    assert [(w.starts_at.hour, w.ends_at.hour) for w in mondays] == [(14, 18), (13, 17)]
    assert {w.starts_at.astimezone(ZONE).time() for w in windows} == {time(8)}


def test_a_search_is_bounded_and_checked(clinic: ScheduleClinic) -> None:
    with pytest.raises(AvailabilityInvalid) as refused:
        slots(clinic, 2, MONDAY, MONDAY - timedelta(days=1))
    assert set(refused.value.errors) == {"minutes", "last_day"}
    with pytest.raises(AvailabilityInvalid):
        slots(clinic, 30, MONDAY, MONDAY + timedelta(days=400))
    assert slots(clinic, 30, now=local(MONDAY, 11, 40)) == [], "nothing in the past"


_WEEKS = count(1)
_bookings = st.lists(st.tuples(st.integers(0, 4), st.integers(7 * 4, 13 * 4 - 1),
                               st.sampled_from([15, 20, 30, 45, 60, 90]), st.booleans()),
                     max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bookings=_bookings, minutes=st.sampled_from([15, 20, 30, 60]),
       time_off=st.one_of(st.none(), st.tuples(st.integers(0, 4), st.integers(8, 11))))
def test_a_slot_offered_is_free_and_in_a_session(
    clinic: ScheduleClinic, bookings: list[tuple[int, int, int, bool]], minutes: int,
    time_off: tuple[int, int] | None,
) -> None:
    """Random appointments (some overbooked, some refused as clashes) and time off in a week
    of its own; every slot found lies in Dr Lee's sessions (08:00-12:00) outside the time off
    and overlaps none of the appointments that were booked."""
    monday = MONDAY + timedelta(weeks=next(_WEEKS))
    booked = []
    for weekday, quarter, length, overbook in bookings:
        at = local(monday + timedelta(days=weekday), quarter // 4, quarter % 4 * 15)
        category = clinic.urgent if overbook else clinic.follow_up
        try:
            booked.append(perform(clinic.store, clinic.desk, book_appointment,
                                  booking=clinic.booking(at, minutes=length, overbook=overbook,
                                                         category_id=category)))
        except SlotTaken:
            continue
    off = None
    if time_off is not None:
        day = monday + timedelta(days=time_off[0])
        off = (local(day, time_off[1]), local(day, time_off[1]) + timedelta(minutes=45))
        perform(clinic.store, clinic.desk, add_exception, provider_id=clinic.drlee,
                kind="time_off", starts_at=off[0], ends_at=off[1])
    found = slots(clinic, minutes, monday, monday + timedelta(days=6), limit=500)
    for slot in found:
        start, end = slot.starts_at.astimezone(ZONE), slot.ends_at.astimezone(ZONE)
        assert start.weekday() < 5 and time(8) <= start.time() and end.time() <= time(12)
        assert end - start == timedelta(minutes=minutes)
        assert not any(a.starts_at < slot.ends_at and slot.starts_at < a.ends_at
                       for a in booked), slot
        assert off is None or not (off[0] < slot.ends_at and slot.starts_at < off[1]), slot
    assert booked or found, "an empty week offers slots"
