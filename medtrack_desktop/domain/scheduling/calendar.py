"""What the calendar screens read, shaped for them: the clinic's providers, facilities, rooms and
categories in one call; a range of days with each provider's bookable time and the
appointments with their patients' names and MRNs; a provider's day for print.

A calendar shows names, so reading a range is one ``schedule.read`` audit entry (as
``appointments.appointments_between``), naming the days and how many appointments were shown;
printing a provider's day is a ``schedule.print`` entry. Restricted records show their name
and MRN here as in the patient search: the front desk books them; opening one is still
governed by ``patients.access``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Role, User, UserRole
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.appointments import AppointmentEntry, entry_columns
from medtrack_desktop.domain.scheduling.availability import Window, availability_of
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentCategory,
    Facility,
    Room,
    WeeklyAvailability,
)
from medtrack_desktop.domain.scheduling.setup import CategoryEntry, categories

MAX_RANGE_DAYS = 42  # a calendar screen shows at most six weeks at once
STATUS_TEXT = {"scheduled": "Scheduled", "confirmed": "Confirmed", "arrived": "Checked in",
               "in_room": "In room", "completed": "Completed", "cancelled": "Cancelled",
               "no_show": "No-show"}


@dataclass(frozen=True)
class Provider:
    id: uuid.UUID
    name: str  # "Elena Márquez"


@dataclass(frozen=True)
class RoomChoice:
    id: uuid.UUID
    facility_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class FacilityChoice:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class CalendarSetup:
    """The lists a calendar and its booking dialog choose from (no patient data)."""

    providers: tuple[Provider, ...]
    facilities: tuple[FacilityChoice, ...]
    rooms: tuple[RoomChoice, ...]
    categories: tuple[CategoryEntry, ...]


def active_providers(session: Session, actor: Actor) -> tuple[Provider, ...]:
    """Active physicians of the clinic, and anyone else with a weekly session, by name."""
    physician = exists().where(UserRole.user_id == User.id, UserRole.role_id == Role.id,
                               Role.name == "physician", UserRole.deleted_at.is_(None))
    has_sessions = exists().where(WeeklyAvailability.provider_id == User.id,
                                  WeeklyAvailability.deleted_at.is_(None))
    rows = session.execute(select(User.id, User.first_name, User.last_name).where(
        User.clinic_id == actor.seat.clinic_id, User.is_active.is_(True),
        User.patient_id.is_(None), or_(physician, has_sessions))
        .order_by(User.last_name, User.first_name)).all()
    return tuple(Provider(row.id, f"{row.first_name} {row.last_name}".strip()) for row in rows)


def calendar_setup(session: Session, actor: Actor) -> CalendarSetup:
    """Providers, facilities, rooms and categories of the actor's clinic (active ones)."""
    require(actor, "schedule.read")
    clinic = actor.seat.clinic_id
    facilities = session.execute(select(Facility.id, Facility.name).where(
        Facility.clinic_id == clinic, Facility.is_active.is_(True),
        Facility.deleted_at.is_(None)).order_by(Facility.name)).all()
    rooms = session.execute(select(Room.id, Room.facility_id, Room.name).where(
        Room.clinic_id == clinic, Room.is_active.is_(True), Room.deleted_at.is_(None))
        .order_by(Room.name)).all()
    return CalendarSetup(
        providers=active_providers(session, actor),
        facilities=tuple(FacilityChoice(row.id, row.name) for row in facilities),
        rooms=tuple(RoomChoice(row.id, row.facility_id, row.name) for row in rooms),
        categories=tuple(categories(session, actor)))


@dataclass(frozen=True)
class CalendarAppointment:
    """An appointment as a calendar draws it: with whom, and of which category."""

    entry: AppointmentEntry
    patient_name: str  # "Last, First"
    mrn: str
    category: str
    color: str  # the category's "#rrggbb"
    series_id: uuid.UUID | None = None  # the recurring series it belongs to, if any

    @property
    def id(self) -> uuid.UUID:
        return self.entry.id

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.entry.status, self.entry.status)


@dataclass(frozen=True)
class CalendarRange:
    """Days ``first_day``..``last_day`` (clinic days) of some providers: each one's bookable
    time, and their appointments by start."""

    first_day: date
    last_day: date
    windows: dict[uuid.UUID, tuple[Window, ...]]
    appointments: tuple[CalendarAppointment, ...]


def _day_bounds(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    starts = datetime.combine(first_day, time(), zone).astimezone(UTC)
    return starts, datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)


def _named_appointments(session: Session, actor: Actor, *, starts: datetime, ends: datetime,
                        provider_ids: list[uuid.UUID], include_cancelled: bool
                        ) -> list[CalendarAppointment]:
    columns = entry_columns()
    statement = (
        select(*columns, Patient.last_name, Patient.first_name, Patient.mrn,
               AppointmentCategory.name, AppointmentCategory.color, Appointment.series_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(AppointmentCategory, AppointmentCategory.id == Appointment.category_id)
        .where(Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
               Appointment.starts_at >= starts, Appointment.starts_at < ends,
               Appointment.provider_id.in_(provider_ids))
        .order_by(Appointment.starts_at, Appointment.id))
    if not include_cancelled:
        statement = statement.where(Appointment.status != "cancelled")
    width = len(columns)
    return [CalendarAppointment(
        entry=AppointmentEntry(*row[:width]), patient_name=f"{last}, {first}" if first else last,
        mrn=mrn, category=category, color=color, series_id=series_id)
        for row in session.execute(statement)
        for last, first, mrn, category, color, series_id in (row[width:],)]


class MonthAppointment(NamedTuple):
    """An appointment as a month cell lists it (a tuple: a month of twenty providers holds
    some thousands)."""

    starts_at: datetime
    status: str
    surname: str
    color: str


@dataclass(frozen=True)
class MonthRange:
    """Days ``first_day``..``last_day`` of some providers as a month view shows them: each
    one's bookable time, and the appointments (not cancelled) by start, lightly."""

    first_day: date
    last_day: date
    windows: dict[uuid.UUID, tuple[Window, ...]]
    appointments: tuple[MonthAppointment, ...]


def _checked_range(actor: Actor, first_day: date, last_day: date) -> ZoneInfo:
    require(actor, "schedule.read")
    if last_day < first_day or (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise ValueError(f"A calendar shows 1 to {MAX_RANGE_DAYS} days at a time.")
    return ZoneInfo(actor.seat.clinic_timezone)


def _windows_of(session: Session, provider_ids: list[uuid.UUID], first_day: date,
                last_day: date, zone: ZoneInfo) -> dict[uuid.UUID, tuple[Window, ...]]:
    return {provider_id: tuple(found) for provider_id, found in availability_of(
        session, provider_ids=provider_ids, first_day=first_day, last_day=last_day,
        zone=zone).items()}


def _audit_read(session: Session, actor: Actor, reason: str, first_day: date, last_day: date,
                providers: int, results: int) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="appointment", reason=reason,
                 changes={"from": first_day.isoformat(), "to": last_day.isoformat(),
                          "providers": providers, "results": results})


def calendar_month(session: Session, actor: Actor, *, first_day: date, last_day: date,
                   provider_ids: list[uuid.UUID]) -> MonthRange:
    """What a month view of ``provider_ids`` shows: only each appointment's start, status,
    surname and colour (a month of all providers: a fifth of ``calendar_range``'s work)."""
    zone = _checked_range(actor, first_day, last_day)
    starts, ends = _day_bounds(first_day, last_day, zone)
    rows = session.execute(
        select(Appointment.starts_at, Appointment.status, Patient.last_name,
               AppointmentCategory.color)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(AppointmentCategory, AppointmentCategory.id == Appointment.category_id)
        .where(Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
               Appointment.starts_at >= starts, Appointment.starts_at < ends,
               Appointment.provider_id.in_(provider_ids), Appointment.status != "cancelled")
        .order_by(Appointment.starts_at, Appointment.id)).all()
    shown = tuple(MonthAppointment(*row) for row in rows)
    _audit_read(session, actor, "calendar month", first_day, last_day, len(provider_ids),
                len(shown))
    return MonthRange(first_day, last_day,
                      _windows_of(session, provider_ids, first_day, last_day, zone), shown)


def calendar_range(session: Session, actor: Actor, *, first_day: date, last_day: date,
                   provider_ids: list[uuid.UUID], include_cancelled: bool = False
                   ) -> CalendarRange:
    """What a day or week view of ``provider_ids`` shows (see module doc); cancelled
    appointments only when asked for (they free their time for someone else)."""
    zone = _checked_range(actor, first_day, last_day)
    windows = _windows_of(session, provider_ids, first_day, last_day, zone)
    starts, ends = _day_bounds(first_day, last_day, zone)
    shown = _named_appointments(session, actor, starts=starts, ends=ends,
                                provider_ids=provider_ids, include_cancelled=include_cancelled)
    _audit_read(session, actor, "calendar", first_day, last_day, len(provider_ids), len(shown))
    return CalendarRange(first_day, last_day, windows, tuple(shown))


@dataclass(frozen=True)
class ScheduleLine:
    starts_at: datetime  # in the clinic's zone
    ends_at: datetime
    patient_name: str
    mrn: str
    category: str
    reason: str
    status: str  # as people read it ("Checked in")


@dataclass(frozen=True)
class DaySchedule:
    """A provider's day as printed: the clinic, who, which day, and the appointments by
    start (cancelled ones left out: their time was given back)."""

    clinic_name: str
    provider_name: str
    day: date
    printed_at: datetime  # in the clinic's zone
    lines: tuple[ScheduleLine, ...]


def day_schedule(session: Session, actor: Actor, *, provider_id: uuid.UUID, day: date,
                 now: datetime | None = None) -> DaySchedule:
    """The provider's appointments of ``day`` for print, audited as ``schedule.print``."""
    require(actor, "schedule.read")
    zone = ZoneInfo(actor.seat.clinic_timezone)
    provider = next((p for p in active_providers(session, actor) if p.id == provider_id), None)
    if provider is None:
        raise ValueError("Provider: choose an active provider of the clinic.")
    starts, ends = _day_bounds(day, day, zone)
    shown = _named_appointments(session, actor, starts=starts, ends=ends,
                                provider_ids=[provider_id], include_cancelled=False)
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.print",
                 resource_type="appointment", reason="day schedule",
                 changes={"day": day.isoformat(), "provider_id": str(provider_id),
                          "results": len(shown)})
    return DaySchedule(
        clinic_name=actor.seat.clinic_name, provider_name=provider.name, day=day,
        printed_at=(now or datetime.now(UTC)).astimezone(zone),
        lines=tuple(ScheduleLine(
            starts_at=item.entry.starts_at.astimezone(zone),
            ends_at=item.entry.ends_at.astimezone(zone), patient_name=item.patient_name,
            mrn=item.mrn, category=item.category, reason=item.entry.reason,
            status=item.status_text) for item in shown))
