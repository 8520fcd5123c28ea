"""What the calendar screens read: the clinic's lists, a range of days with bookable time and
named appointments (one audited read), and a provider's day for print."""

from __future__ import annotations

from datetime import timedelta

import pytest
from demo_users import sign_in
from schedule_data import MONDAY, ScheduleClinic, local
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.scheduling.appointments import book_appointment, set_status
from medtrack_desktop.domain.scheduling.calendar import (
    calendar_month,
    calendar_range,
    calendar_setup,
    day_schedule,
)


def _audit(clinic: ScheduleClinic, action: str) -> list[AuditEntry]:
    with clinic.store.read_session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_setup_lists_providers_rooms_and_categories(clinic: ScheduleClinic) -> None:
    setup = perform(clinic.store, clinic.desk, calendar_setup)
    assert [(p.id, p.name) for p in setup.providers] == [(clinic.drkim, "Drkim Staff"),
                                                         (clinic.drlee, "Drlee Staff")]
    assert [f.id for f in setup.facilities] == [clinic.facility]
    assert sorted(r.id for r in setup.rooms) == sorted(clinic.rooms)
    assert [c.name for c in setup.categories] == ["Follow-up", "Urgent"]
    with pytest.raises(PermissionDenied):
        perform(clinic.store, sign_in(clinic.store, "biller"), calendar_setup)


def test_a_range_names_the_patients_shades_the_sessions_and_is_read_once(
    clinic: ScheduleClinic,
) -> None:
    visit = perform(clinic.store, clinic.desk, book_appointment,
                    booking=clinic.booking(local(MONDAY, 9), reason="Cough"))
    gone = perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, 10), patient=1))
    perform(clinic.store, clinic.desk, set_status, appointment_id=gone.id, version=gone.version,
            status="cancelled", cancel_reason="Called")
    nurse = sign_in(clinic.store, "nurse")
    shown = perform(clinic.store, nurse, calendar_range, first_day=MONDAY, last_day=MONDAY,
                    provider_ids=[clinic.drlee, clinic.drkim])
    (item,) = shown.appointments
    assert item.id == visit.id and item.mrn
    assert item.patient_name.startswith("Newcomer-") and item.patient_name.endswith(", Ada")
    assert (item.category, item.color, item.status_text) == ("Follow-up", "#4a7fb5",
                                                            "Scheduled")
    assert [(w.starts_at, w.ends_at) for w in shown.windows[clinic.drlee]] == [
        (local(MONDAY, 8), local(MONDAY, 12))]
    assert [(w.starts_at, w.ends_at) for w in shown.windows[clinic.drkim]] == [
        (local(MONDAY, 13), local(MONDAY, 17))]
    with_cancelled = perform(clinic.store, nurse, calendar_range, first_day=MONDAY,
                             last_day=MONDAY, provider_ids=[clinic.drlee],
                             include_cancelled=True)
    assert [a.entry.status for a in with_cancelled.appointments] == ["scheduled", "cancelled"]
    reads = [e for e in _audit(clinic, "schedule.read") if e.reason == "calendar"]
    assert [e.changes["results"] for e in reads] == [1, 2]
    assert "Cough" not in str(reads[0].changes)
    with pytest.raises(ValueError, match="1 to 42 days"):
        perform(clinic.store, nurse, calendar_range, first_day=MONDAY,
                last_day=MONDAY + timedelta(days=42), provider_ids=[clinic.drlee])


def test_a_month_read_is_light_leaves_out_the_cancelled_and_is_audited(
    clinic: ScheduleClinic,
) -> None:
    later = MONDAY + timedelta(days=9)
    for day, hour, patient in ((later, 11, 1), (MONDAY, 9, 0), (MONDAY, 10, 1)):
        perform(clinic.store, clinic.desk, book_appointment,
                booking=clinic.booking(local(day, hour), patient=patient))
    gone = perform(clinic.store, clinic.desk, book_appointment,
                   booking=clinic.booking(local(MONDAY, 11), patient=2))
    perform(clinic.store, clinic.desk, set_status, appointment_id=gone.id, version=gone.version,
            status="cancelled", cancel_reason="Called")
    nurse = sign_in(clinic.store, "nurse")
    month = perform(clinic.store, nurse, calendar_month, first_day=MONDAY,
                    last_day=MONDAY + timedelta(days=41), provider_ids=[clinic.drlee])
    full = perform(clinic.store, nurse, calendar_range, first_day=MONDAY,
                   last_day=MONDAY + timedelta(days=41), provider_ids=[clinic.drlee])
    assert [(a.starts_at, a.status, a.surname, a.color) for a in month.appointments] == [
        (a.entry.starts_at, a.entry.status, a.patient_name.split(",")[0], a.color)
        for a in full.appointments]
    assert [a.starts_at for a in month.appointments] == [
        local(MONDAY, 9), local(MONDAY, 10), local(later, 11)]
    assert month.windows == full.windows
    (read,) = [e for e in _audit(clinic, "schedule.read") if e.reason == "calendar month"]
    assert read.changes["results"] == 3
    with pytest.raises(ValueError, match="1 to 42 days"):
        perform(clinic.store, nurse, calendar_month, first_day=MONDAY,
                last_day=MONDAY + timedelta(days=42), provider_ids=[clinic.drlee])


def test_a_providers_day_for_print(clinic: ScheduleClinic) -> None:
    for hour, patient in ((10, 1), (9, 0)):
        perform(clinic.store, clinic.desk, book_appointment,
                booking=clinic.booking(local(MONDAY, hour), patient=patient, reason="Rash"))
    printed = perform(clinic.store, clinic.desk, day_schedule, provider_id=clinic.drlee,
                      day=MONDAY)
    assert (printed.clinic_name, printed.provider_name, printed.day) == (
        "Schedule Test Clinic", "Drlee Staff", MONDAY)
    assert [(line.starts_at, line.ends_at, line.status, line.reason)
            for line in printed.lines] == [
        (local(MONDAY, 9), local(MONDAY, 9, 20), "Scheduled", "Rash"),
        (local(MONDAY, 10), local(MONDAY, 10, 20), "Scheduled", "Rash")]
    (entry,) = _audit(clinic, "schedule.print")
    assert entry.changes["results"] == 2 and "Rash" not in str(entry.changes)
    with pytest.raises(ValueError, match="Provider"):
        perform(clinic.store, clinic.desk, day_schedule, provider_id=clinic.facility,
                day=MONDAY)
