"""The waitlist: patients who want an earlier slot, and who to offer a freed slot to.

An entry says with which provider and/or of which category, between which days, and in which
part of the day (clinic time) the patient could come. When an appointment is cancelled, the
entries it would suit are suggested, first come first served; booking one marks the entry
booked. Writes are audited as ``waitlist.*``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.models import Appointment, WaitlistEntry
from medtrack_desktop.store.base import bind_actor


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
                         appointment_id: uuid.UUID | None = None) -> None:
    """Take an entry off the waitlist: booked (``appointment_id``) or removed."""
    require(actor, "schedule.write")
    row = _entry(session, actor, entry_id, version)
    bind_actor(session, actor.user_id)
    row.status = "booked" if appointment_id is not None else "removed"
    row.appointment_id = appointment_id
    session.flush()
    _audit(session, actor, f"waitlist.{row.status}", row)


def suggestions_for(session: Session, actor: Actor, *, appointment_id: uuid.UUID
                    ) -> list[Waiting]:
    """The waiting entries a freed appointment's slot would suit (its provider or any, its
    category or any, its day in their days, its time in their part of the day), oldest
    first. Audited as one schedule read."""
    require(actor, "schedule.read")
    slot = session.get(Appointment, appointment_id)
    if slot is None or slot.clinic_id != actor.seat.clinic_id:
        return []
    zone = ZoneInfo(actor.seat.clinic_timezone)
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    rows = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.clinic_id == actor.seat.clinic_id, WaitlistEntry.status == "waiting",
        WaitlistEntry.deleted_at.is_(None), WaitlistEntry.patient_id != slot.patient_id,
        WaitlistEntry.earliest_day <= start.date(), WaitlistEntry.latest_day >= start.date(),
        or_(WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == slot.provider_id),
        or_(WaitlistEntry.category_id.is_(None), WaitlistEntry.category_id == slot.category_id))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    found = [_waiting(row) for row in rows
             if (row.day_from is None or start.time() >= row.day_from)
             and (row.day_until is None or (end.date() == start.date()
                                            and end.time() <= row.day_until))]
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="waitlist_entry", reason="suggestions",
                 changes={"results": len(found)})
    return found
