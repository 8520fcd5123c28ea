"""The demo clinic's schedule: a facility with its rooms, the appointment categories, the
providers' weekly sessions and time off, and some three months of appointments around today.

The setup goes through the scheduling services (a handful of audited rows, like the payers of
``coverage``); the appointments and their status history, some thousands of rows, go straight
into the tables like the charts' (one executemany each, no audit entries; Core ``insert`` so
that columns added later get their defaults), with the no-double-booking triggers on: the plan
below keeps a provider's and a room's holding appointments apart, except the few urgent ones
booked over another on purpose. A patient comes at most once a day, and in a demo of a fair
size a week or two apart; a physical or well-child check once in the months shown.

What it holds: the last 8 weeks mostly completed (some no-shows, some cancelled with a reason,
a cancelled slot often given to someone else), the chart's visits of those weeks on the
calendar at their time where a session had room for them; today a live flow board at
``now`` (10:40 clinic time unless told: the morning seen, a patient in a room, others checked
in and waiting, the rest still to come); the coming 4 weeks filling up less the further they
are. Deterministic for a seed (and ``now``); all times are clinic wall-clock times made into
instants with the zone's rules, so DST is kept.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from medtrack_desktop.demo import DEMO_RESTRICTED_MRN
from medtrack_desktop.demo.chart_catalog import ACUTE, CHRONIC, WELL_CHILD
from medtrack_desktop.domain.chart.models import Encounter, Problem
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Role, User, UserRole
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.availability import (
    Window,
    add_exception,
    add_weekly_session,
    availability,
)
from medtrack_desktop.domain.scheduling.models import Appointment, AppointmentStatusChange
from medtrack_desktop.domain.scheduling.setup import (
    CategoryInput,
    add_facility,
    add_room,
    save_category,
)
from medtrack_desktop.domain.scheduling.waitlist import add_to_waitlist
from medtrack_desktop.store.base import new_id
from medtrack_desktop.store.engine import Store

FACILITY = "Riverside Family Clinic \u2014 Main Street"
EXAM_ROOMS = ("Exam 1", "Exam 2", "Exam 3", "Exam 4")
PROCEDURE_ROOM = "Procedure room"
ECG_CART = "ECG cart"
CATEGORIES = (
    CategoryInput("New patient", 40, "#2e7d32"),
    CategoryInput("Follow-up", 20, "#4a7fb5"),
    CategoryInput("Annual physical", 40, "#7b1fa2"),
    CategoryInput("Procedure", 30, "#d35400"),
    CategoryInput("Telehealth", 20, "#00897b"),
    CategoryInput("Urgent", 15, "#c62828", allows_overbooking=True),
    CategoryInput("Well child", 30, "#f9a825"),
)
PAST_WEEKS, COMING_WEEKS = 8, 4
BOARD_TIME = time(10, 40)  # the flow board's moment on the demo's today
SESSIONS = ((time(8), time(12)), (time(13), time(17)))  # Monday to Friday
# How much of the session time is booked: past days, today, then the coming weeks.
FILL_PAST, FILL_TODAY, FILL_COMING = 0.85, 0.9, (0.6, 0.4, 0.28, 0.18)
_GAP = 15  # minutes left free when a slot is not booked
_CANCEL_REASONS = (
    "Patient request: rescheduled", "Patient unwell", "Transportation problem",
    "Work conflict", "Weather", "Patient feeling better", "Scheduled elsewhere",
)
_PROCEDURES = (
    "Skin biopsy", "Mole removal", "Joint injection, knee", "Ingrown toenail removal",
    "Wart cryotherapy", "Skin tag removal", "Abscess incision and drainage", "Resting ECG",
)
_NOTES = ("", "", "", "", "", "", "Interpreter: Spanish", "Needs wheelchair access",
          "Bring home blood pressure log", "Fasting labs before the visit",
          "Prefers a call, not a text")
_ONCE = ("Annual physical", "Well child")  # booked once a patient in the months shown
_ENCOUNTER_CATEGORY = {"new_patient": "New patient", "follow_up": "Follow-up",
                       "telehealth": "Telehealth", "office": "Urgent",
                       "procedure": "Procedure", "emergency": "Urgent"}


def add_demo_schedule(store: Store, *, today: date, seed: int, timezone: str,
                      now: datetime | None = None) -> None:
    """The demo clinic's facility, rooms, categories, sessions and appointments (see the
    module's docstring); ``now`` is the flow board's moment, 10:40 on ``today`` unless
    given. Needs the demo's users and patients with their charts."""
    zone = ZoneInfo(timezone)
    now = now or datetime.combine(today, BOARD_TIME, zone).astimezone(UTC)
    rng = random.Random(f"{seed}:schedule")
    with store.session() as session:
        seat = current_seat(session)
        if seat is None:
            raise RuntimeError("the demo schedule needs an initialised workstation")
        actor = Actor.system(seat, name="demo")
        setup = _setup(session, actor, today=today, zone=zone, rng=rng)
        windows = {provider: availability(
            session, provider_id=provider, first_day=today - timedelta(weeks=PAST_WEEKS),
            last_day=today + timedelta(weeks=COMING_WEEKS), zone=zone)
            for provider in setup.providers}
        plan = _Plan(setup, _patients(session, today=today), today=today, now=now, zone=zone,
                     rng=rng)
        plan.anchor_chart_visits(session, windows)
        for provider in setup.providers:
            for window in windows[provider]:
                plan.fill(provider, window)
        plan.overbook()
        appointments, history = plan.rows()
        if appointments:
            session.execute(insert(Appointment.__table__), appointments)
            session.execute(insert(AppointmentStatusChange.__table__), history)
        _waitlist(session, actor, setup, plan.people, today=today, rng=rng)


# (provider: index or None for any, category or None, days from today to the last wished,
#  time of day from-until or None, the desk's note)
_WAITING = (
    (0, "Follow-up", 14, (time(8), time(12)), "Prefers mornings; works afternoons"),
    (None, "New patient", 21, None, "Any provider; can come at short notice"),
    (0, "Procedure", 28, (time(13), time(17)), "Mole check moved up if a slot frees"),
    (None, "Annual physical", 30, (time(8), time(10)), "Early appointment before work"),
)


def _waitlist(session: Session, actor: Actor, setup: _Setup, people: list[_Person], *,
              today: date, rng: random.Random) -> None:
    """A few patients waiting for an earlier slot, as a desk keeps them."""
    chosen = rng.sample(people, min(len(_WAITING), len(people)))
    for (provider, category, days, hours, note), person in zip(_WAITING, chosen, strict=False):
        add_to_waitlist(
            session, actor, patient_id=person.id, earliest_day=today,
            latest_day=today + timedelta(days=days),
            provider_id=None if provider is None else setup.providers[provider],
            category_id=setup.categories[category][0], day_from=hours[0] if hours else None,
            day_until=hours[1] if hours else None, notes=note)


# -- the clinic's setup --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setup:
    clinic_id: uuid.UUID
    facility: uuid.UUID
    rooms: dict[str, uuid.UUID]
    categories: dict[str, tuple[uuid.UUID, int]]  # name -> id, minutes
    providers: list[uuid.UUID]
    front_desk: uuid.UUID | None
    assistant: uuid.UUID | None


def _setup(session: Session, actor: Actor, *, today: date, zone: ZoneInfo,
           rng: random.Random) -> _Setup:
    """Facility, rooms, categories, and every physician's sessions and time off (through
    the services, audited)."""
    facility = add_facility(session, actor, name=FACILITY, address="1200 Main Street, Austin, TX",
                            phone="(512) 555-0150")
    rooms = {name: add_room(session, actor, facility_id=facility, name=name)
             for name in (*EXAM_ROOMS, PROCEDURE_ROOM)}
    rooms[ECG_CART] = add_room(session, actor, facility_id=facility, name=ECG_CART,
                               kind="equipment")
    categories = {category.name: (save_category(session, actor, category=category),
                                  category.default_minutes) for category in CATEGORIES}
    providers = list(session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.name == "physician", User.is_active.is_(True)).order_by(User.username)))
    monday = today - timedelta(days=today.weekday())
    valid_from = monday - timedelta(weeks=26)
    for index, provider in enumerate(providers):
        afternoon_off = (3 + index) % 5  # Thursday afternoon for the first physician
        for weekday in range(5):
            for number, (starts, ends) in enumerate(SESSIONS):
                if number == 1 and weekday == afternoon_off:
                    continue
                add_weekly_session(session, actor, provider_id=provider, facility_id=facility,
                                   weekday=weekday, starts=starts, ends=ends,
                                   valid_from=valid_from)
        for weeks, reason in ((-rng.randint(3, 6), "Vacation"),
                              (rng.randint(2, 3), "Conference (CME)")):
            first = monday + timedelta(weeks=weeks)
            add_exception(session, actor, provider_id=provider, kind="time_off",
                          starts_at=datetime.combine(first, time(), zone).astimezone(UTC),
                          ends_at=datetime.combine(first + timedelta(days=5), time(),
                                                   zone).astimezone(UTC), reason=reason)
        if today.weekday() >= 5:  # a demo opened at the weekend still has a flow board
            add_exception(session, actor, provider_id=provider, kind="extra",
                          starts_at=datetime.combine(today, time(9), zone).astimezone(UTC),
                          ends_at=datetime.combine(today, time(13), zone).astimezone(UTC),
                          facility_id=facility, reason="Weekend walk-in clinic")
    staff = dict(session.execute(select(User.username, User.id).where(
        User.username.in_(("frontdesk", "assistant")))).all())
    return _Setup(actor.seat.clinic_id, facility, rooms, categories, providers,
                  staff.get("frontdesk"), staff.get("assistant"))


# -- the patients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    id: uuid.UUID
    mrn: str
    born: date
    sex: str
    conditions: tuple[str, ...]  # how a note names them ("hypertension")


def _patients(session: Session, *, today: date) -> list[_Person]:
    """The living, unrestricted demo patients, by MRN, with their chronic conditions."""
    words = {condition.code: condition.words for condition in CHRONIC if condition.follow_up}
    conditions: dict[uuid.UUID, list[str]] = {}
    for patient_id, code in session.execute(
            select(Problem.patient_id, Problem.code).where(
                Problem.status.in_(("active", "chronic")), Problem.deleted_at.is_(None))
            .order_by(Problem.onset_on, Problem.code)):
        if code in words and words[code] not in conditions.setdefault(patient_id, []):
            conditions[patient_id].append(words[code])
    return [_Person(row.id, row.mrn, row.date_of_birth, row.sex,
                    tuple(conditions.get(row.id, ())))
            for row in session.execute(
                select(Patient.id, Patient.mrn, Patient.date_of_birth, Patient.sex)
                .where(Patient.deleted_at.is_(None), Patient.deceased.is_(False),
                       Patient.mrn != DEMO_RESTRICTED_MRN, Patient.date_of_birth <= today)
                .order_by(Patient.mrn))]


# -- the plan -------------------------------------------------------------------------------------


@dataclass
class _Booked:
    person: _Person
    provider: uuid.UUID
    category: str
    starts_at: datetime
    ends_at: datetime
    room: uuid.UUID | None
    reason: str
    status: str = "scheduled"
    overbooked: bool = False
    cancel_reason: str | None = None
    notes: str = ""

    @property
    def holds(self) -> bool:
        return self.status not in ("cancelled", "no_show")


class _Plan:
    """Places appointments, keeping each provider's and room's holding ones apart."""

    def __init__(self, setup: _Setup, people: list[_Person], *, today: date, now: datetime,
                 zone: ZoneInfo, rng: random.Random) -> None:
        self.setup, self.people, self.today, self.now = setup, people, today, now
        self.zone, self.rng = zone, rng
        self.booked: list[_Booked] = []
        self.busy: dict[tuple[uuid.UUID, date], list[tuple[datetime, datetime]]] = {}
        self.visits: dict[uuid.UUID, list[date]] = {}  # patient -> days booked
        self.checked_up: set[uuid.UUID] = set()  # had a physical or well-child check booked
        # Days between two visits of a patient: a week or two in a clinic of a fair size, a
        # day in a small demo (whose calendar would be empty otherwise).
        self.spacing = max(1, min(14, round(len(people) / 40)))

    def day_of(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    # -- free time --

    def free(self, holder: uuid.UUID | None, starts: datetime, ends: datetime) -> bool:
        if holder is None:
            return True
        return all(ends <= s or e <= starts
                   for s, e in self.busy.get((holder, self.day_of(starts)), ()))

    def add(self, booked: _Booked) -> None:
        self.booked.append(booked)
        self.visits.setdefault(booked.person.id, []).append(self.day_of(booked.starts_at))
        if booked.category in _ONCE:
            self.checked_up.add(booked.person.id)
        if booked.holds:
            for holder in (booked.provider, booked.room):
                if holder is not None:
                    self.busy.setdefault((holder, self.day_of(booked.starts_at)), []).append(
                        (booked.starts_at, booked.ends_at))

    def may_come(self, person: _Person, day: date, *, spacing: int | None = None) -> bool:
        """Whether the patient has no other visit booked within the spacing of ``day``."""
        spacing = self.spacing if spacing is None else spacing
        return all(abs((day - other).days) >= spacing for other in self.visits.get(person.id, ()))

    def room_for(self, category: str, reason: str, starts: datetime, ends: datetime
                 ) -> tuple[bool, uuid.UUID | None]:
        """(found, a free room for the visit): (True, None) for one that needs no room
        (telehealth), (False, None) if every room that would do is taken."""
        rooms = self.setup.rooms
        if category == "Telehealth":
            return True, None
        if category == "Procedure":
            wanted = [rooms[ECG_CART if reason == "Resting ECG" else PROCEDURE_ROOM]]
        else:
            first = self.rng.randrange(len(EXAM_ROOMS))
            wanted = [rooms[EXAM_ROOMS[(first + i) % len(EXAM_ROOMS)]]
                      for i in range(len(EXAM_ROOMS))]
        room = next((room for room in wanted if self.free(room, starts, ends)), None)
        return room is not None, room

    # -- what is booked --

    def anchor_chart_visits(self, session: Session,
                            windows: dict[uuid.UUID, list[Window]]) -> None:
        """The chart's visits of the past weeks, on the calendar at their time where a
        session of their provider had room for them."""
        starts = datetime.combine(self.today - timedelta(weeks=PAST_WEEKS), time(),
                                  self.zone).astimezone(UTC)
        ends = datetime.combine(self.today, time(), self.zone).astimezone(UTC)
        people = {person.id: person for person in self.people}
        visits = session.execute(select(
            Encounter.patient_id, Encounter.provider_id, Encounter.encounter_type,
            Encounter.starts_at, Encounter.reason, Encounter.status, Encounter.cancelled_reason)
            .where(Encounter.starts_at >= starts, Encounter.starts_at < ends,
                   Encounter.deleted_at.is_(None))).all()
        for visit in sorted(visits, key=lambda v: (v.starts_at, people[v.patient_id].mrn)
                            if v.patient_id in people else (v.starts_at, "")):
            person = people.get(visit.patient_id)
            category = _ENCOUNTER_CATEGORY.get(visit.encounter_type)
            if visit.encounter_type == "annual_physical":
                category = "Well child" if visit.reason.startswith("Well-child") \
                    else "Annual physical"
            if person is None or category is None or visit.provider_id not in windows:
                continue
            starts_at = visit.starts_at
            ends_at = starts_at + timedelta(minutes=self.setup.categories[category][1])
            if not self.may_come(person, self.day_of(starts_at), spacing=1) or not any(
                    w.starts_at <= starts_at and ends_at <= w.ends_at
                    for w in windows[visit.provider_id]) \
                    or not self.free(visit.provider_id, starts_at, ends_at):
                continue
            found, room = self.room_for(category, visit.reason, starts_at, ends_at)
            if not found:
                continue
            booked = _Booked(person, visit.provider_id, category, starts_at, ends_at, room,
                             visit.reason[:300])
            if visit.status == "cancelled":
                booked.status = "cancelled"
                booked.cancel_reason = (visit.cancelled_reason or "Cancelled")[:300]
            else:
                booked.status = "completed"
            self.add(booked)

    def fill(self, provider: uuid.UUID, window: Window) -> None:
        """Book part of a session (more of it the nearer the day), around what is there."""
        rng, day = self.rng, self.day_of(window.starts_at)
        if day < self.today:
            wanted = FILL_PAST
        elif day == self.today:
            wanted = FILL_TODAY
        else:
            wanted = FILL_COMING[min((day - self.today).days - 1, 27) // 7]
        # The chance to book at a free step, so that about ``wanted`` of the time is booked
        # (a booked step takes some 25 minutes, a free one _GAP).
        chance = wanted * _GAP / (wanted * _GAP + (1 - wanted) * 25)
        at = window.starts_at
        while at < window.ends_at:
            taken = sorted((s, e) for s, e in self.busy.get((provider, day), ())
                           if e > at and s < window.ends_at)
            if taken and taken[0][0] <= at:
                at = taken[0][1]
                continue
            until = taken[0][0] if taken else window.ends_at
            room_left = int((until - at).total_seconds() // 60)
            if room_left < 15 or rng.random() >= chance:
                at = min(at + timedelta(minutes=_GAP), until) if room_left >= 15 else until
                continue
            booked = self.book(provider, at, room_left)
            if booked is None:
                at += timedelta(minutes=_GAP)
                continue
            self.add(booked)
            if booked.status == "cancelled" and rng.random() < 0.5:
                continue  # the slot freed is given to someone else
            at = booked.ends_at

    def book(self, provider: uuid.UUID, at: datetime, room_left: int,
             *, urgent: bool = False) -> _Booked | None:
        """A patient and visit for the slot at ``at`` (with its status), or None."""
        rng, day = self.rng, self.day_of(at)
        candidates = [p for p in rng.sample(self.people, min(6, len(self.people)))
                      if self.may_come(p, day)]
        if not candidates:
            return None
        person = candidates[0]
        category, reason = ("Urgent", _acute(person, day, rng)) if urgent else \
            self.visit_for(person, day, room_left)
        if category is None:
            return None
        ends = at + timedelta(minutes=self.setup.categories[category][1])
        found, room = self.room_for(category, reason, at, ends)
        if not found:
            return None
        booked = _Booked(person, provider, category, at, ends, room, reason, overbooked=urgent,
                         notes=rng.choice(_NOTES))
        roll = rng.random()
        if day < self.today or ends <= self.now:
            booked.status = ("no_show" if roll < 0.05 else "cancelled" if roll < 0.13
                             else "completed")
        elif day == self.today and at <= self.now:
            booked.status = "in_room"
        elif day == self.today and at <= self.now + timedelta(minutes=40):
            booked.status = "arrived"
        elif roll < (0.05 if day == self.today else 0.04):
            booked.status = "cancelled"
        else:
            soon = (at - self.now) < timedelta(days=3)
            booked.status = "confirmed" if rng.random() < (0.75 if soon else 0.15) \
                else "scheduled"
        if urgent and booked.status in ("cancelled", "no_show"):
            booked.status = "completed" if ends <= self.now else "scheduled"
        if booked.status == "cancelled":
            booked.cancel_reason = rng.choice(_CANCEL_REASONS)
        return booked

    def visit_for(self, person: _Person, day: date, room_left: int
                  ) -> tuple[str | None, str]:
        """A category that fits the patient (and the time left) and a reason for it."""
        rng = self.rng
        age = (day - person.born).days / 365.25
        ahead = (day - self.today).days
        sick = 0 if ahead > 1 else 1  # sick visits are booked the same day or the next
        if age < 18:
            weights = {"Well child": 45, "Urgent": 30 * sick, "Follow-up": 10, "Telehealth": 5}
        else:
            weights = {"Follow-up": 40 if person.conditions else 20, "Annual physical": 15,
                       "Urgent": 12 * sick, "Telehealth": 10, "Procedure": 8}
        fitting = [(name, weight) for name, weight in weights.items()
                   if weight and self.setup.categories[name][1] <= room_left
                   and not (name in _ONCE and person.id in self.checked_up)]
        if not fitting:
            return None, ""
        category = rng.choices([n for n, _ in fitting], [w for _, w in fitting])[0]
        conditions = ", ".join(person.conditions[:2])
        if category == "Well child":
            days = (day - person.born).days
            label = [label for due, label in WELL_CHILD if due <= days + 30][-1:] or ["newborn"]
            return category, f"Well-child check, {label[0]}"
        if category == "Urgent":
            return category, _acute(person, day, rng)
        if category == "Annual physical":
            return category, "Annual wellness visit" if age >= 65 else "Annual physical"
        if category == "Procedure":
            return category, rng.choice(_PROCEDURES)
        if category == "Telehealth":
            return category, (f"Telehealth follow-up: {conditions}" if conditions else
                              rng.choice(("Telehealth: lab results", "Telehealth: medication "
                                          "question", "Telehealth: rash, photos sent")))
        if conditions:
            return category, f"Follow-up: {conditions}"
        return category, rng.choice(
            ("Follow-up: ear recheck", "Follow-up: recheck after antibiotics",
             "Follow-up: asthma action plan") if age < 18 else
            ("Follow-up: lab results", "Follow-up: blood pressure check",
             "Follow-up: back pain", "Follow-up visit"))

    def overbook(self) -> None:
        """A few urgent patients squeezed in over another appointment, on purpose: on some
        past days, and once this morning."""
        by_day: dict[date, list[_Booked]] = {}
        for booked in self.booked:
            if booked.holds and not booked.overbooked:
                by_day.setdefault(self.day_of(booked.starts_at), []).append(booked)
        for day in sorted(by_day):
            if day > self.today or (day < self.today and self.rng.random() >= 0.2):
                continue
            choices = [b for b in by_day[day] if day < self.today
                       or b.ends_at <= self.now - timedelta(minutes=20)]
            if not choices:
                continue
            over = self.rng.choice(choices)
            booked = self.book(over.provider, over.starts_at + timedelta(minutes=5), 15,
                               urgent=True)
            if booked is not None:
                self.add(booked)

    # -- rows --

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The appointments and their status history, as rows (every column given)."""
        clinic = self.setup.clinic_id
        appointments: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for booked in sorted(self.booked, key=lambda b: (b.starts_at, b.person.mrn)):
            steps = self.flow(booked)
            row_id = new_id()
            appointments.append({
                "id": row_id, "clinic_id": clinic, "created_at": steps[0][1],
                "updated_at": steps[-1][1], "created_by": steps[0][2],
                "updated_by": steps[-1][2], "version": len(steps), "deleted_at": None,
                "patient_id": booked.person.id, "provider_id": booked.provider,
                "room_id": booked.room, "facility_id": self.setup.facility,
                "category_id": self.setup.categories[booked.category][0],
                "starts_at": booked.starts_at, "ends_at": booked.ends_at,
                "reason": booked.reason, "notes": booked.notes, "status": booked.status,
                "overbooked": booked.overbooked, "cancel_reason": booked.cancel_reason,
            })
            history += [{
                "id": new_id(), "clinic_id": clinic, "created_at": at, "updated_at": at,
                "created_by": by, "updated_by": by, "version": 1, "deleted_at": None,
                "appointment_id": row_id, "patient_id": booked.person.id, "status": status,
                "changed_at": at, "changed_by": by, "sequence": sequence,
            } for sequence, (status, at, by) in enumerate(steps, start=1)]
        return appointments, history

    def flow(self, booked: _Booked) -> list[tuple[str, datetime, uuid.UUID | None]]:
        """Each status the appointment went through to its own, when and by whom: booked
        days ahead (urgent ones the same day), confirmed a day or two before, checked in,
        roomed by the assistant, completed by the provider — none of it after ``now``."""
        rng, start, now = self.rng, booked.starts_at, self.now
        desk, assistant = self.setup.front_desk, self.setup.assistant
        latest = min(start, now) - timedelta(minutes=5)
        if booked.overbooked or (booked.category == "Urgent" and rng.random() < 0.7):
            lead = timedelta(minutes=rng.randint(20, 150))
        else:
            lead = timedelta(days=rng.randint(1, 35), minutes=rng.randint(0, 480))
        booked_at = min(start - lead, latest - timedelta(minutes=rng.randint(5, 600)))
        steps: list[tuple[str, datetime, uuid.UUID | None]] = [("scheduled", booked_at, desk)]
        status = booked.status
        confirm_at = min(start - timedelta(hours=rng.randint(18, 52)), latest)
        if status == "confirmed" and confirm_at <= booked_at:  # booked late, confirmed since
            confirm_at = booked_at + (latest - booked_at) / 2
        if confirm_at > booked_at and (status == "confirmed" or (
                status != "scheduled" and rng.random() < 0.85)):
            steps.append(("confirmed", confirm_at, desk))
        if status == "cancelled":
            cancel_at = booked_at + (latest - booked_at) * rng.uniform(0.3, 1.0)
            steps = [step for step in steps if step[1] < cancel_at]
            steps.append(("cancelled", cancel_at, desk))
        elif status == "no_show":
            steps.append(("no_show", start + timedelta(minutes=rng.randint(15, 30)), desk))
        elif status in ("arrived", "in_room", "completed"):
            arrived = start - timedelta(minutes=rng.randint(-5, 15))
            if status == "arrived":
                arrived = now - timedelta(minutes=rng.randint(1, 20))
            roomed = min(max(arrived, start - timedelta(minutes=5))
                         + timedelta(minutes=rng.randint(1, 15)), now - timedelta(minutes=2))
            arrived = min(arrived, roomed - timedelta(minutes=rng.randint(1, 10)))
            steps.append(("arrived", arrived, desk))
            if status == "in_room" or (status == "completed"
                                       and booked.category != "Telehealth"):
                steps.append(("in_room", roomed, assistant))
            if status == "completed":
                done = roomed + (booked.ends_at - start) + timedelta(minutes=rng.randint(-3, 8))
                steps.append(("completed", min(done, now - timedelta(minutes=1)),
                              booked.provider))
        if status == "no_show":
            steps[-1] = ("no_show", min(steps[-1][1], now - timedelta(minutes=1)), desk)
        # Whole minutes, one after the other, whatever the draws said.
        kept: list[tuple[str, datetime, uuid.UUID | None]] = []
        for name, at, by in steps:
            at = at.replace(second=0, microsecond=0)
            if kept and at <= kept[-1][1]:
                at = kept[-1][1] + timedelta(minutes=1)
            kept.append((name, at, by))
        return kept


def _acute(person: _Person, day: date, rng: random.Random) -> str:
    age = (day - person.born).days / 365.25
    fitting = [complaint.reason for complaint in ACUTE if complaint.fits(age, person.sex)]
    return rng.choice(fitting) if fitting else "Same-day sick visit"
