"""A small clinic to schedule in, made through the services on any store: staff, patients, a
facility with two rooms, and two appointment categories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from demo_users import register_patient_today, sign_in

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.scheduling.appointments import Booking
from medtrack_desktop.domain.scheduling.availability import add_weekly_session
from medtrack_desktop.domain.scheduling.setup import (
    CategoryInput,
    add_facility,
    add_room,
    save_category,
)
from medtrack_desktop.store.engine import Store

ZONE = ZoneInfo("America/Chicago")  # the clinic's zone (the workstation default)
MONDAY = date(2027, 3, 8)  # the Monday before the US change to daylight time (14 March 2027)
STAFF = {"desk": "front_desk", "drlee": "physician", "drkim": "physician", "boss": "admin",
         "nurse": "nurse", "biller": "biller"}


@dataclass
class ScheduleClinic:
    store: Store
    desk: Actor
    admin: Actor
    drlee: uuid.UUID
    drkim: uuid.UUID
    patients: list[uuid.UUID]
    facility: uuid.UUID
    rooms: list[uuid.UUID]
    follow_up: uuid.UUID  # 20 minutes, no overbooking
    urgent: uuid.UUID  # 15 minutes, may be overbooked

    def booking(self, at: datetime, *, patient: int = 0, **changes: object) -> Booking:
        """A follow-up with Dr Lee for patient ``patient`` at ``at``, changed as asked."""
        values: dict[str, object] = {
            "patient_id": self.patients[patient], "provider_id": self.drlee,
            "facility_id": self.facility, "category_id": self.follow_up, "starts_at": at}
        return Booking(**(values | changes))  # type: ignore[arg-type]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE)


def make_schedule_clinic(store: Store) -> ScheduleClinic:
    """The clinic, with Dr Lee in on weekday mornings (08:00-12:00) and Dr Kim on Monday
    afternoons (13:00-17:00)."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Schedule Test Clinic",
                                      workstation_name="Front 1")
    system = Actor.system(seat, name="test")
    ids = {username: perform(store, system, add_user, username=username,
                             password=DEMO_PASSWORD, first_name=username.title(),
                             last_name="Staff", roles=(role,)).id
           for username, role in STAFF.items()}
    admin, desk = sign_in(store, "boss"), sign_in(store, "desk")
    facility = perform(store, admin, add_facility, name="Main Street")
    rooms = [perform(store, admin, add_room, facility_id=facility, name=f"Exam {n}")
             for n in (1, 2)]
    follow_up = perform(store, admin, save_category,
                        category=CategoryInput(name="Follow-up", default_minutes=20))
    urgent = perform(store, admin, save_category, category=CategoryInput(
        name="Urgent", default_minutes=15, color="#c0392b", allows_overbooking=True))
    for weekday in range(5):
        perform(store, desk, add_weekly_session, provider_id=ids["drlee"], facility_id=facility,
                weekday=weekday, starts=time(8), ends=time(12), valid_from=date(2027, 1, 1))
    perform(store, desk, add_weekly_session, provider_id=ids["drkim"], facility_id=facility,
            weekday=0, starts=time(13), ends=time(17), valid_from=date(2027, 1, 1))
    patients = [register_patient_today(store, first_name=first) for first in
                ("Ada", "Ben", "Cleo", "Dov")]
    return ScheduleClinic(store=store, desk=desk, admin=admin, drlee=ids["drlee"],
                          drkim=ids["drkim"], patients=patients, facility=facility, rooms=rooms,
                          follow_up=follow_up, urgent=urgent)
