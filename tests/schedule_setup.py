"""A schedule to look at in the demo clinic, made through the services: two more physicians
(three with the demo's own), a facility with rooms, three categories, weekday sessions, and
patients to book (for the calendar and front-desk screens' tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo_users import register_patient_today, sign_in
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    Booking,
    book_appointment,
)
from medtrack_desktop.domain.scheduling.availability import add_weekly_session
from medtrack_desktop.domain.scheduling.sessions import end_session, provider_template
from medtrack_desktop.domain.scheduling.setup import (
    CategoryInput,
    add_facility,
    add_room,
    save_category,
)
from medtrack_desktop.ui.context import AppContext

DAY = date(2027, 9, 13)  # a Monday well after the demo's own schedule
NEW_HOURS = date(2027, 7, 1)  # the providers' hours here from that day on
TIMEOUT = 10_000


@dataclass
class Schedule:
    desk: Actor
    zone: ZoneInfo
    providers: list[uuid.UUID]  # Dr Quinn (mornings + afternoons), Dr Ruiz, Dr Demo
    patients: list[uuid.UUID]
    facility: uuid.UUID
    rooms: list[uuid.UUID]
    follow_up: uuid.UUID  # 20 minutes
    new_patient: uuid.UUID  # 40 minutes
    urgent: uuid.UUID  # 15 minutes, may be overbooked

    def at(self, hour: int, minute: int = 0, day: date = DAY) -> datetime:
        return datetime.combine(day, time(hour, minute), self.zone)

    def book(self, context: AppContext, hour: int, minute: int = 0, *, provider: int = 0,
             patient: int = 0, category: uuid.UUID | None = None, reason: str = "",
             minutes: int | None = None, day: date = DAY) -> AppointmentEntry:
        return perform(context.store, self.desk, book_appointment, booking=Booking(
            patient_id=self.patients[patient], provider_id=self.providers[provider],
            facility_id=self.facility, category_id=category or self.follow_up,
            starts_at=self.at(hour, minute, day), minutes=minutes, reason=reason))


def make_schedule(context: AppContext, *, patients: int = 4) -> Schedule:
    store = context.store
    system = Actor.system(context.seat, name="test")
    doctors = [perform(store, system, add_user, username=username, password=DEMO_PASSWORD,
                       first_name=first, last_name=last, roles=("physician",)).id
               for username, first, last in (("drquinn", "Harper", "Quinn"),
                                             ("drruiz", "Mateo", "Ruiz"))]
    with store.read_session() as session:
        doctors.append(session.scalars(select(User.id).where(
            User.username == "physician")).one())
    admin, desk = sign_in(store, "admin"), sign_in(store, "frontdesk")
    facility = perform(store, admin, add_facility, name="Calendar Test Street")
    rooms = [perform(store, admin, add_room, facility_id=facility, name=f"Cal room {n}")
             for n in (1, 2, 3)]
    follow_up = perform(store, admin, save_category, category=CategoryInput(
        name="Cal follow-up", default_minutes=20, color="#4a7fb5"))
    new_patient = perform(store, admin, save_category, category=CategoryInput(
        name="Cal new patient", default_minutes=40, color="#2e9e6b"))
    urgent = perform(store, admin, save_category, category=CategoryInput(
        name="Cal urgent", default_minutes=15, color="#c0392b", allows_overbooking=True))
    sessions = {0: ((time(8), time(12)), (time(13), time(17))),
                1: ((time(9), time(13)),), 2: ((time(13), time(18)),)}
    # Dr Demo's demo hours end, as when a provider's hours change: a session never overlaps
    # another of the same provider.
    for held in perform(store, desk, provider_template, provider_id=doctors[2]).sessions:
        perform(store, desk, end_session, session_id=held.id, version=held.version,
                last_day=NEW_HOURS - timedelta(days=1))
    for index, windows in sessions.items():
        for weekday in range(5):
            for starts, ends in windows:
                perform(store, desk, add_weekly_session, provider_id=doctors[index],
                        facility_id=facility, weekday=weekday, starts=starts, ends=ends,
                        valid_from=NEW_HOURS)
    names = ("Ada", "Ben", "Cleo", "Dov", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai",
             "Lea", "Max", "Noa", "Oli", "Pia")
    people = [register_patient_today(store, last_name=f"Calendar{name}", first_name=name)
              for name in names[:patients]]
    return Schedule(desk=desk, zone=ZoneInfo(context.seat.clinic_timezone),
                    providers=doctors, patients=people, facility=facility, rooms=rooms,
                    follow_up=follow_up, new_patient=new_patient, urgent=urgent)
