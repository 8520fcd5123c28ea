"""The waitlist: patients who want an earlier slot, and who to offer a freed slot to.

An entry says with which provider and/or of which category, between which days, and in which
part of the day (clinic time) the patient could come. When an appointment is cancelled, the
entries it would suit are suggested, first come first served; booking one marks the entry
booked, in the same transaction as the booking (``book_from_waitlist``). Writes are audited as
``waitlist.*``; reading the list (names shown) as one ``schedule.read``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    Booking,
    appointment_entry,
    book_appointment,
    clashes,
)
from medtrack_desktop.domain.scheduling.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentCategory,
    WaitlistEntry,
)
from medtrack_desktop.store.base import bind_actor, utcnow


class WaitlistInvalid(FieldsInvalid):
    """A waitlist entry that cannot be saved as entered."""


@dataclass(frozen=True)
class Waiting:
    id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    provider_id: uuid.UUID | None
    category_id: uuid.UUID | None
    earliest_day: date
    latest_day: date
    day_from: time | None
    day_until: time | None
    notes: str


@dataclass(frozen=True)
class WaitlistLine:
    """A waiting entry as the waitlist shows it: who, with whom, of which category (empty:
    any), and since when."""

    entry: Waiting
    patient_name: str  # "Last, First"
    mrn: str
    provider_name: str  # "" for any provider
    category: str  # "" for any category
    added_at: datetime

    @property
    def id(self) -> uuid.UUID:
        return self.entry.id

    @property
    def version(self) -> int:
        return self.entry.version


def _waiting(row: WaitlistEntry) -> Waiting:
    return Waiting(row.id, row.version, row.patient_id, row.provider_id, row.category_id,
                   row.earliest_day, row.latest_day, row.day_from, row.day_until, row.notes)


def _audit(session: Session, actor: Actor, action: str, row: WaitlistEntry) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action=action,
                 resource_type="waitlist_entry", resource_id=str(row.id),
                 patient_id=row.patient_id)


def add_to_waitlist(session: Session, actor: Actor, *, patient_id: uuid.UUID,
                    earliest_day: date, latest_day: date,
                    provider_id: uuid.UUID | None = None, category_id: uuid.UUID | None = None,
                    day_from: time | None = None, day_until: time | None = None,
                    notes: str = "") -> Waiting:
    """Put a patient on the waitlist."""
    require(actor, "schedule.write", patient_id=patient_id)
    readable_patient(session, actor, patient_id)
    errors: dict[str, str] = {}
    if latest_day < earliest_day:
        errors["latest_day"] = "Until: on or after the first day."
    if day_from is not None and day_until is not None and day_until <= day_from:
        errors["day_until"] = "Until (time): after the start time."
    if len(notes) > 300:
        errors["notes"] = "Notes: keep them under 300 characters."
    if errors:
        raise WaitlistInvalid(errors)
    bind_actor(session, actor.user_id)
    row = WaitlistEntry(clinic_id=actor.seat.clinic_id, patient_id=patient_id,
                        provider_id=provider_id, category_id=category_id,
                        earliest_day=earliest_day, latest_day=latest_day, day_from=day_from,
                        day_until=day_until, notes=notes.strip())
    session.add(row)
    session.flush()
    _audit(session, actor, "waitlist.add", row)
    return _waiting(row)


def _entry(session: Session, actor: Actor, entry_id: uuid.UUID, version: int
           ) -> WaitlistEntry:
    row = session.get(WaitlistEntry, entry_id)
    if row is None or row.clinic_id != actor.seat.clinic_id or row.status != "waiting":
        raise WaitlistInvalid({"entry": "This patient is no longer on the waitlist."})
    if row.version != version:
        raise StaleRecord()
    return row


def close_waitlist_entry(session: Session, actor: Actor, *, entry_id: uuid.UUID, version: int,
                         appointment_id: uuid.UUID | None = None, booked: bool = False) -> None:
    """Take an entry off the waitlist: booked (into ``appointment_id``, or ``booked`` when the
    desk booked the patient elsewhere) or removed (no longer needed)."""
    require(actor, "schedule.write")
    row = _entry(session, actor, entry_id, version)
    _close(session, actor, row, appointment_id, booked=booked)


def _close(session: Session, actor: Actor, row: WaitlistEntry,
           appointment_id: uuid.UUID | None, *, booked: bool = False) -> None:
    bind_actor(session, actor.user_id)
    row.status = "booked" if booked or appointment_id is not None else "removed"
    row.appointment_id = appointment_id
    session.flush()
    _audit(session, actor, f"waitlist.{row.status}", row)


def book_from_waitlist(session: Session, actor: Actor, *, entry_id: uuid.UUID, version: int,
                       booking: Booking, now: datetime | None = None) -> AppointmentEntry:
    """Book the waiting patient (``booking`` is for them) and mark the entry booked, in one
    transaction: either both happen or neither (a taken slot leaves the patient waiting)."""
    require(actor, "schedule.write")
    row = _entry(session, actor, entry_id, version)
    if booking.patient_id != row.patient_id:
        raise WaitlistInvalid({"patient": "This booking is for another patient than the "
                                          "waitlist entry."})
    booked = book_appointment(session, actor, booking=booking, now=now)
    _close(session, actor, row, booked.id)
    return booked


def _lines(session: Session, actor: Actor, *conditions: Any) -> list[WaitlistLine]:
    """The clinic's waiting entries that meet ``conditions``, with names, oldest first."""
    provider = aliased(User)
    rows = session.execute(
        select(WaitlistEntry, Patient.last_name, Patient.first_name, Patient.mrn,
               provider.first_name.label("p_first"), provider.last_name.label("p_last"),
               AppointmentCategory.name.label("category"))
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .outerjoin(provider, provider.id == WaitlistEntry.provider_id)
        .outerjoin(AppointmentCategory, AppointmentCategory.id == WaitlistEntry.category_id)
        .where(WaitlistEntry.clinic_id == actor.seat.clinic_id,
               WaitlistEntry.status == "waiting", WaitlistEntry.deleted_at.is_(None),
               Patient.deleted_at.is_(None), *conditions)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    return [WaitlistLine(
        entry=_waiting(row.WaitlistEntry),
        patient_name=f"{row.last_name}, {row.first_name}" if row.first_name else row.last_name,
        mrn=row.mrn,
        provider_name=f"{row.p_first} {row.p_last}".strip() if row.p_last else "",
        category=row.category or "", added_at=row.WaitlistEntry.created_at) for row in rows]


def open_waitlist(session: Session, actor: Actor, *, provider_id: uuid.UUID | None = None
                  ) -> list[WaitlistLine]:
    """The patients waiting now, first come first served; with ``provider_id``, those a slot
    with that provider would suit (waiting for them, or for any provider). Audited as one
    schedule read (names are shown)."""
    require(actor, "schedule.read")
    conditions = [] if provider_id is None else [or_(
        WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == provider_id)]
    lines = _lines(session, actor, *conditions)
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="waitlist_entry", reason="waitlist",
                 changes={"provider_id": None if provider_id is None else str(provider_id),
                          "results": len(lines)})
    return lines


def _suitable(session: Session, actor: Actor, slot: Appointment) -> list[WaitlistLine]:
    zone = ZoneInfo(actor.seat.clinic_timezone)
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    lines = _lines(
        session, actor, WaitlistEntry.patient_id != slot.patient_id,
        WaitlistEntry.earliest_day <= start.date(), WaitlistEntry.latest_day >= start.date(),
        or_(WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == slot.provider_id),
        or_(WaitlistEntry.category_id.is_(None), WaitlistEntry.category_id == slot.category_id))
    return [line for line in lines
            if (line.entry.day_from is None or start.time() >= line.entry.day_from)
            and (line.entry.day_until is None or (end.date() == start.date()
                                                  and end.time() <= line.entry.day_until))]


def _audit_suggestions(session: Session, actor: Actor, found: list[WaitlistLine]) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="waitlist_entry", reason="suggestions",
                 changes={"results": len(found)})


def suggestions_for(session: Session, actor: Actor, *, appointment_id: uuid.UUID
                    ) -> list[WaitlistLine]:
    """The waiting entries a freed appointment's slot would suit (its provider or any, its
    category or any, its day in their days, its time in their part of the day), oldest
    first. Audited as one schedule read."""
    require(actor, "schedule.read")
    slot = session.get(Appointment, appointment_id)
    if slot is None or slot.clinic_id != actor.seat.clinic_id:
        return []
    found = _suitable(session, actor, slot)
    _audit_suggestions(session, actor, found)
    return found


@dataclass(frozen=True)
class FreedSlot:
    """A cancelled appointment's time, still free and still to come, and who waits for it."""

    appointment: AppointmentEntry
    provider_name: str
    category: str
    suggestions: tuple[WaitlistLine, ...]

    def booking(self, line: WaitlistLine) -> Booking:
        """The freed slot (same provider, place, room, category and length) for ``line``'s
        patient."""
        slot = self.appointment
        return Booking(patient_id=line.entry.patient_id, provider_id=slot.provider_id,
                       facility_id=slot.facility_id, category_id=slot.category_id,
                       starts_at=slot.starts_at, minutes=slot.minutes, room_id=slot.room_id)


def waitlist_offer(session: Session, actor: Actor, *, appointment_id: uuid.UUID,
                   now: datetime | None = None) -> FreedSlot | None:
    """What to offer after ``appointment_id`` was cancelled: None when its time has begun,
    it still holds its slot, someone else holds that time already, or nobody waits for it."""
    require(actor, "schedule.read")
    slot = session.get(Appointment, appointment_id)
    if (slot is None or slot.clinic_id != actor.seat.clinic_id or slot.deleted_at is not None
            or slot.status in HOLDING_STATUSES or slot.starts_at <= (now or utcnow())):
        return None
    if any(not row.overbooked for row in clashes(
            session, provider_id=slot.provider_id, room_id=slot.room_id,
            starts_at=slot.starts_at, ends_at=slot.ends_at, ignore=slot.id)):
        return None
    found = _suitable(session, actor, slot)
    _audit_suggestions(session, actor, found)
    if not found:
        return None
    provider = session.get_one(User, slot.provider_id)
    category = session.get_one(AppointmentCategory, slot.category_id)
    return FreedSlot(appointment=appointment_entry(slot),
                     provider_name=f"{provider.first_name} {provider.last_name}".strip(),
                     category=category.name, suggestions=tuple(found))
