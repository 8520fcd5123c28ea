"""Appointments: booking, moving, the status flow and cancelling, never double-booked.

A provider or a room holds one appointment at a time. The service says so first, naming the
time that is taken (not who holds it: the clerk sees the schedule anyway, the message may be
read aloud); the database triggers (``store.triggers.create_no_double_booking``) are the
guard when two workstations book the same slot at once. An appointment of a category that
allows overbooking may be booked over another one when the clerk asks for it.

Status flow: scheduled -> confirmed -> arrived (checked in) -> in room -> completed; scheduled,
confirmed or arrived may end as cancelled (with a reason) or no-show. Every status is kept
with its time and user (``appointment_status_changes``). Writes are audited as
``appointment.*`` with the patient; no free text (reason, notes) goes into the audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.models import (
    HOLDING_STATUSES,
    MAX_MINUTES,
    Appointment,
    AppointmentCategory,
    AppointmentStatusChange,
    Facility,
    Room,
)
from medtrack_desktop.store.base import bind_actor, utcnow

MIN_MINUTES = 5
_REASON_MAX, _NOTES_MAX, _CANCEL_MAX = 300, 2000, 300
# status -> the statuses it may go to next
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "scheduled": ("confirmed", "arrived", "cancelled", "no_show"),
    "confirmed": ("arrived", "cancelled", "no_show"),
    "arrived": ("in_room", "completed", "cancelled", "no_show"),
    "in_room": ("completed",),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}
_MOVABLE = ("scheduled", "confirmed")


class AppointmentInvalid(FieldsInvalid):
    """An appointment that cannot be saved as entered."""


class SlotTaken(RuntimeError):
    """The provider or room already has an appointment then; the message is safe to show."""


class AppointmentNotFound(LookupError):
    """No live appointment with that id in the actor's clinic."""


@dataclass(frozen=True)
class Booking:
    """An appointment as entered: ``minutes`` empty for the category's default length."""

    patient_id: uuid.UUID
    provider_id: uuid.UUID
    facility_id: uuid.UUID
    category_id: uuid.UUID
    starts_at: datetime
    minutes: int | None = None
    room_id: uuid.UUID | None = None
    reason: str = ""
    notes: str = ""
    overbook: bool = False


class AppointmentEntry(NamedTuple):
    """An appointment as the services return it (a tuple: a calendar reads thousands)."""

    id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    provider_id: uuid.UUID
    room_id: uuid.UUID | None
    facility_id: uuid.UUID
    category_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    overbooked: bool
    reason: str
    cancel_reason: str | None

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def entry_columns() -> tuple[Any, ...]:
    """The columns of ``AppointmentEntry``, in order: ``AppointmentEntry(*row[:n])`` of a
    select that starts with them (no ORM object per row: a calendar reads thousands)."""
    return tuple(getattr(Appointment, name) for name in AppointmentEntry._fields)


def appointment_entry(row: Appointment) -> AppointmentEntry:
    """What the services return of an appointment row."""
    return AppointmentEntry(
        id=row.id, version=row.version, patient_id=row.patient_id, provider_id=row.provider_id,
        room_id=row.room_id, facility_id=row.facility_id, category_id=row.category_id,
        starts_at=row.starts_at, ends_at=row.ends_at, status=row.status,
        overbooked=row.overbooked, reason=row.reason, cancel_reason=row.cancel_reason)


def _audit(session: Session, actor: Actor, action: str, row: Appointment,
           changes: dict[str, Any] | None = None, reason: str | None = None) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action=action,
                 resource_type="appointment", resource_id=str(row.id),
                 patient_id=row.patient_id, reason=reason, changes=changes)


def _clinic_row(session: Session, actor: Actor, model: Any, row_id: uuid.UUID | None) -> Any:
    row = session.get(model, row_id) if row_id is not None else None
    if row is None or row.clinic_id != actor.seat.clinic_id or row.deleted_at is not None:
        return None
    return row


def _clean(session: Session, actor: Actor, booking: Booking, kept: Appointment | None = None
           ) -> tuple[dict[str, Any], AppointmentCategory]:
    """The columns of a booking, or ``AppointmentInvalid`` with a message per field. A
    category, facility or room since retired is accepted only where it is the one ``kept``
    (an appointment being moved) already has: retiring one keeps its appointments."""
    errors: dict[str, str] = {}

    def usable(row: Any, column: str) -> bool:
        return row is not None and (row.is_active or (
            kept is not None and getattr(kept, column) == row.id))

    category = _clinic_row(session, actor, AppointmentCategory, booking.category_id)
    if not usable(category, "category_id"):
        errors["category"] = "Category: choose one of the clinic's categories."
    provider = _clinic_row(session, actor, User, booking.provider_id)
    if provider is None or not provider.is_active:
        errors["provider"] = "Provider: choose an active provider of the clinic."
    facility = _clinic_row(session, actor, Facility, booking.facility_id)
    if not usable(facility, "facility_id"):
        errors["facility"] = "Facility: choose one of the clinic's facilities."
    if booking.room_id is not None:
        room = _clinic_row(session, actor, Room, booking.room_id)
        if not usable(room, "room_id") or room.facility_id != booking.facility_id:
            errors["room"] = "Room: choose a room of the chosen facility."
    if booking.starts_at.tzinfo is None:
        errors["starts_at"] = "Start: a date and time in the clinic's time zone."
    minutes = booking.minutes if booking.minutes is not None else (
        category.default_minutes if category is not None else None)
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["minutes"] = (f"Length: between {MIN_MINUTES} minutes and "
                             f"{MAX_MINUTES // 60} hours.")
    reason = clean_text(booking.reason, "Reason", _REASON_MAX, errors, "reason") or ""
    notes = clean_text(booking.notes, "Notes", _NOTES_MAX, errors, "notes") or ""
    if booking.overbook and category is not None and not category.allows_overbooking:
        errors["overbook"] = (f"Overbooking: {category.name} appointments cannot be booked "
                              "over another one.")
    if errors:
        raise AppointmentInvalid(errors)
    assert category is not None and minutes is not None
    starts_at = booking.starts_at.astimezone(UTC).replace(second=0, microsecond=0)
    return {
        "patient_id": booking.patient_id, "provider_id": booking.provider_id,
        "room_id": booking.room_id, "facility_id": booking.facility_id,
        "category_id": booking.category_id, "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=minutes), "reason": reason, "notes": notes,
        "overbooked": booking.overbook,
    }, category


def clashes(session: Session, *, provider_id: uuid.UUID, room_id: uuid.UUID | None,
            starts_at: datetime, ends_at: datetime, ignore: uuid.UUID | None = None
            ) -> list[Appointment]:
    """The live appointments that hold the provider's or the room's time between
    ``starts_at`` and ``ends_at`` (overbooked ones included), earliest first."""
    holder = Appointment.provider_id == provider_id
    if room_id is not None:
        holder = or_(holder, Appointment.room_id == room_id)
    statement = select(Appointment).where(
        holder, Appointment.deleted_at.is_(None), Appointment.status.in_(HOLDING_STATUSES),
        Appointment.starts_at > starts_at - timedelta(minutes=MAX_MINUTES),
        Appointment.starts_at < ends_at, Appointment.ends_at > starts_at)
    if ignore is not None:
        statement = statement.where(Appointment.id != ignore)
    return list(session.scalars(statement.order_by(Appointment.starts_at)))


def _refuse_clash(session: Session, actor: Actor, values: dict[str, Any],
                  category: AppointmentCategory, ignore: uuid.UUID | None = None) -> None:
    if values["overbooked"]:
        return
    taken = [row for row in clashes(session, provider_id=values["provider_id"],
                                    room_id=values["room_id"], starts_at=values["starts_at"],
                                    ends_at=values["ends_at"], ignore=ignore)
             if not row.overbooked]
    if taken:
        first = taken[0]
        zone = ZoneInfo(actor.seat.clinic_timezone)
        what = "The provider" if first.provider_id == values["provider_id"] else "The room"
        choice = (", or book it as an overbooking" if category.allows_overbooking else "")
        raise SlotTaken(f"{what} is already booked {first.starts_at.astimezone(zone):%H:%M}"
                        f"\u2013{first.ends_at.astimezone(zone):%H:%M} that day. Pick another "
                        f"time{choice}.")


def _flush(session: Session) -> None:
    """Flush, turning the database's double-booking refusal into ``SlotTaken``."""
    try:
        session.flush()
    except DBAPIError as error:
        if "double booking" in str(error.orig):
            raise SlotTaken("Someone booked this time a moment ago. Pick another time.") \
                from None
        raise


def _record_status(session: Session, actor: Actor, row: Appointment, now: datetime) -> None:
    sequence = session.scalar(select(func.count()).select_from(AppointmentStatusChange).where(
        AppointmentStatusChange.appointment_id == row.id)) or 0
    session.add(AppointmentStatusChange(
        clinic_id=row.clinic_id, appointment_id=row.id, patient_id=row.patient_id,
        status=row.status, changed_at=now, changed_by=actor.user_id, sequence=sequence + 1))


def book_appointment(session: Session, actor: Actor, *, booking: Booking,
                     now: datetime | None = None) -> AppointmentEntry:
    """Book an appointment (status scheduled); ``SlotTaken`` if its provider or room is
    booked then and it is not a deliberate overbooking."""
    require(actor, "schedule.write", patient_id=booking.patient_id)
    readable_patient(session, actor, booking.patient_id)
    values, category = _clean(session, actor, booking)
    _refuse_clash(session, actor, values, category)
    bind_actor(session, actor.user_id)
    row = Appointment(clinic_id=actor.seat.clinic_id, status="scheduled", **values)
    session.add(row)
    _flush(session)
    _record_status(session, actor, row, now or utcnow())
    _audit(session, actor, "appointment.book", row,
           changes={"starts_at": row.starts_at.isoformat(),
                    "minutes": appointment_entry(row).minutes, "overbooked": row.overbooked})
    return appointment_entry(row)


def _live_appointment(session: Session, actor: Actor, appointment_id: uuid.UUID,
                      version: int | None = None) -> Appointment:
    row = _clinic_row(session, actor, Appointment, appointment_id)
    if row is None:
        raise AppointmentNotFound("This appointment no longer exists.")
    readable_patient(session, actor, row.patient_id)
    if version is not None and row.version != version:
        raise StaleRecord()
    return row


def move_appointment(session: Session, actor: Actor, *, appointment_id: uuid.UUID,
                     version: int, starts_at: datetime, minutes: int | None = None,
                     provider_id: uuid.UUID | None = None, room_id: uuid.UUID | None = None
                     ) -> AppointmentEntry:
    """Move (drag) or resize an appointment still to come; ``minutes`` None keeps its length,
    ``provider_id``/``room_id`` None keep them."""
    require(actor, "schedule.write")
    row = _live_appointment(session, actor, appointment_id, version)
    if row.status not in _MOVABLE:
        raise AppointmentInvalid({"status": "Only a scheduled or confirmed appointment can "
                                            "be moved."})
    booking = Booking(
        patient_id=row.patient_id, provider_id=provider_id or row.provider_id,
        facility_id=row.facility_id, category_id=row.category_id, starts_at=starts_at,
        minutes=minutes if minutes is not None else appointment_entry(row).minutes,
        room_id=room_id if room_id is not None else row.room_id, reason=row.reason,
        notes=row.notes, overbook=row.overbooked)
    values, category = _clean(session, actor, booking, kept=row)
    _refuse_clash(session, actor, values, category, ignore=row.id)
    before = (row.starts_at, row.ends_at)
    bind_actor(session, actor.user_id)
    for name in ("starts_at", "ends_at", "provider_id", "room_id"):
        setattr(row, name, values[name])
    _flush(session)
    _audit(session, actor, "appointment.move", row, changes={
        "starts_at": {"old": before[0].isoformat(), "new": row.starts_at.isoformat()},
        "ends_at": {"old": before[1].isoformat(), "new": row.ends_at.isoformat()}})
    return appointment_entry(row)


def set_status(session: Session, actor: Actor, *, appointment_id: uuid.UUID, version: int,
               status: str, cancel_reason: str = "", room_id: uuid.UUID | None = None,
               now: datetime | None = None) -> AppointmentEntry:
    """Move an appointment along its flow (``NEXT_STATUSES``); cancelling needs a reason.
    Going in room may name the room (one of the visit's facility, in use, and not held by
    another visit in room at the moment)."""
    require(actor, "schedule.write")
    row = _live_appointment(session, actor, appointment_id, version)
    if status not in NEXT_STATUSES.get(row.status, ()):
        raise AppointmentInvalid({"status": f"A {row.status.replace('_', ' ')} appointment "
                                            f"cannot become {status.replace('_', ' ')}."})
    errors: dict[str, str] = {}
    if room_id is not None:
        _room_now(session, actor, row, status, room_id)
        row.room_id = room_id
    if status == "cancelled":
        reason = clean_text(cancel_reason, "Reason", _CANCEL_MAX, errors, "cancel_reason")
        if reason is None and not errors:
            errors["cancel_reason"] = "Reason: say why the appointment is cancelled."
        if errors:
            raise AppointmentInvalid(errors)
        row.cancel_reason = reason
    old = row.status
    bind_actor(session, actor.user_id)
    row.status = status
    _flush(session)
    _record_status(session, actor, row, now or utcnow())
    _audit(session, actor, f"appointment.{status}", row,
           changes={"status": {"old": old, "new": status}})
    return appointment_entry(row)


def _room_now(session: Session, actor: Actor, row: Appointment, status: str,
              room_id: uuid.UUID) -> None:
    """``AppointmentInvalid`` under ``room`` unless ``room_id`` may take the visit now."""
    room = _clinic_row(session, actor, Room, room_id)
    if status != "in_room":
        message = "Room: a room is chosen when the patient goes in."
    elif room is None or not room.is_active or room.facility_id != row.facility_id:
        message = "Room: choose a room of the visit's facility."
    else:
        holder = session.scalars(select(Appointment).where(
            Appointment.room_id == room_id, Appointment.status == "in_room",
            Appointment.deleted_at.is_(None), Appointment.id != row.id)).first()
        if holder is None:
            return
        zone = ZoneInfo(actor.seat.clinic_timezone)
        message = (f"Room: {room.name} is taken by the {holder.starts_at.astimezone(zone):%H:%M}"
                   " visit; complete that one first or choose another room.")
    raise AppointmentInvalid({"room": message})


def appointments_between(session: Session, actor: Actor, *, starts: datetime, ends: datetime,
                         provider_ids: list[uuid.UUID] | None = None,
                         include_ended: bool = True) -> list[AppointmentEntry]:
    """The clinic's appointments that start in [``starts``, ``ends``), of some providers or
    all, by start: what a calendar view shows. Audited as one schedule read."""
    require(actor, "schedule.read")
    statement = select(Appointment).where(
        Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
        Appointment.starts_at >= starts, Appointment.starts_at < ends)
    if provider_ids is not None:
        statement = statement.where(Appointment.provider_id.in_(provider_ids))
    if not include_ended:
        statement = statement.where(Appointment.status.in_(HOLDING_STATUSES))
    rows = [appointment_entry(row) for row in session.scalars(
        statement.order_by(Appointment.starts_at, Appointment.id))]
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="appointment", reason="range",
                 changes={"from": starts.isoformat(), "to": ends.isoformat(),
                          "results": len(rows)})
    return rows


@dataclass(frozen=True)
class UpcomingAppointment:
    starts_at: datetime
    provider_name: str
    category: str
    status: str


def upcoming_for_patient(session: Session, actor: Actor, *, patient_id: uuid.UUID,
                         limit: int = 5, now: datetime | None = None
                         ) -> list[UpcomingAppointment]:
    """The patient's next appointments that still hold their slot (the chart's summary)."""
    require(actor, "schedule.read", patient_id=patient_id)
    readable_patient(session, actor, patient_id)
    rows = session.execute(
        select(Appointment.starts_at, User.first_name, User.last_name,
               AppointmentCategory.name, Appointment.status)
        .join(User, User.id == Appointment.provider_id)
        .join(AppointmentCategory, AppointmentCategory.id == Appointment.category_id)
        .where(Appointment.patient_id == patient_id, Appointment.deleted_at.is_(None),
               Appointment.status.in_(("scheduled", "confirmed")),
               Appointment.starts_at >= (now or utcnow()))
        .order_by(Appointment.starts_at).limit(limit)).all()
    return [UpcomingAppointment(row.starts_at, f"{row.first_name} {row.last_name}", row.name,
                                row.status) for row in rows]
