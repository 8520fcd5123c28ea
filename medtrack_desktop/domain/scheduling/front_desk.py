"""The day at the front desk: checking a patient in, and the flow board of today's visits.

Check-in confirms the demographics and insurance with the patient (both must be said to be
checked) and records the copay taken (Decimal, none for no copay), then marks the appointment
arrived. The flow board lists the day's appointments with the patient, provider, room, status,
and how long the patient has waited since arriving (or been in the room), read in one query
plus one for the status times; audited as one schedule read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    AppointmentInvalid,
    appointment_entry,
    set_status,
)
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentCategory,
    AppointmentStatusChange,
    Room,
)
from medtrack_desktop.store.base import utcnow

MAX_COPAY = Decimal("10000")


def parse_copay(text: str) -> Decimal | None:
    """A copay as typed ("25", "$25.00", "" for none), or ``AppointmentInvalid``."""
    cleaned = text.strip().removeprefix("$").replace(",", "")
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = Decimal("-1")
    if not amount.is_finite() or amount < 0 or amount >= MAX_COPAY or amount != amount.quantize(
            Decimal("0.01")):
        raise AppointmentInvalid({"copay": "Copay: an amount like 25.00 (or empty)."})
    return amount.quantize(Decimal("0.01"))


def check_in(session: Session, actor: Actor, *, appointment_id: uuid.UUID, version: int,
             demographics_confirmed: bool, insurance_confirmed: bool, copay: str = "",
             now: datetime | None = None) -> AppointmentEntry:
    """Check the patient in: demographics and insurance confirmed, the copay recorded."""
    require(actor, "schedule.write")
    errors: dict[str, str] = {}
    if not demographics_confirmed:
        errors["demographics"] = "Demographics: confirm the address and phone with the patient."
    if not insurance_confirmed:
        errors["insurance"] = "Insurance: confirm the card (or that there is none)."
    try:
        amount = parse_copay(copay)
    except AppointmentInvalid as invalid:
        errors |= invalid.errors
    if errors:
        raise AppointmentInvalid(errors)
    set_status(session, actor, appointment_id=appointment_id, version=version,
               status="arrived", now=now)
    row = session.get_one(Appointment, appointment_id)
    row.demographics_confirmed = row.insurance_confirmed = True
    row.copay_collected = amount
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="appointment.check_in",
                 resource_type="appointment", resource_id=str(row.id),
                 patient_id=row.patient_id,
                 changes={"copay": None if amount is None else str(amount)})
    return appointment_entry(row)  # as it is now (the confirmations made a version more)


class FlowRow(NamedTuple):
    """One visit on the flow board (a tuple: a board of hundreds is made at every refresh)."""

    appointment_id: uuid.UUID
    version: int
    starts_at: datetime
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    provider_id: uuid.UUID
    provider_name: str
    facility_id: uuid.UUID
    category: str
    color: str
    room_id: uuid.UUID | None
    room: str
    status: str
    since: datetime | None  # when it reached its status (arrived, in room …)

    def waiting(self, now: datetime) -> timedelta | None:
        """How long the patient has waited in the waiting room (arrived) or in the room."""
        if self.since is None or self.status not in ("arrived", "in_room"):
            return None
        return max(now - self.since, timedelta())


def flow_board(session: Session, actor: Actor, *, day: date | None = None,
               now: datetime | None = None) -> list[FlowRow]:
    """The day's appointments (today in the clinic by default), by time."""
    require(actor, "schedule.read")
    zone = ZoneInfo(actor.seat.clinic_timezone)
    day = day or (now or utcnow()).astimezone(zone).date()
    starts = datetime.combine(day, time(), zone)
    provider = aliased(User)
    rows = session.execute(
        select(Appointment.id, Appointment.version, Appointment.starts_at,
               Appointment.patient_id, Appointment.status, Appointment.provider_id,
               Appointment.facility_id, Appointment.room_id, Patient.last_name,
               Patient.first_name, Patient.mrn, provider.first_name.label("p_first"),
               provider.last_name.label("p_last"), AppointmentCategory.name,
               AppointmentCategory.color, Room.name.label("room"))
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(provider, provider.id == Appointment.provider_id)
        .join(AppointmentCategory, AppointmentCategory.id == Appointment.category_id)
        .outerjoin(Room, Room.id == Appointment.room_id)
        .where(Appointment.clinic_id == actor.seat.clinic_id,
               Appointment.deleted_at.is_(None), Appointment.starts_at >= starts,
               Appointment.starts_at < starts + timedelta(days=1))
        .order_by(Appointment.starts_at, Appointment.id)).all()
    latest = dict(session.execute(
        select(AppointmentStatusChange.appointment_id, func.max(AppointmentStatusChange.changed_at))
        .where(AppointmentStatusChange.appointment_id.in_([row.id for row in rows]))
        .group_by(AppointmentStatusChange.appointment_id)).all()) if rows else {}
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="appointment", reason="flow_board",
                 changes={"day": day.isoformat(), "results": len(rows)})
    return [FlowRow(
        appointment_id=row.id, version=row.version, starts_at=row.starts_at,
        patient_id=row.patient_id, patient_name=f"{row.last_name}, {row.first_name}",
        mrn=row.mrn, provider_id=row.provider_id, provider_name=f"{row.p_first} {row.p_last}",
        facility_id=row.facility_id, category=row.name, color=row.color, room_id=row.room_id,
        room=row.room or "", status=row.status,
        since=latest.get(row.id)) for row in rows]

