"""The demo clinic's schedule: set up like a clinic's, never double-booked but on purpose,
past weeks done, the coming weeks open, today a flow board in motion; the same for a seed."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from medtrack_desktop.demo import create_demo_database
from medtrack_desktop.demo.schedule import BOARD_TIME, CATEGORIES, ECG_CART, EXAM_ROOMS
from medtrack_desktop.domain.identity.models import Role, User, UserRole
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.appointments import NEXT_STATUSES
from medtrack_desktop.domain.scheduling.availability import availability
from medtrack_desktop.domain.scheduling.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentCategory,
    AppointmentStatusChange,
    AvailabilityException,
    Facility,
    Room,
    WaitlistEntry,
    WeeklyAvailability,
)
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 25)  # tests/conftest.py DEMO_TODAY: a Wednesday, after the DST change
ZONE = ZoneInfo("America/Chicago")
NOW = datetime.combine(TODAY, BOARD_TIME, ZONE).astimezone(UTC)


def appointments(store: Store) -> list[Any]:
    with store.read_session() as session:
        return session.execute(
            select(Appointment, AppointmentCategory.name.label("category"),
                   Patient.date_of_birth.label("born"))
            .join(AppointmentCategory, AppointmentCategory.id == Appointment.category_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .order_by(Appointment.starts_at, Appointment.id)).all()


def local_day(at: datetime) -> date:
    return at.astimezone(ZONE).date()


def physicians(session: Any) -> list[Any]:
    return list(session.scalars(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                .join(Role, Role.id == UserRole.role_id)
                                .where(Role.name == "physician")))


def test_the_clinic_is_set_up_to_schedule(demo_store: Store) -> None:
    with demo_store.read_session() as session:
        assert session.scalars(select(Facility.name)).all() == [
            "Riverside Family Clinic \u2014 Main Street"]
        rooms = dict(session.execute(select(Room.name, Room.kind)).all())
        assert rooms == {**dict.fromkeys((*EXAM_ROOMS, "Procedure room"), "room"),
                         ECG_CART: "equipment"}
        categories = {row.name: (row.default_minutes, row.allows_overbooking)
                      for row in session.scalars(select(AppointmentCategory))}
        assert categories == {"New patient": (40, False), "Follow-up": (20, False),
                              "Annual physical": (40, False), "Procedure": (30, False),
                              "Telehealth": (20, False), "Urgent": (15, True),
                              "Well child": (30, False)}
        assert len({c.color for c in CATEGORIES}) == len(CATEGORIES)
        doctors = physicians(session)
        assert doctors
        for doctor in doctors:
            sessions = session.execute(
                select(WeeklyAvailability.weekday, WeeklyAvailability.starts,
                       WeeklyAvailability.ends)
                .where(WeeklyAvailability.provider_id == doctor)).all()
            assert {weekday for weekday, _, _ in sessions} == {0, 1, 2, 3, 4}
            assert len(sessions) == 9  # mornings and afternoons, one half day off
            assert all(time(8) <= starts < ends <= time(17) for _, starts, ends in sessions)
            off = session.execute(select(AvailabilityException.starts_at)
                                  .where(AvailabilityException.provider_id == doctor,
                                         AvailabilityException.kind == "time_off")).scalars()
            days = sorted(local_day(at) for at in off)
            assert len(days) == 2 and days[0] < TODAY < days[1]


def test_no_provider_or_room_holds_two_appointments_at_once_but_on_purpose(
        demo_store: Store) -> None:
    first, second = aliased(Appointment), aliased(Appointment)
    both_hold = and_(first.status.in_(HOLDING_STATUSES), second.status.in_(HOLDING_STATUSES),
                     first.deleted_at.is_(None), second.deleted_at.is_(None))
    same_holder = or_(first.provider_id == second.provider_id,
                      and_(first.room_id.is_not(None), first.room_id == second.room_id))
    overlap = and_(first.starts_at < second.ends_at, second.starts_at < first.ends_at)
    with demo_store.read_session() as session:
        pairs = session.execute(
            select(first.overbooked, second.overbooked)
            .join(second, and_(first.id < second.id, same_holder, overlap))
            .where(both_hold)).all()
        overbooked = session.execute(
            select(AppointmentCategory.name).join(Appointment)
            .where(Appointment.overbooked.is_(True))).scalars().all()
    assert pairs, "the demo shows a deliberate overbooking"
    assert all(a or b for a, b in pairs)
    assert overbooked and set(overbooked) == {"Urgent"}


def test_appointments_lie_in_their_providers_sessions_in_clinic_time(demo_store: Store) -> None:
    rows = appointments(demo_store)
    with demo_store.read_session() as session:
        windows = {doctor: availability(session, provider_id=doctor,
                                        first_day=TODAY - timedelta(weeks=9),
                                        last_day=TODAY + timedelta(weeks=5), zone=ZONE)
                   for doctor in physicians(session)}
    holding = [row.Appointment for row in rows if row.Appointment.status in HOLDING_STATUSES]
    assert len(holding) > 300
    for appointment in holding:
        assert any(w.starts_at <= appointment.starts_at and appointment.ends_at <= w.ends_at
                   for w in windows[appointment.provider_id]), appointment.starts_at
    # Across the change from CDT to CST on 1 November the clinic's day still starts at 8:00.
    first_of_day: dict[date, time] = {}
    for appointment in holding:
        local = appointment.starts_at.astimezone(ZONE)
        first_of_day.setdefault(local.date(), local.time())
    change = date(2026, 11, 1)
    assert min(first_of_day.values()) == time(8)
    assert any(day < change and at == time(8) for day, at in first_of_day.items())
    assert any(day > change and at == time(8) for day, at in first_of_day.items())


def test_today_is_a_flow_board_in_motion(demo_store: Store) -> None:
    today = [row.Appointment for row in appointments(demo_store)
             if local_day(row.Appointment.starts_at) == TODAY]
    statuses = Counter(appointment.status for appointment in today)
    assert statuses["completed"] and statuses["in_room"] and statuses["arrived"]
    assert statuses["scheduled"] + statuses["confirmed"] >= 3
    for appointment in today:
        if appointment.status in ("completed", "in_room", "arrived", "no_show"):
            assert appointment.starts_at <= NOW + timedelta(minutes=45)
        if appointment.status in ("scheduled", "confirmed"):
            assert appointment.starts_at > NOW


def test_the_past_is_done_and_the_future_still_open(demo_store: Store) -> None:
    rows = appointments(demo_store)
    past = [row.Appointment for row in rows if local_day(row.Appointment.starts_at) < TODAY]
    coming = [row.Appointment for row in rows if local_day(row.Appointment.starts_at) > TODAY]
    assert {a.status for a in past} == {"completed", "no_show", "cancelled"}
    assert {a.status for a in coming} <= {"scheduled", "confirmed", "cancelled"}
    assert {"scheduled", "confirmed"} <= {a.status for a in coming}
    share = Counter(a.status for a in past)
    assert 0.02 < share["no_show"] / len(past) < 0.1
    assert 0.04 < share["cancelled"] / len(past) < 0.15
    assert all(a.cancel_reason for a in past + coming if a.status == "cancelled")
    assert all(a.cancel_reason is None for a in past + coming if a.status != "cancelled")
    # The next week is fuller than the fourth.
    by_week = Counter((local_day(a.starts_at) - TODAY).days // 7 for a in coming
                      if a.status != "cancelled")
    assert by_week[0] > by_week[3] > 0


def test_every_status_history_starts_scheduled_and_ends_at_the_status(
        demo_store: Store) -> None:
    with demo_store.read_session() as session:
        current = dict(session.execute(select(Appointment.id, Appointment.status)).all())
        flows: dict[Any, list[Any]] = {}
        for change in session.scalars(select(AppointmentStatusChange).order_by(
                AppointmentStatusChange.appointment_id, AppointmentStatusChange.sequence)):
            flows.setdefault(change.appointment_id, []).append(change)
        count = session.scalar(select(func.count()).select_from(Appointment))
    assert len(flows) == count == len(current)
    for appointment_id, flow in flows.items():
        assert [change.sequence for change in flow] == list(range(1, len(flow) + 1))
        assert flow[0].status == "scheduled"
        assert flow[-1].status == current[appointment_id]
        for earlier, later in pairwise(flow):
            assert later.status in NEXT_STATUSES[earlier.status]
            assert earlier.changed_at < later.changed_at
        assert flow[-1].changed_at <= NOW


def test_visits_fit_the_patient(demo_store: Store) -> None:
    rows = appointments(demo_store)
    days = Counter((row.Appointment.patient_id, local_day(row.Appointment.starts_at))
                   for row in rows)
    physicals = Counter(row.Appointment.patient_id for row in rows
                        if row.category == "Annual physical")
    well_child: dict[Any, list[date]] = {}
    for row in rows:
        if row.category == "Well child":
            well_child.setdefault(row.Appointment.patient_id, []).append(
                local_day(row.Appointment.starts_at))
    assert max(days.values()) == 1  # one visit a day
    assert physicals and max(physicals.values()) == 1  # one physical in three months
    assert well_child and all((later - earlier).days >= 28 for checks in well_child.values()
                              for earlier, later in pairwise(checks))
    for row in rows:
        age = (local_day(row.Appointment.starts_at) - row.born).days / 365.25
        if row.category == "Well child":
            assert age < 18 and row.Appointment.reason.startswith("Well-child check")
        if row.category == "Annual physical":
            assert age >= 18
        assert (row.Appointment.room_id is None) == (row.category == "Telehealth")
        assert row.Appointment.reason


def test_the_schedule_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    def build(name: str) -> list[tuple[Any, ...]]:
        key = secrets.token_bytes(32)
        create_demo_database(tmp_path / name, key, patients=40, today=TODAY)
        store = Store.open(tmp_path / name, key)
        try:
            with store.read_session() as session:
                return session.execute(
                    select(Patient.mrn, User.username, AppointmentCategory.name, Room.name,
                           Appointment.starts_at, Appointment.ends_at, Appointment.status,
                           Appointment.reason, Appointment.overbooked, Appointment.cancel_reason,
                           Appointment.updated_at)
                    .join(Patient, Patient.id == Appointment.patient_id)
                    .join(User, User.id == Appointment.provider_id)
                    .join(AppointmentCategory)
                    .outerjoin(Room, Room.id == Appointment.room_id)
                    .order_by(Appointment.starts_at, Patient.mrn)).all()
        finally:
            store.close()

    first = build("first.db")
    assert len(first) > 300
    assert build("second.db") == first


def test_some_patients_wait_for_an_earlier_slot(demo_store: Store) -> None:
    with demo_store.read_session() as session:
        waiting = session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.created_at)).all()
        assert len(waiting) == 4 and {entry.status for entry in waiting} == {"waiting"}
        assert len({entry.patient_id for entry in waiting}) == 4
        assert all(entry.earliest_day == TODAY < entry.latest_day for entry in waiting)
        assert any(entry.provider_id is None for entry in waiting)
        assert any(entry.day_from is not None for entry in waiting)
        assert all(session.get_one(Patient, entry.patient_id).deleted_at is None
                   for entry in waiting)
