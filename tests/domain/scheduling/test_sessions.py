"""A provider's template as the setup screen keeps it: listed, a session added (never over
another), ended from a day on, one not started removed, a future exception removed; the
availability the calendar shades follows; refusals, stale versions and permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from demo_users import sign_in
from schedule_data import MONDAY, ZONE, ScheduleClinic, local
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.scheduling.appointments import book_appointment
from medtrack_desktop.domain.scheduling.availability import (
    AvailabilityInvalid,
    add_exception,
    add_weekly_session,
    availability,
)
from medtrack_desktop.domain.scheduling.sessions import (
    ProviderTemplate,
    end_session,
    provider_template,
    providers,
    remove_exception,
    remove_session,
)
from medtrack_desktop.domain.scheduling.setup import (
    SetupStale,
    add_facility,
    facility_setup,
    set_active,
)

NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)  # a Monday; the sessions began on 1 January


def _hours(clinic: ScheduleClinic, day: date) -> list[str]:
    with clinic.store.read_session() as session:
        windows = availability(session, provider_id=clinic.drlee, first_day=day, last_day=day,
                               zone=ZONE)
    return [f"{w.starts_at.astimezone(ZONE):%H:%M}-{w.ends_at.astimezone(ZONE):%H:%M}"
            for w in windows]


def _template(clinic: ScheduleClinic, actor: Actor | None = None) -> ProviderTemplate:
    return perform(clinic.store, actor or clinic.desk, provider_template,
                   provider_id=clinic.drlee, now=NOW)


def test_the_template_listed_as_people_read_it(clinic: ScheduleClinic) -> None:
    template = _template(clinic)
    assert [s.describe() for s in template.sessions] == [
        f"{day} 08:00\u201312:00 at Main Street" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")]
    assert template.sessions[0].period == "from 01/01/2027"
    # the administrator reads it too (the setup screen), without the schedule permissions
    assert _template(clinic, clinic.admin) == template
    names = [p.name for p in perform(clinic.store, clinic.admin, providers)]
    assert names == ["Drkim Staff", "Drlee Staff"]


def test_a_session_added_shows_in_the_availability(clinic: ScheduleClinic) -> None:
    saturday = MONDAY + timedelta(days=5)
    assert _hours(clinic, saturday) == []
    perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
            facility_id=clinic.facility, weekday=5, starts=time(9), ends=time(12, 30),
            valid_from=MONDAY)
    assert _hours(clinic, saturday) == ["09:00-12:30"]
    assert _hours(clinic, saturday - timedelta(days=7)) == []  # before its first day
    # the same hours on another day, or another provider at the same time, are fine
    perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
            facility_id=clinic.facility, weekday=0, starts=time(13), ends=time(17),
            valid_from=MONDAY)
    assert _hours(clinic, MONDAY) == ["08:00-12:00", "13:00-17:00"]


@pytest.mark.parametrize(("starts", "ends", "valid_from", "valid_until", "field"), [
    (time(11), time(14), date(2027, 3, 1), None, "starts"),  # overlaps Mon 08-12
    (time(7), time(8, 30), date(2027, 6, 1), date(2027, 6, 30), "starts"),
    (time(12), time(11), date(2027, 3, 1), None, "ends"),  # ends before it starts
    (time(12), time(12), date(2027, 3, 1), None, "ends"),
    (time(13), time(17), date(2027, 3, 1), date(2027, 2, 1), "valid_until"),
])
def test_refused_sessions_write_nothing(clinic: ScheduleClinic, starts: time, ends: time,
                                        valid_from: date, valid_until: date | None,
                                        field: str) -> None:
    with pytest.raises(AvailabilityInvalid) as refused:
        perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
                facility_id=clinic.facility, weekday=0, starts=starts, ends=ends,
                valid_from=valid_from, valid_until=valid_until)
    assert list(refused.value.errors) == [field]
    assert len(_template(clinic).sessions) == 5


def test_an_overlap_only_counts_on_shared_days(clinic: ScheduleClinic) -> None:
    monday = _template(clinic).sessions[0]
    perform(clinic.store, clinic.desk, end_session, session_id=monday.id,
            version=monday.version, last_day=date(2027, 3, 31), now=NOW)
    # Mondays 10-14 from April on: the morning session ended in March
    perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
            facility_id=clinic.facility, weekday=0, starts=time(10), ends=time(14),
            valid_from=date(2027, 4, 1))
    with pytest.raises(AvailabilityInvalid) as refused:
        perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
                facility_id=clinic.facility, weekday=0, starts=time(13), ends=time(15),
                valid_from=date(2027, 3, 1))
    assert "Monday session 10:00\u201314:00 (from 04/01/2027)" in refused.value.errors["starts"]
    assert _hours(clinic, date(2027, 3, 29)) == ["08:00-12:00"]
    assert _hours(clinic, date(2027, 4, 5)) == ["10:00-14:00"]


def test_ending_a_session(clinic: ScheduleClinic) -> None:
    store, desk = clinic.store, clinic.desk
    perform(store, desk, book_appointment, booking=clinic.booking(local(MONDAY, 9)))
    perform(store, desk, book_appointment, booking=clinic.booking(
        local(MONDAY + timedelta(days=1), 9), patient=1))  # a Tuesday: another session
    monday = _template(clinic).sessions[0]
    for last_day, words in ((date(2026, 12, 31), "on or after its first day, 01/01/2027"),
                            (date(2027, 1, 25), "yesterday or later")):
        with pytest.raises(AvailabilityInvalid) as refused:
            perform(store, desk, end_session, session_id=monday.id, version=monday.version,
                    last_day=last_day, now=NOW)
        assert words in refused.value.errors["last_day"]
    ended = perform(store, desk, end_session, session_id=monday.id, version=monday.version,
                    last_day=MONDAY - timedelta(days=1), now=NOW)
    assert ended.booked_after == 1  # the Monday appointment stays, outside the hours
    assert _hours(clinic, MONDAY) == []
    assert _hours(clinic, MONDAY - timedelta(days=7)) == ["08:00-12:00"]
    assert _template(clinic).sessions[0].period == "01/01/2027 to 03/07/2027"
    with pytest.raises(SetupStale):  # the list showed the version before the end
        perform(store, desk, end_session, session_id=monday.id, version=monday.version,
                last_day=MONDAY - timedelta(days=2), now=NOW)
    again = _template(clinic).sessions[0]
    with pytest.raises(AvailabilityInvalid) as refused:
        perform(store, desk, end_session, session_id=again.id, version=again.version,
                last_day=MONDAY + timedelta(days=7), now=NOW)
    assert "ends 03/07/2027 already" in refused.value.errors["last_day"]
    with store.read_session() as session:
        changes = session.scalars(select(AuditEntry.changes).where(
            AuditEntry.action == "schedule.availability",
            AuditEntry.resource_id == str(monday.id))).all()
    assert {"valid_until": {"old": None, "new": "2027-03-07"}} in changes
    # a session gone from the list no longer shows once its last day has passed
    later = datetime(2027, 3, 9, 12, tzinfo=UTC)
    assert len(perform(store, desk, provider_template, provider_id=clinic.drlee,
                       now=later).sessions) == 4


def test_a_session_not_started_is_removed_one_in_force_is_not(clinic: ScheduleClinic) -> None:
    store, desk = clinic.store, clinic.desk
    perform(store, desk, add_weekly_session, provider_id=clinic.drlee, facility_id=clinic.facility,
            weekday=5, starts=time(9), ends=time(12), valid_from=MONDAY)
    saturday = next(s for s in _template(clinic).sessions if s.weekday == 5)
    perform(store, desk, remove_session, session_id=saturday.id, version=saturday.version,
            now=NOW)
    assert [s.weekday for s in _template(clinic).sessions] == [0, 1, 2, 3, 4]
    monday = _template(clinic).sessions[0]
    with pytest.raises(AvailabilityInvalid):
        perform(store, desk, remove_session, session_id=monday.id, version=monday.version,
                now=NOW)


def test_exceptions_listed_and_a_future_one_removed(clinic: ScheduleClinic) -> None:
    store, desk = clinic.store, clinic.desk
    perform(store, desk, add_exception, provider_id=clinic.drlee, kind="time_off",
            starts_at=local(MONDAY, 0), ends_at=local(MONDAY + timedelta(days=1), 0),
            reason="Conference")
    perform(store, desk, add_exception, provider_id=clinic.drlee, kind="extra",
            starts_at=local(MONDAY + timedelta(days=5), 9),
            ends_at=local(MONDAY + timedelta(days=5), 11), facility_id=clinic.facility)
    perform(store, desk, add_exception, provider_id=clinic.drlee, kind="time_off",
            starts_at=local(date(2027, 1, 4), 8), ends_at=local(date(2027, 1, 4), 12))
    template = _template(clinic)
    assert [(e.kind, f"{e.starts_at:%m/%d %H:%M}", e.facility, e.reason)
            for e in template.exceptions] == [
        ("time_off", "03/08 00:00", "", "Conference"),
        ("extra", "03/13 09:00", "Main Street", "")]  # the January one is over
    assert template.exceptions[0].starts_at.tzinfo == ZONE
    assert _hours(clinic, MONDAY) == []
    conference = template.exceptions[0]
    perform(store, desk, remove_exception, exception_id=conference.id,
            version=conference.version, now=NOW)
    assert _hours(clinic, MONDAY) == ["08:00-12:00"]
    with pytest.raises(SetupStale):
        perform(store, desk, remove_exception, exception_id=conference.id,
                version=conference.version, now=NOW)
    extra = _template(clinic).exceptions[0]
    with pytest.raises(AvailabilityInvalid) as refused:
        perform(store, desk, remove_exception, exception_id=extra.id, version=extra.version,
                now=local(MONDAY + timedelta(days=5), 10))
    assert "begun already" in refused.value.errors["exception"]


def test_a_retired_facility_takes_no_session(clinic: ScheduleClinic) -> None:
    annex = perform(clinic.store, clinic.admin, add_facility, name="Annex")
    row = next(f for f in perform(clinic.store, clinic.admin, facility_setup) if f.id == annex)
    perform(clinic.store, clinic.admin, set_active, kind="facility", row_id=annex,
            version=row.version, active=False)
    with pytest.raises(AvailabilityInvalid) as refused:
        perform(clinic.store, clinic.desk, add_weekly_session, provider_id=clinic.drlee,
                facility_id=annex, weekday=5, starts=time(9), ends=time(12), valid_from=MONDAY)
    assert "retired" in refused.value.errors["facility"]


def test_who_may_change_the_template(clinic: ScheduleClinic) -> None:
    monday = _template(clinic).sessions[0]
    # a nurse reads the schedule but keeps no hours
    nurse = sign_in(clinic.store, "nurse")
    with pytest.raises(PermissionDenied):
        perform(clinic.store, nurse, end_session, session_id=monday.id,
                version=monday.version, last_day=MONDAY, now=NOW)
    with pytest.raises(PermissionDenied):
        perform(clinic.store, nurse, add_weekly_session, provider_id=clinic.drlee,
                facility_id=clinic.facility, weekday=6, starts=time(9), ends=time(10),
                valid_from=MONDAY)
    assert len(_template(clinic).sessions) == 5
    # the clinic's administrator (clinic.admin, without schedule.write) keeps them
    assert not clinic.admin.can("schedule.write")
    perform(clinic.store, clinic.admin, add_weekly_session, provider_id=clinic.drlee,
            facility_id=clinic.facility, weekday=6, starts=time(9), ends=time(10),
            valid_from=MONDAY)
    assert len(_template(clinic).sessions) == 6
